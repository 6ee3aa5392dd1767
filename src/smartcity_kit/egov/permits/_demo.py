"""Demo data for ``serve --demo`` and ``permits demo``: a permit desk in Makassar and Baubau."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any, Final

from smartcity_kit.core import CityProfile, FixedClock, Nib, Nik, Rupiah
from smartcity_kit.egov._catalog import Agency, Service, ServiceStandard, ServiceType
from smartcity_kit.egov._desk import ServiceDesk
from smartcity_kit.egov.permits._models import Applicant, Document, PermitApplication
from smartcity_kit.egov.permits._office import PermitOffice
from smartcity_kit.storage import Database

__all__ = ["PERMIT_AGENCY", "PERMIT_DEMO_CITIES", "permit_services", "seed_permits_demo"]

#: The cities the permit demo seeds.
PERMIT_DEMO_CITIES: Final = ("makassar", "baubau")
#: The code of the one-stop permit office in the demo catalogue.
PERMIT_AGENCY: Final = "dpmptsp"
_AGENCY_NAME: Final = "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu"
_CHANNEL: Final = "Pengaduan: loket DPMPTSP, kanal Open311 kota, atau SP4N-LAPOR! (lapor.go.id)"
_ACTOR: Final = "demo"


def permit_services(city: str) -> list[Service]:
    """The demo's permit services of ``city``: a building approval, a billboard, tourism."""
    common: dict[str, Any] = {
        "city": city,
        "agency": PERMIT_AGENCY,
        "type": ServiceType.BLACKBOX,
        "open311": False,  # applied for at the permit desk, not filed through Open311
    }
    return [
        Service(
            code="P01",
            name="Persetujuan Bangunan Gedung (PBG)",
            description="Izin membangun, mengubah atau merawat bangunan gedung / Building approval",
            group="Perizinan",
            keywords=("pbg", "imb", "bangunan"),
            standard=ServiceStandard(
                working_days=14,
                fee=Rupiah(1_250_000),
                requirements=(
                    "KTP pemohon",
                    "Bukti kepemilikan tanah (sertifikat)",
                    "Gambar rencana teknis bangunan",
                ),
                procedure=("Pengajuan", "Verifikasi berkas", "Pembayaran retribusi", "Terbit PBG"),
                output="Persetujuan Bangunan Gedung",
                complaint_channel=_CHANNEL,
                legal_basis=("PP 16/2021 tentang Bangunan Gedung",),
            ),
            **common,
        ),
        Service(
            code="P02",
            name="Izin Reklame",
            description="Izin memasang reklame / Billboard permit",
            group="Perizinan",
            keywords=("reklame", "baliho", "papan nama"),
            standard=ServiceStandard(
                working_days=5,
                fee=Rupiah(350_000),
                requirements=("KTP atau NIB pemohon", "Desain reklame", "Foto lokasi"),
                procedure=("Pengajuan", "Verifikasi berkas", "Pembayaran pajak", "Terbit izin"),
                output="Izin Reklame",
                complaint_channel=_CHANNEL,
                legal_basis=("Peraturan Daerah tentang Pajak Daerah",),
            ),
            **common,
        ),
        Service(
            code="P03",
            name="Tanda Daftar Usaha Pariwisata (TDUP)",
            description="Pendaftaran usaha pariwisata / Tourism business registration",
            group="Perizinan",
            keywords=("tdup", "pariwisata", "wisata"),
            standard=ServiceStandard(
                working_days=3,
                fee=Rupiah(0),
                requirements=("NIB", "Akta pendirian usaha"),
                procedure=("Pengajuan", "Verifikasi berkas", "Terbit TDUP"),
                output="Tanda Daftar Usaha Pariwisata",
                complaint_channel=_CHANNEL,
                legal_basis=("UU 10/2009 tentang Kepariwisataan",),
            ),
            **common,
        ),
    ]


def _document(item: int, name: str) -> Document:
    digest = hashlib.sha256(f"demo:{name}:{item}".encode()).hexdigest()
    media = "application/pdf" if name.endswith(".pdf") else "image/jpeg"
    return Document(
        item=item, name=name, sha256=digest, size=40_000 + 1_000 * item, media_type=media
    )


_Step = Callable[[PermitOffice, PermitApplication], PermitApplication]


def _attach_all(office: PermitOffice, a: PermitApplication) -> PermitApplication:
    for n, requirement in enumerate(a.checklist, start=1):
        name = requirement.split(" ")[0].lower() + f"-{n}.pdf"
        a = office.attach(a.id, _document(n, name), actor="loket:demo")
    return a


# Applicants per city: (name, NIK or NIB, service, how far it goes)
_APPLICANTS: Final = {
    "makassar": (
        ("Andi Nurhaliza", "7371104107900003", "P01", "issued"),
        ("CV Losari Kreatif", "9120001234567", "P02", "issued"),
        ("Muhammad Rizal", "7371061511850004", "P01", "fee_paid"),
        ("PT Pantai Bahari", "8120007654321", "P03", "requirements_incomplete"),
        ("CV Toraja Kopi", "9120009876543", "P02", "rejected"),
    ),
    "baubau": (
        ("Waode Sitti Hasanah", "7472015508950001", "P01", "issued"),
        ("CV Benteng Wolio", "9120005550011", "P03", "issued"),
        ("La Ode Rahman", "7472031203880002", "P02", "revoked"),
        ("CV Kasuami Jaya", "9120005550022", "P02", "verified"),
        ("Wa Ode Nurmi", "7472024401920005", "P02", "submitted"),
        ("CV Pantai Nirwana", "9120005550033", "P03", "draft"),
    ),
}
_ORDER: Final = (
    "draft",
    "submitted",
    "requirements_incomplete",
    "verified",
    "fee_paid",
    "rejected",
    "issued",
    "revoked",
)


def _walk(  # noqa: PLR0911 - one return per stage reached
    office: PermitOffice, clock: FixedClock, a: PermitApplication, goal: str
) -> PermitApplication:
    """Take an application as far as ``goal``, a working day or so per step."""
    reached = _ORDER.index(goal)
    a = _attach_all(office, a)
    if reached < _ORDER.index("submitted"):
        return a
    clock.advance(hours=2)
    a = office.submit(a.id, actor="loket:demo")
    clock.advance(days=1)
    if goal == "submitted":
        return a
    if goal == "requirements_incomplete":
        return office.return_incomplete(
            a.id, [2], actor="verifikator:demo", notes="Akta belum dilegalisir"
        )
    a = office.verify(a.id, actor="verifikator:demo", notes="Berkas lengkap")
    if goal == "verified":
        return a
    clock.advance(days=1)
    if a.fee_due:
        a = office.record_payment(a.id, a.fee, f"BANK-DEMO-{a.id:05d}", actor="kasir:demo")
    if goal == "fee_paid":
        return a
    clock.advance(days=1)
    if goal == "rejected":
        return office.reject(a.id, "Lokasi reklame berada di kawasan larangan", actor="kepala:demo")
    a = office.approve(a.id, actor="kepala:demo")
    a = office.issue(a.id, actor="kepala:demo")
    if goal == "revoked":
        clock.advance(days=3)
        a = office.revoke(a.id, "Reklame dipasang tidak sesuai izin", actor="kepala:demo")
    return a


def _applicant(name: str, number: str) -> Applicant:
    if len(number) == 16:
        return Applicant.person(name, Nik(number))
    return Applicant.business(name, Nib(number))


def seed_permits_demo(db: Database, *, now: dt.datetime) -> dict[str, int]:
    """Seed each demo city's permit desk, once.

    Adds the permit office (``dpmptsp``) and three permit services to the city's catalogue
    (:func:`permit_services`), then applications at every stage, from draft to issued and
    revoked, within the eight weeks before ``now``. A city that already has permit applications
    is left as it is, so running it again writes nothing.

    Returns:
        How many applications each city has.
    """
    counts = {}
    # Makassar's permits are issued five weeks before Baubau's: a month apart, so the two
    # cities' numbers (same pattern, same office code) differ by their month.
    for slug, start in zip(PERMIT_DEMO_CITIES, (56, 21), strict=True):
        city = CityProfile.builtin(slug)
        clock = FixedClock(now - dt.timedelta(days=start))
        desk = ServiceDesk(db, city, clock)
        office = PermitOffice(db, city, clock)
        if not office.search(limit=1):
            if PERMIT_AGENCY not in {a.code for a in desk.agencies()}:
                desk.save_agency(
                    Agency(city=slug, code=PERMIT_AGENCY, name=_AGENCY_NAME), actor=_ACTOR
                )
            known = {s.code for s in desk.services()}
            for service in permit_services(slug):
                if service.code not in known:
                    desk.save_service(service, actor=_ACTOR)
            for i, (name, number, service_code, goal) in enumerate(_APPLICANTS[slug]):
                clock.set(now - dt.timedelta(days=start - 2 * i, hours=-1))
                application = office.apply(
                    service_code, _applicant(name, number), actor="loket:demo"
                )
                _walk(office, clock, application, goal)
        counts[slug] = len(office.search(limit=1_000_000))
    return counts
