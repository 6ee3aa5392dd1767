"""Indonesian addresses down to the RT/RW and the lorong."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs

from smartcity_kit.core._regions import Region, RegionCode, RegionKind, RegionLevel
from smartcity_kit.errors import NotFoundError, ValidationError

__all__ = ["Address"]

_POSTAL = re.compile(r"[1-9][0-9]{4}")


Validator = Callable[[Any, Any, Any], None]


def _optional_text(field: str, max_len: int) -> Validator:
    def check(_instance: object, _attribute: object, value: str | None) -> None:
        if value is None:
            return
        if not isinstance(value, str) or not value.strip():
            raise ValidationError.single(field, "must be non-empty text or left out")
        if len(value) > max_len:
            raise ValidationError.single(field, f"must be at most {max_len} characters")

    return check


def _neighbourhood_number(field: str) -> Validator:
    def check(_instance: object, _attribute: object, value: int | None) -> None:
        if value is None:
            return
        if type(value) is not int or not 1 <= value <= 999:
            raise ValidationError.single(field, "must be a number from 1 to 999")

    return check


def _check_village(_instance: object, _attribute: object, value: RegionCode) -> None:
    if not isinstance(value, RegionCode) or value.level != RegionLevel.VILLAGE:
        raise ValidationError.single(
            "village", "must be a kelurahan or desa code (PP.KK.CC.DDDD), e.g. 73.71.03.1005"
        )


def _check_postal(_instance: object, _attribute: object, value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or not _POSTAL.fullmatch(value)):
        raise ValidationError.single("postal_code", "must be 5 digits (kode pos), e.g. 90142")


@attrs.frozen
class Address:
    """A postal address, as Indonesian letters and forms write it.

    The village code fixes the kelurahan or desa, kecamatan, city and province; the postal code
    defaults to the village's kode pos. An address on its own is not personal data; beside a
    person's name it is, and is treated as such by the modules that hold both.

    >>> home = Address(
    ...     street="Jl. Veteran Selatan No. 12",
    ...     lorong="Lorong 3",
    ...     rt=3,
    ...     rw=5,
    ...     village=RegionCode.parse("73.71.03.1001"),
    ... )
    >>> home.postal_code
    '90142'
    >>> print(home.format())
    Jl. Veteran Selatan No. 12, Lorong 3, RT 003/RW 005, Kel. Maricaya, Kec. Makassar,
    Kota Makassar, Sulawesi Selatan 90142

    Attributes:
        village: The kelurahan or desa code.
        street: Street and house number (``Jl. ... No. 12``).
        lorong: The alley (lorong), the unit of Makassar's neighbourhood programmes.
        rt: Rukun tetangga number (neighbourhood unit), 1-999.
        rw: Rukun warga number (group of RTs), 1-999.
        postal_code: Kode pos; the village's when not given.
    """

    village: RegionCode = attrs.field(validator=_check_village)
    street: str | None = attrs.field(default=None, validator=_optional_text("street", 200))
    lorong: str | None = attrs.field(default=None, validator=_optional_text("lorong", 100))
    rt: int | None = attrs.field(default=None, validator=_neighbourhood_number("rt"))
    rw: int | None = attrs.field(default=None, validator=_neighbourhood_number("rw"))
    postal_code: str | None = attrs.field(default=None, validator=_check_postal)

    def __attrs_post_init__(self) -> None:
        if self.postal_code is None:
            try:
                found = Region.get(self.village).postal_code
            except NotFoundError:
                return
            object.__setattr__(self, "postal_code", found)

    @property
    def district(self) -> RegionCode:
        """The kecamatan."""
        return self.village.ancestors()[2]

    @property
    def city(self) -> RegionCode:
        """The kota or kabupaten."""
        return self.village.ancestors()[1]

    def rt_rw(self) -> str | None:
        """``RT 003/RW 005`` as written on an identity card, or None when neither is known."""
        parts = []
        if self.rt is not None:
            parts.append(f"RT {self.rt:03d}")
        if self.rw is not None:
            parts.append(f"RW {self.rw:03d}")
        return "/".join(parts) or None

    def format(self) -> str:
        """The address on one line, with region names from the Kemendagri data.

        Raises:
            NotFoundError: The village code is not in the current data.
        """
        village = Region.get(self.village)
        upper = village.ancestors()
        province, city, district = upper[0], upper[1], upper[2]
        village_prefix = "Kel." if village.kind == RegionKind.KELURAHAN else "Desa"
        district_prefix = "Distrik" if district.kind == RegionKind.DISTRIK else "Kec."
        parts = [
            self.street,
            self.lorong,
            self.rt_rw(),
            _with_prefix(village_prefix, village.name),
            _with_prefix(district_prefix, district.name),
            city.name,
            f"{province.name} {self.postal_code}" if self.postal_code else province.name,
        ]
        return ", ".join(p for p in parts if p)


def _with_prefix(prefix: str, name: str) -> str:
    """``Kel. Maricaya``; a name that already says what it is (``Desa Adat Yoboi``) stays."""
    already = ("desa", "kelurahan", "kecamatan", "distrik")
    return name if name.lower().startswith(already) else f"{prefix} {name}"
