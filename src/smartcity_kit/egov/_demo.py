"""Demo data: two cities' agencies, catalogues and a few hundred requests (for ``serve --demo``)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Final

from smartcity_kit.core import CityProfile, FixedClock, GeoPoint, Region, RegionCode, Rupiah
from smartcity_kit.egov._catalog import (
    Agency,
    AttributeValue,
    Datatype,
    Service,
    ServiceAttribute,
    ServiceStandard,
)
from smartcity_kit.egov._desk import ServiceDesk
from smartcity_kit.egov._requests import Classification, Location, Status
from smartcity_kit.storage import Database

__all__ = ["DEMO_CITIES", "seed_demo"]

#: The cities ``serve --demo`` seeds.
DEMO_CITIES: Final = ("makassar", "baubau")

_AGENCIES: Final = (
    ("dpu", "Dinas Pekerjaan Umum"),
    ("dlh", "Dinas Lingkungan Hidup"),
    ("dishub", "Dinas Perhubungan"),
    ("satpolpp", "Satuan Polisi Pamong Praja"),
    ("diskominfo", "Dinas Komunikasi dan Informatika"),
    ("inspektorat", "Inspektorat"),
)
_SIZE = ServiceAttribute(
    code="ukuran",
    datatype=Datatype.SINGLEVALUELIST,
    description="Seberapa besar kerusakannya? / How large is the damage?",
    order=1,
    required=True,
    values=(
        AttributeValue("kecil", "Kecil / Small"),
        AttributeValue("sedang", "Sedang / Medium"),
        AttributeValue("besar", "Besar / Large"),
    ),
)
_CHANNEL = "Pengaduan: kanal Open311 kota, SP4N-LAPOR! (lapor.go.id), atau loket Diskominfo"
# code, name, group, agency, working days, keywords, classification, description
_CATALOGUE: Final = (
    (
        "001",
        "Jalan rusak",
        "Infrastruktur",
        "dpu",
        10,
        ("jalan", "lubang", "aspal"),
        Classification.PENGADUAN,
        "Jalan berlubang, retak atau amblas / Damaged roads",
    ),
    (
        "002",
        "Saluran air tersumbat",
        "Infrastruktur",
        "dpu",
        7,
        ("drainase", "banjir", "got"),
        Classification.PENGADUAN,
        "Drainase tersumbat atau meluap / Clogged drains",
    ),
    (
        "003",
        "Sampah tidak diangkut",
        "Kebersihan",
        "dlh",
        3,
        ("sampah", "kebersihan"),
        Classification.PENGADUAN,
        "Sampah rumah tangga tidak diangkut / Waste not collected",
    ),
    (
        "004",
        "Lampu jalan mati",
        "Infrastruktur",
        "dishub",
        5,
        ("lampu", "pju", "gelap"),
        Classification.PENGADUAN,
        "Penerangan jalan umum padam / Street light out",
    ),
    (
        "005",
        "Parkir liar",
        "Ketertiban",
        "satpolpp",
        3,
        ("parkir", "trotoar"),
        Classification.PENGADUAN,
        "Parkir di trotoar atau badan jalan / Illegal parking",
    ),
    (
        "006",
        "Pengaduan pelayanan publik",
        "Pelayanan publik",
        "inspektorat",
        14,
        ("pelayanan", "pungli", "maladministrasi"),
        Classification.PENGADUAN,
        "Keluhan atas layanan kantor pemerintah kota / Complaints about a public service",
    ),
    (
        "007",
        "Permintaan informasi publik",
        "Informasi",
        "diskominfo",
        10,
        ("informasi", "ppid", "data"),
        Classification.PERMINTAAN_INFORMASI,
        "Permintaan informasi kepada PPID / Requests for public information",
    ),
)
_DESCRIPTIONS: Final = {
    "001": (
        "Lubang besar di tengah jalan, berbahaya untuk motor",
        "Aspal retak sepanjang 20 meter",
    ),
    "002": ("Got meluap setiap hujan", "Saluran tertutup sampah dan lumpur"),
    "003": ("Sampah belum diangkut tiga hari", "Bak sampah di lorong penuh"),
    "004": ("Lampu jalan padam sejak minggu lalu", "Tiga tiang lampu mati berturut-turut"),
    "005": ("Mobil parkir di trotoar depan sekolah", "Parkir liar menutup jalan masuk lorong"),
    "006": ("Antrean pelayanan KTP terlalu lama", "Petugas meminta biaya tidak resmi"),
    "007": ("Mohon data anggaran kelurahan tahun ini", "Minta salinan jadwal pengangkutan sampah"),
}


def _catalogue(city: str) -> list[Service]:
    services = []
    for code, name, group, agency, days, keywords, _kind, description in _CATALOGUE:
        standard = ServiceStandard(
            working_days=days,
            fee=Rupiah(0),
            requirements=("Identitas pelapor (boleh anonim)", "Lokasi dan uraian masalah"),
            procedure=(
                "Laporan diterima",
                "Verifikasi paling lama 3 hari kerja",
                "Disposisi ke OPD",
                "Tindak lanjut",
                "Selesai",
            ),
            output="Tindak lanjut dan jawaban kepada pelapor",
            complaint_channel=_CHANNEL,
            legal_basis=("UU 25/2009 tentang Pelayanan Publik", "Perpres 76/2013"),
        )
        services.append(
            Service(
                city=city,
                code=code,
                name=name,
                description=description,
                group=group,
                agency=agency,
                standard=standard,
                keywords=keywords,
                attributes=(_SIZE,) if code == "001" else (),
            )
        )
    return services


class _Caught(Exception):  # noqa: N818 - internal: the demo's walk reached "now"
    pass


def _later(clock: FixedClock, now: dt.datetime, hours: int) -> None:
    """Move the demo clock on, never past the real "now" (no history dated in the future)."""
    if clock.now() + dt.timedelta(hours=hours) > now:
        raise _Caught
    clock.advance(hours=hours)


def _walk(  # noqa: PLR0913, PLR0917 - the walk's state
    desk: ServiceDesk,
    clock: FixedClock,
    now: dt.datetime,
    rid: int,
    rng: random.Random,
    agency: str,
    previous: int | None,
) -> None:
    """Move a request along a plausible path, as staff would over the following days.

    ``previous`` is an earlier request of the same city, which a duplicate points at.
    """
    try:
        _steps(desk, clock, now, rid, rng, agency, previous)
    except _Caught:
        return


def _steps(  # noqa: PLR0913, PLR0917 - the walk's state
    desk: ServiceDesk,
    clock: FixedClock,
    now: dt.datetime,
    rid: int,
    rng: random.Random,
    agency: str,
    previous: int | None,
) -> None:
    fate = rng.random()
    if fate < 0.15:
        return
    _later(clock, now, rng.randint(2, 60))
    if fate < 0.22:
        desk.transition(
            rid, Status.REJECTED, actor="desk:demo", notes="Bukan kewenangan pemerintah kota"
        )
        return
    if fate < 0.27:
        if previous is not None:
            desk.transition(rid, Status.DUPLICATE, actor="desk:demo", duplicate_of=previous)
        return
    desk.transition(rid, Status.VERIFIED, actor="desk:demo", notes="Laporan lengkap")
    if fate < 0.35:
        return
    _later(clock, now, rng.randint(4, 72))
    if fate < 0.45:
        other = rng.choice([a for a, _ in _AGENCIES if a != agency])
        desk.transition(
            rid, Status.REFERRED, actor="desk:demo", agency=other, notes="Didisposisikan"
        )
        _later(clock, now, rng.randint(4, 96))
    desk.transition(rid, Status.IN_PROGRESS, actor="opd:demo", notes="Petugas ke lokasi")
    if fate < 0.6:
        return
    _later(clock, now, rng.randint(8, 24 * 12))
    desk.transition(rid, Status.RESOLVED, actor="opd:demo", notes="Sudah ditangani")


def seed_demo(
    db: Database, *, now: dt.datetime, requests_per_city: int = 300, seed: int = 7371
) -> dict[str, int]:
    """Seed the demo cities, once: agencies, catalogue, and requests over the last 90 days.

    Running it again adds nothing to a city that already has its requests.

    Returns:
        How many requests each city has.
    """
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    counts = {}
    for slug in DEMO_CITIES:
        city = CityProfile.builtin(slug)
        clock = FixedClock(now - dt.timedelta(days=90))
        desk = ServiceDesk(db, city, clock)
        if not desk.agencies():
            for code, name in _AGENCIES:
                desk.save_agency(Agency(city=slug, code=code, name=name), actor="demo")
            for service in _catalogue(slug):
                desk.save_service(service, actor="demo")
        existing = len(desk.search(limit=requests_per_city))
        districts = [r.code for r in Region.get(city.region_code).children()]
        bounds = city.bounds
        assert bounds is not None  # noqa: S101 - built-in cities have bounds
        previous: int | None = None
        for n in range(existing, requests_per_city):
            start = (
                now
                - dt.timedelta(days=90)
                + dt.timedelta(minutes=int(90 * 24 * 60 * n / requests_per_city))
            )
            clock.set(start + dt.timedelta(minutes=rng.randint(0, 60)))
            code, _name, _group, _agency, _days, _keywords, kind, _text = rng.choice(_CATALOGUE)
            district: RegionCode = rng.choice(districts)
            point = GeoPoint(
                rng.uniform(bounds.south + 0.05 * (bounds.north - bounds.south), bounds.north),
                rng.uniform(bounds.west + 0.5 * (bounds.east - bounds.west), bounds.east),
            )
            request = desk.submit(
                code,
                location=Location(point=point, district=district),
                description=rng.choice(_DESCRIPTIONS[code]),
                attributes={"ukuran": rng.choice(["kecil", "sedang", "besar"])}
                if code == "001"
                else {},
                classification=kind,
                actor="citizen:demo",
            )
            _walk(desk, clock, now, request.id, rng, request.agency, previous)
            previous = request.id
        counts[slug] = len(desk.search(limit=1_000_000))
    return counts
