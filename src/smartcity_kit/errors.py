"""The errors smartcity-kit raises: one tree under :class:`SmartCityError`.

Catch :class:`SmartCityError` to handle anything the library raises on purpose. Every message is
safe to show to an operator: it names the field and the rule, and never holds personal data
(a NIK, a name, a phone number) or a secret.

>>> from smartcity_kit.core import Nik
>>> from smartcity_kit.errors import ValidationError
>>> try:
...     Nik.parse("7371105508950000")
... except ValidationError as e:
...     print(e)
nik: the serial number (last 4 digits) must not be 0000
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

__all__ = [
    "ConfigurationError",
    "ConflictError",
    "DeviceAuthError",
    "DeviceError",
    "DeviceProtocolError",
    "DeviceUnreachableError",
    "FieldError",
    "NotFoundError",
    "PermissionDeniedError",
    "RemoteServiceError",
    "SchemaMismatchError",
    "SmartCityError",
    "UnknownRegionWarning",
    "ValidationError",
]


class SmartCityError(Exception):
    """Root of every error that smartcity-kit raises on purpose."""


@attrs.frozen
class FieldError:
    """One problem with one field of the input.

    Attributes:
        path: Where in the input the problem is: ``"nik"``, ``"address.rt"``, ``"items[2].amount"``.
            Empty when the input as a whole is wrong.
        message: Which rule failed, in words an operator understands. Never holds personal data.
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ValidationError(SmartCityError, ValueError):
    """Bad input: says which field and why, and nothing was changed.

    It carries one :class:`FieldError` per problem found, so a form or an API response can show
    every problem at once.

    Attributes:
        errors: The problems, in the order they were found (at least one).
    """

    errors: tuple[FieldError, ...]

    def __init__(self, errors: FieldError | Iterable[FieldError]) -> None:
        found = (errors,) if isinstance(errors, FieldError) else tuple(errors)
        if not found:
            found = (FieldError("", "invalid input"),)
        self.errors = found
        super().__init__("; ".join(str(e) for e in found))

    @classmethod
    def single(cls, path: str, message: str) -> ValidationError:
        """One problem at one field: ``ValidationError.single("rt", "must be 1 to 999")``."""
        return cls(FieldError(path, message))

    def prefixed(self, prefix: str) -> ValidationError:
        """The same problems, with their paths placed under ``prefix`` (for nested input)."""
        return ValidationError(
            FieldError(f"{prefix}.{e.path}" if e.path else prefix, e.message) for e in self.errors
        )

    @property
    def fields(self) -> Sequence[str]:
        """The paths of the fields that are wrong, in order, without repeats."""
        return tuple(dict.fromkeys(e.path for e in self.errors))


class NotFoundError(SmartCityError, LookupError):
    """The thing asked for does not exist (an unknown region code, request id, camera)."""


class PermissionDeniedError(SmartCityError):
    """The actor may not do this; the message says which rule denied it."""


class ConflictError(SmartCityError):
    """The change conflicts with the current state (a stale version, a duplicate, a bad move)."""


class SchemaMismatchError(ConflictError):
    """The database schema does not match this version of smartcity-kit.

    The message says what to do: run ``smartcity-kit db upgrade``, or upgrade the library when
    the database was upgraded by a newer one.
    """


class DeviceError(SmartCityError):
    """A camera or other device failed to do what was asked."""


class DeviceUnreachableError(DeviceError):
    """The device did not answer in time, or refused the connection."""


class DeviceAuthError(DeviceError):
    """The device refused the credentials."""


class DeviceProtocolError(DeviceError):
    """The device answered something the protocol does not allow."""


class ConfigurationError(SmartCityError):
    """The deployment is missing a setting or has a wrong one (a secret key, a URL)."""


class RemoteServiceError(SmartCityError):
    """A remote service (an Open311 endpoint, SP4N-LAPOR, a payment provider) failed."""


class UnknownRegionWarning(UserWarning):
    """A region code is not in the current Kemendagri data.

    Issued, for example, for a NIK whose district code predates a region split (pemekaran): the NIK
    keeps the code it was issued with, so this is a warning and not an error.
    """
