"""Masks for personal data (UU PDP) and a keyed pseudonymiser for matching without the number."""

from __future__ import annotations

import hashlib
import hmac
from typing import Final, Protocol

from lokal import partial_mask

from smartcity_kit.errors import ValidationError

__all__ = ["MIN_KEY_BYTES", "Pseudonymiser", "Revealable", "mask_name", "mask_nik"]

#: The shortest key :class:`Pseudonymiser` accepts (128 bits).
MIN_KEY_BYTES: Final = 16


def mask_nik(digits: str) -> str:
    """Mask a 16-digit population number the common way: region and serial stay, the rest hides.

    The first 6 digits (issuing region) and the last 4 stay; the birth date hides.

    >>> mask_nik("7371105508950001")
    '737110******0001'
    """
    return f"{digits[:6]}{'*' * (len(digits) - 10)}{digits[-4:]}"


def mask_name(name: str) -> str:
    """Mask a person's name, keeping the first letter of each word.

    >>> mask_name("Andi Nurhaliza")
    'A*** N***'
    """
    return partial_mask("NAME", name) if name.strip() else ""


class Revealable(Protocol):
    """A personal-data value that hides itself in ``str()`` and ``repr()`` until asked."""

    def reveal(self) -> str:
        """The full value. Call it only where the full value is needed and allowed."""
        ...


class Pseudonymiser:
    """Stable, non-reversible match keys for personal data: HMAC-SHA256 with the caller's key.

    The same value and key always give the same pseudonym, so records can be matched (is this the
    same complainant?) without storing the number. Without the key a pseudonym cannot be turned
    back into the number, nor checked against a guessed one. Keep the key secret and outside the
    database; losing it means old pseudonyms no longer match new ones.

    Each kind of value is keyed separately, so a NIK and a family-card number with the same digits
    never share a pseudonym.

    >>> import secrets
    >>> from smartcity_kit.core import Nik
    >>> pseudo = Pseudonymiser(secrets.token_bytes(32))
    >>> a = pseudo.pseudonym(Nik.parse("7371105508950001"))
    >>> b = pseudo.pseudonym(Nik.parse("737110 550895 0001"))
    >>> a == b, len(a)
    (True, 64)
    >>> pseudo
    Pseudonymiser(key=<hidden>)
    """

    __slots__ = ("__key",)

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray):
            raise ValidationError.single("key", "must be bytes, e.g. secrets.token_bytes(32)")
        if len(key) < MIN_KEY_BYTES:
            raise ValidationError.single("key", f"must be at least {MIN_KEY_BYTES} bytes long")
        self.__key = bytes(key)

    def pseudonym(self, value: Revealable | str, *, kind: str | None = None) -> str:
        """The hex pseudonym of ``value``.

        ``kind`` separates kinds of values; it defaults to the value's type name (``Nik``,
        ``PhoneNumber``). Plain strings are used as given, so normalise them first.
        """
        if isinstance(value, str):
            text, default_kind = value, "str"
        else:
            text, default_kind = value.reveal(), type(value).__name__
        label = (kind or default_kind).encode()
        message = label + b"\x00" + text.encode()
        return hmac.new(self.__key, message, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return "Pseudonymiser(key=<hidden>)"
