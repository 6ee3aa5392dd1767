"""Hypothesis strategies for smartcity-kit's value types, for your own property tests.

Every strategy draws valid values built from real data: NIKs carry real district codes and
birth dates that are never in the future, NPWPs have correct check digits, addresses name real
villages.

>>> from hypothesis import given
>>> from smartcity_kit.testing import strategies as st_city
>>> @given(st_city.niks(sex=Sex.FEMALE))
... def test_women_have_40_added(nik):
...     assert int(nik.reveal()[6:8]) > 40
>>> test_women_have_40_added()
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence

import attrs
from hypothesis import strategies as st
from lokal import wilayah
from stdnum import luhn

from smartcity_kit.core import (
    BUILTIN_CITIES,
    Address,
    BoundingBox,
    CityProfile,
    GeoPoint,
    Nib,
    Nik,
    Nkk,
    Npwp,
    PhoneNumber,
    RegionCode,
    RegionLevel,
    Rupiah,
    Sex,
    TimeZone,
)
from smartcity_kit.economy import (
    Enterprise,
    EnterpriseStatus,
    EntryKind,
    JournalEntry,
    JournalLine,
    LegalForm,
    Sector,
)

__all__ = [
    "addresses",
    "city_profiles",
    "enterprises",
    "geo_points",
    "instants",
    "journal_entries",
    "nibs",
    "niks",
    "nkks",
    "npwps",
    "person_names",
    "phone_numbers",
    "region_codes",
    "rupiahs",
    "time_zones",
]


@functools.cache
def _children(parent: str | None) -> tuple[str, ...]:
    return tuple(w.code for w in wilayah.list_wilayah(parent))


@st.composite
def region_codes(
    draw: st.DrawFn, level: RegionLevel | None = None, within: RegionCode | None = None
) -> RegionCode:
    """Codes of real regions, at ``level`` (any level when None), inside ``within`` when given."""
    start = within.level if within is not None else 0
    target = level if level is not None else draw(st.sampled_from(RegionLevel))
    if target < start:
        msg = f"level {target!r} is above the level of {within}"
        raise ValueError(msg)
    code = within.value if within is not None else None
    for _ in range(start, target):
        code = draw(st.sampled_from(_children(code)))
    assert code is not None  # noqa: S101 - target >= 1, so the loop ran at least once
    return RegionCode(code)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@st.composite
def niks(draw: st.DrawFn, sex: Sex | None = None, within: RegionCode | None = None) -> Nik:
    """Valid NIKs with a real issuing district, a past birth date within the last 99 years."""
    district = draw(region_codes(level=RegionLevel.DISTRICT, within=within))
    today = _today()
    born = draw(st.dates(min_value=today - dt.timedelta(days=99 * 365), max_value=today))
    drawn_sex = sex if sex is not None else draw(st.sampled_from(Sex))
    day = born.day + (40 if drawn_sex is Sex.FEMALE else 0)
    serial = draw(st.integers(min_value=1, max_value=9999))
    region = district.value.replace(".", "")
    return Nik(f"{region}{day:02d}{born:%m%y}{serial:04d}")


@st.composite
def nkks(draw: st.DrawFn, within: RegionCode | None = None) -> Nkk:
    """Valid NKKs (family-card numbers) with a real district and a past entry date."""
    district = draw(region_codes(level=RegionLevel.DISTRICT, within=within))
    today = _today()
    entered = draw(st.dates(min_value=today - dt.timedelta(days=99 * 365), max_value=today))
    serial = draw(st.integers(min_value=1, max_value=9999))
    return Nkk(f"{district.value.replace('.', '')}{entered:%d%m%y}{serial:04d}")


@st.composite
def _entity_npwps(draw: st.DrawFn) -> Npwp:
    head = draw(st.from_regex(r"\A[0-9]{8}\Z"))
    tail = draw(st.from_regex(r"\A[0-9]{6}\Z"))
    return Npwp(f"0{head}{luhn.calc_check_digit(head)}{tail}")


def npwps(kind: str | None = None) -> st.SearchStrategy[Npwp]:
    """Valid NPWPs: ``entity`` (0 + 15 digits, correct check digit), ``individual_nik``, or both."""
    individual = niks().map(lambda nik: Npwp(nik.reveal()))
    if kind == "entity":
        return _entity_npwps()
    if kind == "individual_nik":
        return individual
    if kind is not None:
        msg = "kind must be 'entity', 'individual_nik' or None"
        raise ValueError(msg)
    return st.one_of(_entity_npwps(), individual)


def nibs() -> st.SearchStrategy[Nib]:
    """13-digit business numbers (NIB)."""
    return st.from_regex(r"\A[0-9]{13}\Z").filter(lambda s: set(s) != {"0"}).map(Nib)


def phone_numbers() -> st.SearchStrategy[PhoneNumber]:
    """Indonesian mobile and landline numbers."""
    mobile = st.from_regex(r"\A\+628[0-9]{8,11}\Z")
    landline = st.from_regex(r"\A\+62[2345679][0-9]{6,10}\Z")
    return st.one_of(mobile, landline).map(PhoneNumber)


def rupiahs(min_value: int = -(10**12), max_value: int = 10**12) -> st.SearchStrategy[Rupiah]:
    """Amounts of whole rupiah between the bounds (inclusive)."""
    return st.integers(min_value=min_value, max_value=max_value).map(Rupiah)


def time_zones() -> st.SearchStrategy[TimeZone]:
    """WIB, WITA or WIT."""
    return st.sampled_from(TimeZone)


def city_profiles() -> st.SearchStrategy[CityProfile]:
    """The built-in city profiles."""
    return st.sampled_from(tuple(BUILTIN_CITIES.values()))


@st.composite
def geo_points(draw: st.DrawFn, within: CityProfile | BoundingBox | None = None) -> GeoPoint:
    """Points anywhere on earth, or inside a city's bounds or a box."""
    box = within.bounds if isinstance(within, CityProfile) else within
    if box is None:
        if isinstance(within, CityProfile):
            msg = f"city {within.slug!r} has no bounds"
            raise ValueError(msg)
        box = BoundingBox(south=-90, west=-180, north=90, east=180)
    lat = draw(st.floats(min_value=box.south, max_value=box.north, allow_nan=False))
    lon = draw(st.floats(min_value=box.west, max_value=box.east, allow_nan=False))
    return GeoPoint(lat, lon)


_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "Zs", "Pd", "Po")),
    min_size=1,
    max_size=40,
).filter(lambda s: bool(s.strip()))


@st.composite
def addresses(draw: st.DrawFn, within: RegionCode | None = None) -> Address:
    """Addresses in real villages (inside ``within`` when given), with optional street details."""
    village = draw(region_codes(level=RegionLevel.VILLAGE, within=within))
    small = st.none() | st.integers(min_value=1, max_value=999)
    return Address(
        village=village,
        street=draw(st.none() | _TEXT),
        lorong=draw(st.none() | _TEXT),
        rt=draw(small),
        rw=draw(small),
    )


def instants(
    min_value: dt.datetime = dt.datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value: dt.datetime = dt.datetime(2100, 1, 1),  # noqa: DTZ001
) -> st.SearchStrategy[dt.datetime]:
    """UTC instants (aware datetimes), whole microseconds."""
    return st.datetimes(min_value=min_value, max_value=max_value, timezones=st.just(dt.UTC))


_NAME_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12).map(
    str.capitalize
)


def person_names(max_words: int = 4) -> st.SearchStrategy[str]:
    """Personal names: one to ``max_words`` capitalised words of 2 to 12 letters each."""
    return st.lists(_NAME_WORD, min_size=1, max_size=max_words).map(" ".join)


_ENTERPRISE_ID = st.from_regex(r"\A[a-z0-9][a-z0-9-]{1,30}[a-z0-9]\Z")


@st.composite
def enterprises(
    draw: st.DrawFn,
    *,
    within: RegionCode | None = None,
    founded: st.SearchStrategy[dt.date] | None = None,
    status: EnterpriseStatus | None = EnterpriseStatus.ACTIVE,
) -> Enterprise:
    """Valid neighbourhood enterprises (BULo) at a real kelurahan, with a lorong.

    Args:
        draw: Given by hypothesis.
        within: A region the kelurahan lies in (in one of the built-in cities when None, and
            the enterprise then belongs to that city).
        founded: The founding dates to draw from (2016-2026 when None).
        status: The status every drawn enterprise has (active by default; any when None).
    """
    if within is None:
        profile = draw(city_profiles())
        address = draw(addresses(within=profile.region_code))
        city = profile.slug
    else:
        address = draw(addresses(within=within))
        city = next(
            (p.slug for p in BUILTIN_CITIES.values() if p.region_code.contains(address.village)),
            "kota-lain",
        )
    return Enterprise(
        id=draw(_ENTERPRISE_ID),
        city=city,
        name=draw(_TEXT),
        address=attrs.evolve(address, lorong=draw(_TEXT)),
        sector=draw(st.sampled_from(Sector)),
        legal_form=draw(st.sampled_from(LegalForm)),
        founded=draw(
            founded if founded is not None else st.dates(dt.date(2016, 1, 1), dt.date(2026, 12, 31))
        ),
        nib=draw(st.none() | nibs()),
        mentor_agency=draw(st.none() | _TEXT),
        status=status if status is not None else draw(st.sampled_from(EnterpriseStatus)),
    )


def _parts(total: int, count: int) -> st.SearchStrategy[list[int]]:
    """``count`` whole amounts of at least 1 that add up to ``total`` (``total >= count``)."""
    if count == 1:
        return st.just([total])
    cuts = st.lists(
        st.integers(min_value=1, max_value=total - 1),
        min_size=count - 1,
        max_size=count - 1,
        unique=True,
    )

    def amounts(cut: list[int]) -> list[int]:
        bounds = [0, *sorted(cut), total]
        return [bounds[i + 1] - bounds[i] for i in range(count)]

    return cuts.map(amounts)


#: The kinds of plain bookkeeping: the kinds with rules of their own (savings, waste bank, SHU,
#: closing, reversal) are left out.
_PLAIN_KINDS = (
    EntryKind.GENERAL,
    EntryKind.OPENING,
    EntryKind.SALE,
    EntryKind.PURCHASE,
    EntryKind.EXPENSE,
    EntryKind.DEPRECIATION,
    EntryKind.CONTRIBUTION,
)


@st.composite
def journal_entries(  # noqa: PLR0913 - one keyword per knob
    draw: st.DrawFn,
    enterprise_id: str,
    accounts: Sequence[str],
    *,
    dates: st.SearchStrategy[dt.date] | None = None,
    members: Sequence[int] = (),
    kinds: Sequence[EntryKind] = _PLAIN_KINDS,
    max_lines: int = 6,
    max_total: int = 10_000_000,
) -> JournalEntry:
    """Balanced, unposted journal entries of ``enterprise_id`` over the account codes given.

    Each entry has one or more debit lines and one or more credit lines (2 to ``max_lines`` in
    all) whose amounts add up to the same total of Rp1 to ``max_total``.

    The entries do not know the books' rules: pass only accounts that the enterprise's chart
    holds, no savings account unless every line on it may name a member with enough savings, and
    neither ``1106`` nor ``2301``, which only the waste bank and the SHU operations post to.

    Args:
        draw: Given by hypothesis.
        enterprise_id: The enterprise the entries belong to.
        accounts: The account codes to draw lines from (at least one).
        dates: The accounting dates to draw from (2020-2030 when None).
        members: Member numbers a line may name (lines name no member when empty).
        kinds: The kinds to draw from (by default general, opening, sale, purchase, expense,
            depreciation and contribution: kinds with no rules of their own in the books).
        max_lines: The most lines an entry has (at least 2).
        max_total: The largest total of an entry, in rupiah (at most Rp1.000.000.000.000.000).
    """
    if not accounts or not kinds or max_lines < 2 or not 1 <= max_total <= 10**15:
        msg = "need accounts, kinds, max_lines >= 2 and 1 <= max_total <= 10**15"
        raise ValueError(msg)
    debits = draw(st.integers(min_value=1, max_value=min(max_lines - 1, max_total)))
    n_credits = draw(st.integers(min_value=1, max_value=min(max_lines - debits, max_total)))
    total = draw(st.integers(min_value=max(debits, n_credits), max_value=max_total))
    member = st.none() | st.sampled_from(members) if members else st.none()
    lines = [
        JournalLine.debit_of(draw(st.sampled_from(accounts)), Rupiah(amount), member=draw(member))
        for amount in draw(_parts(total, debits))
    ] + [
        JournalLine.credit_of(draw(st.sampled_from(accounts)), Rupiah(amount), member=draw(member))
        for amount in draw(_parts(total, n_credits))
    ]
    return JournalEntry(
        enterprise=enterprise_id,
        date=draw(
            dates if dates is not None else st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))
        ),
        description=draw(_TEXT),
        lines=draw(st.permutations(lines)),
        kind=draw(st.sampled_from(kinds)),
    )
