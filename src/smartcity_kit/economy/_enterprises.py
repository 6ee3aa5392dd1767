"""Neighbourhood enterprises (BULo, Badan Usaha Lorong) and their members: pure models."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable
from typing import Any, Final, TypeVar

import attrs

from smartcity_kit.core import BUILTIN_CITIES, Address, Nib, Nik, RegionCode, mask_name
from smartcity_kit.errors import ValidationError

__all__ = [
    "Enterprise",
    "EnterpriseStatus",
    "LegalForm",
    "Member",
    "MemberRole",
    "SavingsKind",
    "Sector",
]

_E = TypeVar("_E", bound=enum.Enum)


def choice(enum_type: type[_E], field: str, value: object) -> _E:
    """``value`` as a member of ``enum_type``, or a ValidationError naming ``field``."""
    try:
        return enum_type(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum_type)
        raise ValidationError.single(field, f"must be one of: {allowed}") from None


_ID: Final = re.compile(r"[a-z0-9][a-z0-9-]{1,62}[a-z0-9]")
_Validator = Callable[[Any, Any, Any], None]


class Sector(enum.StrEnum):
    """What an enterprise does (the sectors of Makassar's BULo programme)."""

    URBAN_FARMING = "urban_farming"
    PROCESSED_FOOD = "processed_food"
    CRAFTS = "crafts"
    WASTE_BANK = "waste_bank"
    CULINARY = "culinary"
    TOURISM_ALLEY = "tourism_alley"
    SERVICES = "services"

    @property
    def label_id(self) -> str:
        """The Indonesian label (``Lorong Garden / pertanian kota`` ...)."""
        return _SECTOR_LABELS[self]


_SECTOR_LABELS: Final = {
    Sector.URBAN_FARMING: "Pertanian kota (Lorong Garden)",
    Sector.PROCESSED_FOOD: "Olahan pangan",
    Sector.CRAFTS: "Kerajinan",
    Sector.WASTE_BANK: "Bank sampah",
    Sector.CULINARY: "Kuliner",
    Sector.TOURISM_ALLEY: "Lorong wisata",
    Sector.SERVICES: "Jasa",
}


class LegalForm(enum.StrEnum):
    """The enterprise's legal form."""

    COMMUNITY_GROUP = "community_group"
    """Kelompok masyarakat: an unincorporated residents' group."""
    COOPERATIVE = "cooperative"
    """Koperasi: members own it and share its surplus (SHU)."""
    VILLAGE_UNIT = "village_unit"
    """A unit run like a BUMDes (Badan Usaha Milik Desa) business unit."""

    @property
    def label_id(self) -> str:
        """The Indonesian label."""
        return _FORM_LABELS[self]


_FORM_LABELS: Final = {
    LegalForm.COMMUNITY_GROUP: "Kelompok masyarakat",
    LegalForm.COOPERATIVE: "Koperasi",
    LegalForm.VILLAGE_UNIT: "Unit usaha (seperti BUMDes)",
}


class EnterpriseStatus(enum.StrEnum):
    """Whether an enterprise trades."""

    ACTIVE = "active"
    DORMANT = "dormant"
    """Not trading for now (tidak aktif); its books stay open."""
    DISSOLVED = "dissolved"
    """Wound up (bubar); its books refuse new postings."""


class MemberRole(enum.StrEnum):
    """A member's office in the enterprise."""

    CHAIR = "chair"
    """Ketua."""
    SECRETARY = "secretary"
    """Sekretaris."""
    TREASURER = "treasurer"
    """Bendahara."""
    MEMBER = "member"
    """Anggota."""


class SavingsKind(enum.StrEnum):
    """The kinds of member savings (simpanan) of a cooperative, and a waste bank's savings book."""

    PRINCIPAL = "principal"
    """Simpanan pokok: paid once on joining; returned only when the member leaves (equity)."""
    MANDATORY = "mandatory"
    """Simpanan wajib: paid regularly as the articles say (equity)."""
    VOLUNTARY = "voluntary"
    """Simpanan sukarela: deposited and withdrawn at will (a debt to the member)."""
    WASTE = "waste"
    """Tabungan bank sampah: the value of waste the member brought in (a debt to the member)."""

    @property
    def label_id(self) -> str:
        """The Indonesian label."""
        return _SAVINGS_LABELS[self]


_SAVINGS_LABELS: Final = {
    SavingsKind.PRINCIPAL: "Simpanan pokok",
    SavingsKind.MANDATORY: "Simpanan wajib",
    SavingsKind.VOLUNTARY: "Simpanan sukarela",
    SavingsKind.WASTE: "Tabungan bank sampah",
}


def _to_sector(value: object) -> Sector:
    return choice(Sector, "sector", value)


def _to_legal_form(value: object) -> LegalForm:
    return choice(LegalForm, "legal_form", value)


def _to_status(value: object) -> EnterpriseStatus:
    return choice(EnterpriseStatus, "status", value)


def _to_role(value: object) -> MemberRole:
    return choice(MemberRole, "role", value)


def _check_id(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise ValidationError.single(
            "id",
            "must be 3-64 lower-case letters, digits and dashes, e.g. 'mks-tamalate-bulo-01'",
        )


def _text(field: str, max_len: int, *, optional: bool = False) -> _Validator:
    def check(_instance: object, _attribute: object, value: str | None) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or not value.strip():
            raise ValidationError.single(field, "must be non-empty text")
        if len(value) > max_len:
            raise ValidationError.single(field, f"must be at most {max_len} characters")

    return check


def _check_date(field: str, *, optional: bool = False) -> _Validator:
    def check(_instance: object, _attribute: object, value: dt.date | None) -> None:
        if value is None and optional:
            return
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise ValidationError.single(field, "must be a date (YYYY-MM-DD)")

    return check


def _check_address(_instance: object, _attribute: object, value: Address) -> None:
    if not isinstance(value, Address):
        raise ValidationError.single("address", "must be an Address with a kelurahan code")
    if value.lorong is None:
        raise ValidationError.single("address.lorong", "must name the lorong (alley)")


@attrs.frozen
class Enterprise:
    """A neighbourhood enterprise (BULo): who it is, where, and what it does.

    >>> from smartcity_kit.core import Address, RegionCode
    >>> bulo = Enterprise(
    ...     id="mks-maricaya-01",
    ...     city="makassar",
    ...     name="BULo Lorong Sehati",
    ...     address=Address(
    ...         village=RegionCode.parse("73.71.03.1001"), lorong="Lorong 3", rt=3, rw=5
    ...     ),
    ...     sector=Sector.PROCESSED_FOOD,
    ...     legal_form=LegalForm.COOPERATIVE,
    ...     founded=dt.date(2017, 8, 17),
    ... )
    >>> str(bulo.district)
    '73.71.03'

    Attributes:
        id: A stable identifier chosen by the city (lower-case, digits, dashes).
        city: The city profile id that owns the record (``makassar``, ``baubau``); for a
            built-in city the kelurahan must lie in it.
        name: The enterprise's name.
        address: Where it is: kelurahan code, lorong, RT/RW (the lorong is required).
        sector: What it does.
        legal_form: Community group, cooperative or BUMDes-like unit.
        founded: The founding date.
        nib: The NIB (business number from OSS-RBA) when it has one.
        mentor_agency: The city office (OPD) or kecamatan that mentors it.
        status: Active, dormant or dissolved.
    """

    id: str = attrs.field(validator=_check_id)
    city: str = attrs.field(validator=_text("city", 64))
    name: str = attrs.field(validator=_text("name", 200))
    address: Address = attrs.field(validator=_check_address)
    sector: Sector = attrs.field(converter=_to_sector)
    legal_form: LegalForm = attrs.field(converter=_to_legal_form)
    founded: dt.date = attrs.field(validator=_check_date("founded"))
    nib: Nib | None = attrs.field(default=None)
    mentor_agency: str | None = attrs.field(
        default=None,
        validator=_text("mentor_agency", 200, optional=True),
    )
    status: EnterpriseStatus = attrs.field(default=EnterpriseStatus.ACTIVE, converter=_to_status)

    def __attrs_post_init__(self) -> None:
        profile = BUILTIN_CITIES.get(self.city)
        if profile is not None and not profile.region_code.contains(self.address.village):
            raise ValidationError.single(
                "address.village",
                f"{self.address.village} is not in {profile.name} ({profile.region_code})",
            )

    @nib.validator
    def _check_nib(self, _attribute: object, value: Nib | None) -> None:
        if value is not None and not isinstance(value, Nib):
            raise ValidationError.single("nib", "must be a Nib (13 digits) or left out")

    @property
    def district(self) -> RegionCode:
        """The kecamatan (from the address)."""
        return self.address.district

    @property
    def village(self) -> RegionCode:
        """The kelurahan (from the address)."""
        return self.address.village


def _check_nik(_instance: object, _attribute: object, value: Nik | None) -> None:
    if value is not None and not isinstance(value, Nik):
        raise ValidationError.single("nik", "must be a Nik or left out")


def _check_number(_instance: object, _attribute: object, value: int) -> None:
    if type(value) is not int or value < 0:
        raise ValidationError.single("number", "must be a whole number (0 before it is stored)")


@attrs.frozen(repr=False)
class Member:
    """A resident who belongs to an enterprise (anggota, or nasabah of a waste bank).

    The name and NIK are personal data: the repr masks them, and so do API responses unless the
    caller may see them.

    >>> m = Member(
    ...     enterprise="mks-maricaya-01",
    ...     number=1,
    ...     name="Andi Nurhaliza",
    ...     nik=Nik.parse("7371105508950001"),
    ...     joined=dt.date(2020, 1, 6),
    ...     role=MemberRole.TREASURER,
    ... )
    >>> m
    Member(enterprise='mks-maricaya-01', number=1, name='A*** N***', nik=Nik('737110******0001'), role='treasurer')

    Attributes:
        enterprise: The enterprise's id.
        number: The member number within the enterprise (given when stored; 0 before).
        name: Full name (personal data).
        nik: The population number (personal data), when given.
        joined: The joining date.
        role: Chair, secretary, treasurer or member.
        left: The date the member left, if they have.
    """  # noqa: E501 - the doctest shows a whole repr

    enterprise: str = attrs.field(validator=_check_id)
    number: int = attrs.field(validator=_check_number)
    name: str = attrs.field(validator=_text("name", 200))
    nik: Nik | None = attrs.field(validator=_check_nik)
    joined: dt.date = attrs.field(validator=_check_date("joined"))
    role: MemberRole = attrs.field(default=MemberRole.MEMBER, converter=_to_role)
    left: dt.date | None = attrs.field(
        default=None,
        validator=_check_date("left", optional=True),
    )

    def __attrs_post_init__(self) -> None:
        if self.left is not None and self.left < self.joined:
            raise ValidationError.single("left", "must not be before the joining date")

    @property
    def masked_name(self) -> str:
        """The name with all but each word's first letter hidden."""
        return mask_name(self.name)

    def active_on(self, day: dt.date) -> bool:
        """Whether the member belonged to the enterprise on ``day``."""
        return self.joined <= day and (self.left is None or day <= self.left)

    def __repr__(self) -> str:
        return (
            f"Member(enterprise={self.enterprise!r}, number={self.number}, "
            f"name={self.masked_name!r}, nik={self.nik!r}, role={str(self.role)!r})"
        )
