"""Demo data: Makassar's cooperation register, from the partners named in the sources.

The partners and the ENGIE INEO agreement on hold come from the project's sources; the dates,
terms, numbers, references, activities and document fingerprints are illustrative, placed
around the day the demo is seeded so that the register always shows agreements in force, one
expired, some ending soon and one on hold.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from smartcity_kit.core import CityProfile, FixedClock, RegionCode
from smartcity_kit.egov import _store as desk_store
from smartcity_kit.egov.cooperation._models import (
    Activity,
    Agreement,
    AgreementStatus,
    Approval,
    Document,
    Partner,
    Term,
)
from smartcity_kit.egov.cooperation._register import CooperationRegister
from smartcity_kit.errors import ConfigurationError
from smartcity_kit.storage import Database

__all__ = ["DEMO_CITY", "seed_cooperation_demo"]

#: The city whose register the demo fills.
DEMO_CITY: Final = "makassar"
_ACTOR: Final = "demo"
_F8: Final = "Festival F8, Pantai Losari, Makassar"

# code, kind, name, country, region code
_PARTNERS: Final = (
    ("tual", "indonesian_region", "Kota Tual", "ID", "81.72"),
    ("surakarta", "indonesian_region", "Kota Surakarta (Solo)", "ID", "33.72"),
    ("yogyakarta", "indonesian_region", "Kota Yogyakarta", "ID", "34.71"),
    ("baubau", "indonesian_region", "Kota Baubau", "ID", "74.72"),
    ("palembang", "indonesian_region", "Kota Palembang", "ID", "16.71"),
    ("gothenburg", "foreign_city", "Göteborgs Stad (Gothenburg)", "SE", None),
    ("incheon", "foreign_city", "Incheon Metropolitan City", "KR", None),
    ("kaohsiung", "foreign_city", "Kaohsiung City Government", "TW", None),
    ("cape-town", "foreign_city", "City of Cape Town", "ZA", None),
    ("ie-singapore", "foreign_government", "International Enterprise Singapore", "SG", None),
    ("engie-ineo", "foreign_private", "ENGIE INEO", "FR", None),
)


def _doc(name: str) -> Document:
    return Document.of(name, f"smartcity-kit demo document: {name}".encode())


def seed_cooperation_demo(db: Database, *, today: dt.date) -> dict[str, int]:
    """Fill Makassar's cooperation register, once; running it again adds nothing.

    Needs Makassar's agencies (the complaint desk's demo, :func:`smartcity_kit.egov._demo.
    seed_demo`, adds them).

    Returns:
        How many partners, agreements and activities the register holds.

    Raises:
        ConfigurationError: Makassar has no ``diskominfo`` agency yet.
    """
    city = CityProfile.builtin(DEMO_CITY)
    noon = dt.datetime.combine(today, dt.time(12), tzinfo=city.time_zone.zone)
    clock = FixedClock(noon)
    register = CooperationRegister(db, city, clock)
    if not register.partners():
        with db.reading() as conn:
            known = conn.execute(
                desk_store.AGENCY_EXISTS, {"city": DEMO_CITY, "code": "diskominfo"}
            ).first()
        if known is None:
            msg = "the cooperation demo needs Makassar's agencies: seed the desk's demo first"
            raise ConfigurationError(msg)
        _seed(register, clock, today)
    agreements = register.agreements(today=today)
    return {
        "partners": len(register.partners()),
        "agreements": len(agreements),
        "activities": sum(len(register.activities(a.id)) for a in agreements),
    }


def _seed(register: CooperationRegister, clock: FixedClock, today: dt.date) -> None:
    year = today.year
    for code, kind, name, country, region in _PARTNERS:
        register.add_partner(
            Partner(
                city=DEMO_CITY,
                code=code,
                kind=kind,
                name=name,
                country=country,
                region_code=RegionCode(region) if region else None,
            ),
            actor=_ACTOR,
        )

    def signed(agreement: Agreement, on: dt.date, event: str | None = None, **kw: Any) -> int:
        added = register.add_agreement(agreement, actor=_ACTOR)
        if added.status is AgreementStatus.DRAFT:
            register.transition(added.id, "negotiating", actor=_ACTOR)
        for approval in kw.get("approvals", ()):
            register.record_approval(added.id, approval, actor=_ACTOR)
        register.transition(added.id, "active", actor=_ACTOR, signed_on=on, signing_event=event)
        return added.id

    def approvals(partner: str, signed_on: dt.date) -> tuple[Approval, ...]:
        before = signed_on - dt.timedelta(days=30)
        return (
            Approval(
                "dprd",
                "approved",
                f"172/{partner.upper()}/DPRD/{before.year}",
                before - dt.timedelta(days=30),
            ),
            Approval("kemendagri", "approved", f"193/KSDLN/{before.year}", before),
        )

    def mk(partner: str, kind: str, title: str, fields: list[str], **kw: Any) -> Agreement:
        return Agreement(
            city=DEMO_CITY,
            partner=partner,
            kind=kind,
            title=title,
            fields=fields,
            agencies=kw.pop("agencies", ["diskominfo"]),
            **kw,
        )

    f8_two_years_ago = dt.date(year - 2, 9, 8)
    f8_last_year = dt.date(year - 1, 9, 8)

    # Tual: an MoU signed at F8, and the PKS that implements it.
    tual_mou = signed(
        mk(
            "tual",
            "mou",
            "Kesepakatan bersama pengembangan smart city Kota Tual",
            ["smart_city", "e_government", "hr_training"],
            number=f"119/KB/TUAL-MKS/IX/{year - 2}",
            term=Term.years(f8_two_years_ago, 5),
            renewal="by_amendment",
            documents=[_doc("Kesepakatan Bersama Makassar-Tual.pdf")],
        ),
        f8_two_years_ago,
        _F8,
    )
    tual_pks = signed(
        mk(
            "tual",
            "pks",
            "Perjanjian kerja sama replikasi aplikasi layanan publik dan pelatihan aparatur",
            ["e_government", "hr_training"],
            implements=tual_mou,
            term=Term.years(dt.date(year - 1, 3, 1), 2),
            documents=[_doc("PKS Makassar-Tual.pdf")],
        ),
        dt.date(year - 1, 2, 20),
    )
    register.add_activity(
        Activity(
            agreement_id=tual_pks,
            kind="training",
            title="Bimbingan teknis smart city untuk aparatur Kota Tual",
            starts=dt.date(year - 1, 4, 14),
            ends=dt.date(year - 1, 4, 16),
            participants=24,
            outcome="Aparatur Diskominfo Tual mengelola dasbor pengaduan sendiri",
        ),
        actor=_ACTOR,
    )

    # Surakarta (Solo) and Yogyakarta: an LoI that has expired and the MoU that followed it,
    # an LoI, an MoU under negotiation.
    f8_three_years_ago = dt.date(year - 3, 9, 8)
    solo_loi = register.add_agreement(
        mk(
            "surakarta",
            "loi",
            "Surat minat kerja sama kota cerdas",
            ["smart_city", "culture"],
            term=Term.years(f8_three_years_ago, 1),
            status="negotiating",
        ),
        actor=_ACTOR,
    )
    now = clock.now()
    clock.set(now.replace(year=f8_three_years_ago.year, month=9, day=8))  # signed back then
    register.transition(
        solo_loi.id, "active", actor=_ACTOR, signed_on=f8_three_years_ago, signing_event=_F8
    )
    clock.set(now)
    signed(
        mk(
            "surakarta",
            "mou",
            "Kesepakatan bersama kota cerdas, budaya dan pariwisata",
            ["smart_city", "culture", "tourism"],
            term=Term.years(f8_last_year, 5),
        ),
        f8_last_year,
        _F8,
    )
    signed(
        mk(
            "yogyakarta",
            "loi",
            "Surat minat kerja sama e-government",
            ["e_government", "smart_economy"],
            term=Term.years(f8_last_year, 2),
        ),
        f8_last_year,
        _F8,
    )
    register.add_agreement(
        mk(
            "yogyakarta",
            "mou",
            "Kesepakatan bersama e-government dan ekonomi cerdas",
            ["e_government", "smart_economy"],
            status="negotiating",
        ),
        actor=_ACTOR,
    )

    # Baubau: the MoU and the PKS under which Baubau adopts Makassar's applications.
    baubau_mou = signed(
        mk(
            "baubau",
            "mou",
            "Kesepakatan bersama penerapan smart city Kota Baubau",
            ["smart_city", "e_government"],
            term=Term.years(f8_two_years_ago, 5),
            renewal="by_amendment",
        ),
        f8_two_years_ago,
        _F8,
    )
    baubau_pks = signed(
        mk(
            "baubau",
            "pks",
            "Perjanjian kerja sama penggunaan aplikasi perizinan dan layanan Kota Makassar",
            ["e_government", "technology", "hr_training"],
            implements=baubau_mou,
            term=Term.years(dt.date(year - 1, 1, 15), 3),
            documents=[_doc("PKS Makassar-Baubau aplikasi perizinan.pdf")],
        ),
        dt.date(year - 1, 1, 10),
    )
    register.add_activity(
        Activity(
            agreement_id=baubau_pks,
            kind="app_deployment",
            title="Pemasangan aplikasi perizinan dan pengaduan Makassar di Baubau",
            starts=dt.date(year - 1, 2, 3),
            ends=dt.date(year - 1, 2, 28),
            participants=6,
            outcome="Layanan perizinan Baubau berjalan di aplikasi yang sama",
        ),
        actor=_ACTOR,
    )
    register.add_activity(
        Activity(
            agreement_id=baubau_pks,
            kind="training",
            title="Pelatihan operator layanan perizinan Kota Baubau",
            starts=dt.date(year - 1, 3, 9),
            ends=dt.date(year - 1, 3, 11),
            participants=30,
            outcome="30 operator dilatih",
        ),
        actor=_ACTOR,
    )

    # Palembang: a one-year LoI that ends in 45 days (a reminder).
    palembang_end = today + dt.timedelta(days=45)
    signed(
        mk(
            "palembang",
            "loi",
            "Surat minat kerja sama smart city",
            ["smart_city"],
            term=Term(palembang_end - dt.timedelta(days=364), palembang_end),
        ),
        palembang_end - dt.timedelta(days=364),
    )

    # Sister cities: MoUs with the DPRD's and the Home Affairs minister's approvals.
    gothenburg_on = dt.date(year - 3, 5, 20)
    gothenburg = signed(
        mk(
            "gothenburg",
            "mou",
            "Sister city: smart city, sustainable infrastructure and culture",
            ["smart_city", "infrastructure", "culture"],
            agencies=["diskominfo", "dpu"],
            term=Term.years(gothenburg_on, 5),
            renewal="automatic",
        ),
        gothenburg_on,
        approvals=approvals("gothenburg", gothenburg_on),
    )
    register.add_activity(
        Activity(
            agreement_id=gothenburg,
            kind="study_visit",
            title="Study visit on waste and water management",
            starts=dt.date(year - 2, 10, 6),
            ends=dt.date(year - 2, 10, 10),
            participants=8,
            outcome="Pilot plan for the city's drainage sensors",
        ),
        actor=_ACTOR,
    )
    incheon_end = today + dt.timedelta(days=60)
    incheon_start = incheon_end - dt.timedelta(days=3 * 365)
    signed(
        mk(
            "incheon",
            "mou",
            "Sister city: smart city technology, trade and tourism",
            ["smart_city", "technology", "trade", "tourism"],
            term=Term(incheon_start, incheon_end),
            renewal="by_amendment",
        ),
        incheon_start,
        approvals=approvals("incheon", incheon_start),
    )
    kaohsiung_on = dt.date(year - 2, 11, 2)
    kaohsiung = signed(
        mk(
            "kaohsiung",
            "mou",
            "Sister city: smart economy and tourism",
            ["smart_city", "smart_economy", "tourism"],
            term=Term.years(kaohsiung_on, 5),
        ),
        kaohsiung_on,
        approvals=approvals("kaohsiung", kaohsiung_on),
    )
    register.add_activity(
        Activity(
            agreement_id=kaohsiung,
            kind="study_visit",
            title="Study visit: Kaohsiung's smart city operation centre",
            starts=dt.date(year - 1, 5, 12),
            ends=dt.date(year - 1, 5, 15),
            participants=10,
            outcome="Ideas for the war room's camera wall",
        ),
        actor=_ACTOR,
    )
    signed(
        mk(
            "cape-town",
            "loi",
            "Letter of intent: smart city and smart security",
            ["smart_city", "smart_security"],
            agencies=["diskominfo", "satpolpp"],
            term=Term.years(dt.date(year - 1, 7, 1), 3),
        ),
        dt.date(year - 1, 7, 1),
    )

    # IE Singapore, a foreign government agency.
    singapore_on = dt.date(year - 1, 6, 15)
    signed(
        mk(
            "ie-singapore",
            "mou",
            "Memorandum of understanding on trade, enterprise and training",
            ["smart_economy", "trade", "hr_training"],
            term=Term.years(singapore_on, 3),
        ),
        singapore_on,
        approvals=approvals("ie-singapore", singapore_on),
    )

    # ENGIE INEO, a foreign private party: on hold until the central government's review.
    engie = register.add_agreement(
        mk(
            "engie-ineo",
            "mou",
            "Smart city infrastructure: street lighting and city operation centre",
            ["smart_city", "infrastructure", "technology"],
            agencies=["diskominfo", "dpu"],
            term=Term.years(dt.date(year, 1, 1), 5),
            status="negotiating",
        ),
        actor=_ACTOR,
    )
    register.transition(
        engie.id,
        "awaiting_central_review",
        actor=_ACTOR,
        notes="Dikirim ke pemerintah pusat untuk dikaji (kerja sama dengan swasta asing)",
    )
    register.transition(
        engie.id,
        "on_hold",
        actor=_ACTOR,
        notes="Di-hold: menunggu hasil kajian pemerintah pusat",
    )
    register.apply_terms(actor=_ACTOR)
