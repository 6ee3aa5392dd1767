"""Indonesian identity numbers: NIK, NKK, NPWP, NIB, and phone numbers.

Personal numbers (NIK, NKK, an individual's NPWP, phone) hide themselves in ``str()`` and
``repr()``; only ``reveal()`` gives the full value. Error messages never repeat the input.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import warnings
from collections.abc import Callable
from typing import Any, Final, Literal

import attrs
import lokal
from stdnum import exceptions as stdnum_errors
from stdnum.id import npwp as stdnum_npwp

from smartcity_kit.core._privacy import mask_nik
from smartcity_kit.core._regions import RegionCode
from smartcity_kit.errors import UnknownRegionWarning, ValidationError

__all__ = ["Nib", "Nik", "Nkk", "Npwp", "PhoneNumber", "Sex"]

_SEPARATORS = re.compile(r"[\s.\-]")
_FORMAT_CHARS: Final = "spaces, dots and dashes may separate the digits"


class Sex(enum.StrEnum):
    """Sex as encoded in a NIK (jenis kelamin)."""

    MALE = "male"
    """Laki-laki (L)."""
    FEMALE = "female"
    """Perempuan (P); the NIK's day of birth has 40 added."""


def _clean(text: object, field: str, length: str) -> str:
    if not isinstance(text, str):
        raise ValidationError.single(field, f"must be a string of {length} digits")
    return _SEPARATORS.sub("", text)


def _latest_past_date(day: int, month: int, yy: int, today: dt.date) -> dt.date | None:
    """The DDMMYY date in the latest century that does not put it after ``today``."""
    century = today.year // 100 * 100
    for base in (century, century - 100, century - 200):
        try:
            candidate = dt.date(base + yy, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    return None


def _population_number_problem(  # noqa: PLR0911 - one return per rule
    digits: str, *, female_offset: bool, today: dt.date
) -> str | None:
    """The rule a NIK/NKK breaks, or None. Shared shape: PP KK CC DDMMYY SSSS."""
    if len(digits) != 16 or not digits.isascii() or not digits.isdigit():
        return f"must be 16 digits ({_FORMAT_CHARS})"
    if digits[:2] not in lokal.PROVINCES:
        return "digits 1-2 are not a province code in the Kemendagri data"
    if digits[2:4] == "00" or digits[4:6] == "00":
        return "the regency/city and district codes (digits 3-6) must not be 00"
    day, month, yy = int(digits[6:8]), int(digits[8:10]), int(digits[10:12])
    if female_offset and day > 40:
        day -= 40
    if _latest_past_date(day, month, yy, today) is None:
        if female_offset:
            return "digits 7-12 are not a real birth date (DDMMYY, 40 added to the day for women)"
        return "digits 7-12 are not a real date (DDMMYY)"
    if digits[12:] == "0000":
        return "the serial number (last 4 digits) must not be 0000"
    return None


def _validate_population_number(
    field: str, *, female_offset: bool
) -> Callable[[Any, Any, str], None]:
    def check(_instance: object, _attribute: object, value: str) -> None:
        problem = _population_number_problem(
            value, female_offset=female_offset, today=dt.datetime.now(dt.UTC).date()
        )
        if problem:
            raise ValidationError.single(field, problem)

    return check


class _Masked:
    """Personal data that shows its masked form in ``str()``, ``repr()`` and f-strings."""

    __slots__ = ()

    def masked(self) -> str:
        """The masked form, safe for logs and screens."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.masked()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.masked()!r})"


class _PopulationNumber(_Masked):
    """What a NIK and an NKK share: 16 digits, ``PPKKCC`` the issuing district."""

    __slots__ = ()
    _digits: str

    def _district(self) -> RegionCode:
        d = self._digits
        return RegionCode(f"{d[0:2]}.{d[2:4]}.{d[4:6]}")

    def masked(self) -> str:
        """The masked form: region and serial stay, the date hides (``737110******0001``)."""
        return mask_nik(self._digits)

    def reveal(self) -> str:
        """The full 16 digits. Use only where the full number is needed and allowed."""
        return self._digits


@attrs.frozen(repr=False)
class Nik(_PopulationNumber):
    """A NIK (Nomor Induk Kependudukan), the 16-digit population identity number.

    Layout ``PPKKCCDDMMYYSSSS``: province, regency/city and district where it was issued, birth
    date (40 added to the day for women), serial. There is no check digit, so a structurally
    valid NIK may still not be registered at Dukcapil.

    It is personal data: ``str()``, ``repr()`` and f-strings show the masked form; only
    :meth:`reveal` gives the number.

    >>> nik = Nik.parse("7371105508950001")
    >>> nik
    Nik('737110******0001')
    >>> nik.birth_date, nik.sex, nik.issuing_region
    (datetime.date(1995, 8, 15), <Sex.FEMALE: 'female'>, RegionCode('73.71.10'))
    """

    _digits: str = attrs.field(
        alias="digits", validator=_validate_population_number("nik", female_offset=True)
    )

    @classmethod
    def parse(cls, text: str) -> Nik:
        """Read a NIK written with or without spaces, dots or dashes.

        Issues an :class:`~smartcity_kit.errors.UnknownRegionWarning` when the issuing district is
        not in the current Kemendagri data (a NIK keeps the code of a region that has since split).

        Raises:
            ValidationError: The text is not a NIK; the message names the rule, never the digits.
        """
        nik = cls(_clean(text, "nik", "16"))
        if not nik.issuing_region_known:
            warnings.warn(
                UnknownRegionWarning(
                    f"NIK issuing district {nik.issuing_region} is not in the current Kemendagri "
                    "data (it may predate a region split)"
                ),
                stacklevel=2,
            )
        return nik

    @property
    def issuing_region(self) -> RegionCode:
        """The district (kecamatan) where the NIK was issued."""
        return self._district()

    @property
    def issuing_region_known(self) -> bool:
        """Whether the issuing district is in the current Kemendagri data."""
        return self.issuing_region.exists

    @property
    def sex(self) -> Sex:
        """Female when 40 was added to the day of birth."""
        return Sex.FEMALE if int(self._digits[6:8]) > 40 else Sex.MALE

    @property
    def birth_date(self) -> dt.date:
        """The birth date, in the latest century that does not put it in the future."""
        return self.birth_date_as_of(dt.datetime.now(dt.UTC).date())

    def birth_date_as_of(self, today: dt.date) -> dt.date:
        """The birth date as judged on ``today`` (for reproducible results with a fixed clock)."""
        day = int(self._digits[6:8])
        day = day - 40 if day > 40 else day
        born = _latest_past_date(day, int(self._digits[8:10]), int(self._digits[10:12]), today)
        if born is None:
            raise ValidationError.single("nik", "the birth date is after the given day")
        return born

    @property
    def serial(self) -> str:
        """The 4-digit serial that tells apart people with the same region and birth date."""
        return self._digits[12:]


@attrs.frozen(repr=False)
class Nkk(_PopulationNumber):
    """An NKK (Nomor Kartu Keluarga), the family-card number.

    Same 16-digit shape as a NIK, but its date part is the date the card's data was entered, with
    no 40 added. Personal data: masked in ``str()`` and ``repr()``.

    >>> Nkk.parse("7371-1012-0508-0003")
    Nkk('737110******0003')
    """

    _digits: str = attrs.field(
        alias="digits", validator=_validate_population_number("nkk", female_offset=False)
    )

    @classmethod
    def parse(cls, text: str) -> Nkk:
        """Read an NKK written with or without spaces, dots or dashes.

        Raises:
            ValidationError: The text is not an NKK; the message names the rule.
        """
        return cls(_clean(text, "nkk", "16"))

    @property
    def region(self) -> RegionCode:
        """The district (kecamatan) where the card was issued."""
        return self._district()

    @property
    def entered_on(self) -> dt.date:
        """The date the family data was entered, as encoded in the number."""
        d = self._digits
        today = dt.datetime.now(dt.UTC).date()
        entered = _latest_past_date(int(d[6:8]), int(d[8:10]), int(d[10:12]), today)
        if entered is None:  # pragma: no cover - the validator rejects such numbers
            raise ValidationError.single("nkk", "digits 7-12 are not a real date (DDMMYY)")
        return entered


NpwpKind = Literal["entity", "individual_nik"]


def _validate_npwp(_instance: object, _attribute: object, value: str) -> None:
    if len(value) != 16 or not value.isascii() or not value.isdigit():
        raise ValidationError.single("npwp", f"must be 15 or 16 digits ({_FORMAT_CHARS})")
    if value.startswith("0"):
        try:
            stdnum_npwp.validate(value)
        except stdnum_errors.InvalidChecksum:
            raise ValidationError.single(
                "npwp", "the check digit (9th digit of the 15-digit form) does not match"
            ) from None
        except stdnum_errors.ValidationError:
            raise ValidationError.single("npwp", "is not a valid NPWP") from None
        return
    problem = _population_number_problem(
        value, female_offset=True, today=dt.datetime.now(dt.UTC).date()
    )
    if problem:
        raise ValidationError.single(
            "npwp", f"a 16-digit NPWP not starting with 0 is a NIK, and {problem}"
        )


@attrs.frozen(repr=False)
class Npwp(_Masked):
    """An NPWP (Nomor Pokok Wajib Pajak), the taxpayer number, kept in its 16-digit form.

    Accepts the old 15-digit form (``01.300.066.6-091.000``, which becomes ``0`` + 15 digits) and
    the 16-digit form used since PMK 112/PMK.03/2022, where resident individuals use their NIK.
    The old form's 9th digit is a Luhn check digit, and it is checked.

    Masked in ``str()`` and ``repr()`` (an individual's NPWP is their NIK); :meth:`reveal` gives
    the 16 digits, :meth:`formatted` the dotted 15-digit form.

    >>> npwp = Npwp.parse("01.300.066.6-091.000")
    >>> npwp, npwp.kind
    (Npwp('001*********1000'), 'entity')
    >>> npwp == Npwp.parse("0013000666091000")
    True
    """

    _digits: str = attrs.field(alias="digits", validator=_validate_npwp)

    @classmethod
    def parse(cls, text: str) -> Npwp:
        """Read an NPWP in its 15- or 16-digit form, with or without dots and dashes.

        Raises:
            ValidationError: The text is not an NPWP; the message names the rule.
        """
        digits = _clean(text, "npwp", "15 or 16")
        if len(digits) == 15:
            digits = "0" + digits
        return cls(digits)

    @property
    def kind(self) -> NpwpKind:
        """``entity`` for the 0-prefixed form, ``individual_nik`` for a NIK used as NPWP."""
        return "entity" if self._digits.startswith("0") else "individual_nik"

    def formatted(self) -> str:
        """The dotted 15-digit form ``01.300.066.6-091.000``, or the 16 digits of a NIK-NPWP.

        This is the full number: treat it like :meth:`reveal`.
        """
        if self.kind == "individual_nik":
            return self._digits
        return str(stdnum_npwp.format(self._digits[1:]))

    def masked(self) -> str:
        """The masked form: first 3 and last 4 digits (a NIK-NPWP masks like a NIK)."""
        if self.kind == "individual_nik":
            return mask_nik(self._digits)
        return f"{self._digits[:3]}{'*' * 9}{self._digits[-4:]}"

    def reveal(self) -> str:
        """The full 16 digits."""
        return self._digits


def _validate_nib(_instance: object, _attribute: object, value: str) -> None:
    if len(value) != 13 or not value.isascii() or not value.isdigit():
        raise ValidationError.single("nib", f"must be 13 digits ({_FORMAT_CHARS})")
    if set(value) == {"0"}:
        raise ValidationError.single("nib", "must not be all zeros")


@attrs.frozen(repr=False)
class Nib:
    """A NIB (Nomor Induk Berusaha), the 13-digit business number issued by OSS-RBA.

    One per business; it has no public check digit, so only its shape is checked. A business
    number is not personal data and is shown in full.

    >>> Nib.parse("9120 0012 3456 7")
    Nib('9120001234567')
    """

    value: str = attrs.field(validator=_validate_nib)

    @classmethod
    def parse(cls, text: str) -> Nib:
        """Read a NIB with or without separators.

        Raises:
            ValidationError: The text is not 13 digits.
        """
        return cls(_clean(text, "nib", "13"))

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"Nib({self.value!r})"


PhoneType = Literal["mobile", "landline"]


def _validate_phone(_instance: object, _attribute: object, value: str) -> None:
    info = lokal.parse_phone(value) if isinstance(value, str) else None
    if info is None or not info.valid or info.e164 != value:
        raise ValidationError.single(
            "phone", "must be an Indonesian number in E.164 form, e.g. +6281234567890"
        )


@attrs.frozen(repr=False)
class PhoneNumber(_Masked):
    """An Indonesian phone number, kept in E.164 form (``+6281234567890``).

    Personal data: masked in ``str()`` and ``repr()``; :meth:`reveal` gives the E.164 form.

    >>> phone = PhoneNumber.parse("0812-3456-7890")
    >>> phone, phone.type
    (PhoneNumber('0812****7890'), 'mobile')
    >>> phone.reveal()
    '+6281234567890'
    """

    _e164: str = attrs.field(alias="e164", validator=_validate_phone)

    @classmethod
    def parse(cls, text: str) -> PhoneNumber:
        """Read a number written any common way: ``0812-3456-7890``, ``+62 812 3456 7890``.

        Raises:
            ValidationError: The text is not a valid Indonesian phone number.
        """
        if not isinstance(text, str):
            raise ValidationError.single("phone", "must be a string")
        info = lokal.parse_phone(text)
        if not info.valid or info.e164 is None:
            raise ValidationError.single(
                "phone", "is not a valid Indonesian phone number (e.g. 0812-3456-7890)"
            )
        return cls(info.e164)

    @property
    def type(self) -> PhoneType:
        """``mobile`` or ``landline``."""
        info = lokal.parse_phone(self._e164)
        return "landline" if info.type == "landline" else "mobile"

    def masked(self) -> str:
        """The masked national form: ``0812****7890``."""
        return lokal.partial_mask("PHONE", self._e164)

    def reveal(self) -> str:
        """The full number in E.164 form."""
        return self._e164
