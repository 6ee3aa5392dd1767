"""The permit office: applications, every lifecycle rule, deadlines, numbers, verification."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from smartcity_kit.core import CityProfile, FixedClock, Nib, Nik, Rupiah
from smartcity_kit.egov import Agency, Service, ServiceDesk, ServiceStandard
from smartcity_kit.egov.permits import (
    PERMIT_TRANSITIONS,
    Applicant,
    ApplicantKind,
    Document,
    PermitApplication,
    PermitNumberFormat,
    PermitOffice,
    PermitRules,
    PermitStatus,
    check_number,
)
from smartcity_kit.errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    ValidationError,
)
from smartcity_kit.storage import AuditLog, Database

BAUBAU = CityProfile.builtin("baubau")
MAKASSAR = CityProfile.builtin("makassar")
# Monday 2 November 2026, 09:00 WITA.
MONDAY = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
PERSON = Applicant.person("Waode Sitti Hasanah", Nik("7472015508950001"))
BUSINESS = Applicant.business("CV Benteng Wolio", Nib("9120005550011"))
S = PermitStatus


def catalogue(db: Database, clock: FixedClock, city: CityProfile = BAUBAU) -> None:
    """The permit office and its services: PBG (fee, 3 items, 5 days), TDUP (free, 2, 3)."""
    desk = ServiceDesk(db, city, clock)
    desk.save_agency(Agency(city.slug, "dpmptsp", "DPMPTSP"), actor="admin")
    desk.save_agency(Agency(city.slug, "dinas_pu", "Dinas PU"), actor="admin")
    for code, days, fee, items, agency in (
        ("P01", 5, 1_250_000, ("KTP", "Sertifikat tanah", "Gambar teknis"), "dpmptsp"),
        ("P03", 3, 0, ("NIB", "Akta"), "dpmptsp"),
        ("P09", 3, 0, ("KTP",), "dinas_pu"),
    ):
        desk.save_service(
            Service(
                city=city.slug,
                code=code,
                name=f"Izin {code}",
                description="",
                group="Perizinan",
                agency=agency,
                standard=ServiceStandard(working_days=days, fee=Rupiah(fee), requirements=items),
            ),
            actor="admin",
        )


def document(item: int, name: str = "berkas.pdf") -> Document:
    digest = hashlib.sha256(f"{item}:{name}".encode()).hexdigest()
    return Document(item=item, name=name, sha256=digest, size=1000, media_type="application/pdf")


def complete(office: PermitOffice, a: PermitApplication) -> PermitApplication:
    for n in range(1, len(a.checklist) + 1):
        a = office.attach(a.id, document(n, f"item-{n}.pdf"), actor="loket")
    return a


def verified(office: PermitOffice, service: str = "P03") -> PermitApplication:
    a = complete(office, office.apply(service, BUSINESS, actor="loket"))
    a = office.submit(a.id, actor="loket")
    return office.verify(a.id, actor="verifikator")


def approved(office: PermitOffice, service: str = "P03") -> PermitApplication:
    a = verified(office, service)
    if a.fee_due:
        a = office.record_payment(a.id, a.fee, "BANK-1", actor="kasir")
    return office.approve(a.id, actor="kepala")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY)


@pytest.fixture
def office(db: Database, clock: FixedClock) -> PermitOffice:
    catalogue(db, clock)
    return PermitOffice(db, BAUBAU, clock)


# --- applicants and documents -------------------------------------------------------------------


def test_an_applicant_is_masked_in_its_repr() -> None:
    assert "Waode" not in repr(PERSON)
    assert "7472015508950001" not in repr(PERSON)
    assert repr(PERSON) == "Applicant(kind='person', name='W*** S*** H***', id='747201******0001')"
    assert BUSINESS.identifier == "9120005550011"


@pytest.mark.parametrize("name", ["Andi\x00Nurhaliza", "Andi\x07", "CV Maju\nJaya", "A\x1b[31m"])
def test_control_characters_in_a_name_are_refused(name: str) -> None:
    with pytest.raises(ValidationError) as e:
        Applicant.business(name, Nib("9120005550011"))
    assert e.value.fields == ("applicant.name",)


@pytest.mark.parametrize("name", ["ktp\x00.pdf", "ktp\x1f.pdf", "ktp\r\n.pdf", "ktp\x7f.pdf"])
def test_control_characters_in_a_document_name_are_refused(name: str) -> None:
    with pytest.raises(ValidationError) as e:
        Document(1, name, "a" * 64, 10, "application/pdf")
    assert e.value.fields == ("name",)


def test_control_characters_in_free_text_are_refused_naming_the_field(
    office: PermitOffice, db: Database
) -> None:
    a = office.submit(complete(office, office.apply("P01", PERSON, actor="t")).id, actor="t")
    before = len(AuditLog(db).entries())
    with pytest.raises(ValidationError) as e:
        office.return_incomplete(a.id, [1], actor="t", notes="buram\x00")
    assert e.value.fields == ("notes",)
    with pytest.raises(ValidationError) as e:
        office.verify(a.id, actor="t", notes="ok\x1b[2J")
    assert e.value.fields == ("notes",)
    with pytest.raises(ValidationError) as e:
        office.reject(a.id, "tidak\x00 lengkap", actor="t")
    assert e.value.fields == ("reason",)
    a = office.verify(a.id, actor="t")
    with pytest.raises(ValidationError) as e:
        office.record_payment(a.id, a.fee, "BANK\x00-1", actor="t")
    assert e.value.fields == ("reference",)
    a = office.approve(office.record_payment(a.id, a.fee, "BANK-1", actor="t").id, actor="t")
    a = office.issue(a.id, actor="t")
    with pytest.raises(ValidationError) as e:
        office.revoke(a.id, "dicabut\x00", actor="t")
    assert e.value.fields == ("reason",)
    assert office.get(a.id).status is S.ISSUED
    assert len(AuditLog(db).entries()) == before + 4  # verified, paid, approved, issued only
    # A clerk writes a reason in lines: line breaks and tabs are not control characters here.
    revoked = office.revoke(a.id, "Dicabut:\n\t- bangunan tidak sesuai gambar", actor="t")
    assert revoked.status is S.REVOKED


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "person", "name": "Andi", "nib": Nib("9120005550011")}, "applicant.nik"),
        ({"kind": "business", "name": "CV", "nik": Nik("7472015508950001")}, "applicant.nib"),
        ({"kind": "robot", "name": "X", "nib": Nib("9120005550011")}, "applicant.kind"),
        ({"kind": "business", "name": " ", "nib": Nib("9120005550011")}, "applicant.name"),
        (
            {"kind": "business", "name": "CV 0812-3456-7890", "nib": Nib("9120005550011")},
            "applicant.name",
        ),
        (
            {
                "kind": "person",
                "name": "A",
                "nik": Nik("7472015508950001"),
                "nib": Nib("9120005550011"),
            },
            "applicant.nib",
        ),
    ],
)
def test_bad_applicants_are_refused_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as e:
        Applicant(**kwargs)  # type: ignore[arg-type]
    assert e.value.fields == (field,)
    assert "0812" not in str(e.value)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"item": 0}, "item"),
        ({"name": "../etc/passwd"}, "name"),
        ({"name": "ktp 7472015508950001.pdf"}, "name"),
        ({"sha256": "ABC"}, "sha256"),
        ({"size": 0}, "size"),
        ({"size": 10**12}, "size"),
        ({"media_type": "pdf"}, "media_type"),
    ],
)
def test_bad_documents_are_refused(change: dict[str, object], field: str) -> None:
    fields = {
        "item": 1,
        "name": "ktp.pdf",
        "sha256": "a" * 64,
        "size": 10,
        "media_type": "application/pdf",
        **change,
    }
    with pytest.raises(ValidationError) as e:
        Document(**fields)  # type: ignore[arg-type]
    assert e.value.fields == (field,)


# --- applying -------------------------------------------------------------------------------


def test_an_application_copies_checklist_fee_and_office_from_the_standard(
    office: PermitOffice,
) -> None:
    a = office.apply("P01", PERSON, actor="loket")
    assert a.status is S.DRAFT
    assert a.checklist == ("KTP", "Sertifikat tanah", "Gambar teknis")
    assert a.fee == Rupiah(1_250_000)
    assert a.working_days == 5
    assert a.agency == "dpmptsp"
    assert a.unanswered() == [1, 2, 3]
    assert a.due_at is None
    stored = office.get(a.id)
    assert stored.applicant.name == "Waode Sitti Hasanah"
    assert stored.applicant.nik == PERSON.nik
    assert "Waode" not in repr(stored)


def test_an_unknown_service_is_not_found(office: PermitOffice) -> None:
    with pytest.raises(NotFoundError):
        office.apply("P99", PERSON, actor="loket")


def test_documents_attach_to_checklist_items(office: PermitOffice, db: Database) -> None:
    a = office.apply("P01", PERSON, actor="loket")
    a = office.attach(a.id, document(2), actor="loket")
    assert a.unanswered() == [1, 3]
    with pytest.raises(ValidationError) as e:
        office.attach(a.id, document(4), actor="loket")
    assert e.value.fields == ("item",)
    with pytest.raises(ConflictError, match="already attached"):
        office.attach(a.id, document(2), actor="loket")
    a = office.detach(a.id, 2, document(2).sha256, actor="loket")
    assert a.documents == ()
    with pytest.raises(NotFoundError):
        office.detach(a.id, 2, document(2).sha256, actor="loket")
    entries = AuditLog(db).entries(subject=f"permit-application:{a.id}")
    assert [e.action for e in entries] == [
        "permit.applied",
        "permit.document.attached",
        "permit.document.removed",
    ]
    assert entries[1].details["sha256"] == document(2).sha256


# --- the lifecycle ----------------------------------------------------------------------------


def test_submitting_needs_a_document_for_every_item(office: PermitOffice) -> None:
    a = office.apply("P01", PERSON, actor="loket")
    a = office.attach(a.id, document(1), actor="loket")
    with pytest.raises(ValidationError) as e:
        office.submit(a.id, actor="loket")
    assert e.value.fields == ("checklist[2]", "checklist[3]")
    assert office.get(a.id).status is S.DRAFT  # nothing written


def test_a_free_service_goes_from_draft_to_issued_without_a_fee(
    office: PermitOffice, db: Database, clock: FixedClock
) -> None:
    a = complete(office, office.apply("P03", BUSINESS, actor="loket"))
    a = office.submit(a.id, actor="loket")
    assert a.status is S.SUBMITTED
    assert a.submitted_at == MONDAY
    # 3 working days from Monday 2 November: Thursday 5 November, to its end (WITA).
    assert a.due_at == dt.datetime(2026, 11, 5, 16, 0, tzinfo=dt.UTC)
    a = office.verify(a.id, actor="verifikator")
    with pytest.raises(ConflictError, match="free service"):
        office.record_payment(a.id, Rupiah(0), "X", actor="kasir")
    clock.advance(days=1)
    a = office.approve(a.id, actor="kepala")
    assert a.status is S.APPROVED
    assert a.decided_at == clock.now()
    a = office.issue(a.id, actor="kepala")
    assert a.status is S.ISSUED
    assert a.number == "503/0001/DPMPTSP/XI/2026"
    assert a.valid_from == dt.date(2026, 11, 3)
    assert a.valid_until == dt.date(2031, 11, 2)
    steps = [e.action for e in office.history(a.id)]
    assert steps == [
        "draft",
        "document.attached",
        "document.attached",
        "submitted",
        "verified",
        "approved",
        "issued",
    ]
    actions = [e.action for e in AuditLog(db).entries(subject=f"permit-application:{a.id}")]
    assert actions == ["permit.applied"] + [f"permit.{s}" for s in steps[1:]]
    assert AuditLog(db).verify().intact


def test_a_fee_must_be_paid_in_full_before_approval(office: PermitOffice) -> None:
    a = verified(office, "P01")
    with pytest.raises(ConflictError, match="record the payment first"):
        office.approve(a.id, actor="kepala")
    with pytest.raises(ValidationError) as e:
        office.record_payment(a.id, Rupiah(1_000_000), "BANK-7", actor="kasir")
    assert e.value.fields == ("amount",)
    with pytest.raises(ValidationError) as e:
        office.record_payment(a.id, Rupiah(1_250_000), " ", actor="kasir")
    assert e.value.fields == ("reference",)
    a = office.record_payment(a.id, Rupiah(1_250_000), "BANK-7", actor="kasir")
    assert a.status is S.FEE_PAID
    assert a.payment_reference == "BANK-7"
    assert office.approve(a.id, actor="kepala").status is S.APPROVED


def test_a_rejection_needs_a_reason(office: PermitOffice) -> None:
    a = verified(office)
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as e:
            office.reject(a.id, reason, actor="kepala")
        assert e.value.fields == ("reason",)
    with pytest.raises(ValidationError) as e:
        office.reject(a.id, "hubungi 0812-3456-7890", actor="kepala")
    assert "0812" not in str(e.value)
    a = office.reject(a.id, "Lokasi di kawasan lindung", actor="kepala")
    assert a.status is S.REJECTED
    assert a.notes == "Lokasi di kawasan lindung"
    with pytest.raises(ConflictError):
        office.approve(a.id, actor="kepala")


def test_an_application_never_completed_can_be_rejected(
    office: PermitOffice, clock: FixedClock
) -> None:
    a = office.submit(complete(office, office.apply("P01", PERSON, actor="t")).id, actor="t")
    a = office.return_incomplete(a.id, [2], actor="verifikator")
    clock.advance(days=30)
    with pytest.raises(ValidationError) as e:
        office.reject(a.id, " ", actor="kepala")
    assert e.value.fields == ("reason",)
    a = office.reject(a.id, "Berkas tidak dilengkapi dalam 30 hari", actor="kepala")
    assert (a.status, a.decided_at) == (S.REJECTED, clock.now())
    assert a.notes == "Berkas tidak dilengkapi dalam 30 hari"
    with pytest.raises(ConflictError):
        office.attach(a.id, document(2, "baru.pdf"), actor="pemohon")


def test_a_draft_is_withdrawn_by_rejecting_it_with_the_reason(
    office: PermitOffice, db: Database
) -> None:
    a = office.apply("P03", BUSINESS, actor="loket")
    with pytest.raises(ValidationError) as e:
        office.reject(a.id, "", actor="loket")
    assert e.value.fields == ("reason",)
    a = office.reject(a.id, "Ditarik oleh pemohon", actor="loket")
    assert (a.status, a.notes) == (S.REJECTED, "Ditarik oleh pemohon")
    assert a.status.closed
    assert [e.action for e in office.history(a.id)] == ["draft", "rejected"]
    audit = AuditLog(db).entries(subject=f"permit-application:{a.id}")[-1]
    assert audit.action == "permit.rejected"
    assert audit.details == {"from": "draft", "to": "rejected", "reason": "Ditarik oleh pemohon"}
    with pytest.raises(ConflictError):
        office.submit(a.id, actor="loket")


def test_a_paid_application_can_be_rejected(office: PermitOffice) -> None:
    a = verified(office, "P01")
    a = office.record_payment(a.id, a.fee, "BANK-1", actor="kasir")
    assert office.reject(a.id, "Tidak sesuai tata ruang", actor="kepala").status is S.REJECTED


def test_incomplete_requirements_go_back_to_the_applicant(office: PermitOffice) -> None:
    a = complete(office, office.apply("P01", PERSON, actor="loket"))
    a = office.submit(a.id, actor="loket")
    with pytest.raises(ValidationError) as e:
        office.return_incomplete(a.id, [], actor="verifikator")
    assert e.value.fields == ("missing",)
    with pytest.raises(ValidationError):
        office.return_incomplete(a.id, [4], actor="verifikator")
    a = office.return_incomplete(a.id, [2, 2], actor="verifikator", notes="Sertifikat buram")
    assert a.status is S.REQUIREMENTS_INCOMPLETE
    assert a.missing == (2,)
    assert a.unanswered() == [2]  # its document was set aside
    assert a.due_at is None
    assert a.paused_at == MONDAY
    with pytest.raises(ValidationError) as e:
        office.submit(a.id, actor="pemohon")
    assert e.value.fields == ("checklist[2]",)
    a = office.attach(a.id, document(2, "sertifikat-baru.pdf"), actor="pemohon")
    a = office.submit(a.id, actor="pemohon")
    assert a.status is S.SUBMITTED
    assert a.missing == ()
    assert a.paused_at is None


def test_revocation_needs_a_reason_and_ends_validity(
    office: PermitOffice, clock: FixedClock
) -> None:
    a = office.issue(approved(office).id, actor="kepala")
    assert office.check(a.number or "").valid
    with pytest.raises(ValidationError):
        office.revoke(a.id, "", actor="kepala")
    clock.advance(days=10)
    a = office.revoke(a.id, "Usaha tidak beroperasi", actor="kepala")
    assert a.status is S.REVOKED
    check = office.check(a.number or "")
    assert not check.valid
    assert check.reason == "revoked"
    assert check.revoked_on == dt.date(2026, 11, 12)
    with pytest.raises(ConflictError):
        office.revoke(a.id, "lagi", actor="kepala")


@pytest.mark.parametrize("status", list(PermitStatus))
def test_every_move_not_in_the_table_is_refused(
    office: PermitOffice, db: Database, status: PermitStatus
) -> None:
    """Take an application to ``status``, then try every move: only the table's succeed."""
    # No method moves an application back to draft; every other status is one method's move.
    for to in PermitStatus:
        if to in PERMIT_TRANSITIONS[status] or to is S.DRAFT:
            continue
        a = _at(office, status)
        before = len(AuditLog(db).entries())
        with pytest.raises(ConflictError):
            _move(office, a, to)
        assert office.get(a.id).status is status
        assert len(AuditLog(db).entries()) == before


def _at(office: PermitOffice, status: PermitStatus) -> PermitApplication:
    a = office.apply("P01", PERSON, actor="t")
    path = {
        S.DRAFT: [],
        S.SUBMITTED: [S.SUBMITTED],
        S.REQUIREMENTS_INCOMPLETE: [S.SUBMITTED, S.REQUIREMENTS_INCOMPLETE],
        S.VERIFIED: [S.SUBMITTED, S.VERIFIED],
        S.FEE_PAID: [S.SUBMITTED, S.VERIFIED, S.FEE_PAID],
        S.APPROVED: [S.SUBMITTED, S.VERIFIED, S.FEE_PAID, S.APPROVED],
        S.REJECTED: [S.SUBMITTED, S.VERIFIED, S.REJECTED],
        S.ISSUED: [S.SUBMITTED, S.VERIFIED, S.FEE_PAID, S.APPROVED, S.ISSUED],
        S.REVOKED: [S.SUBMITTED, S.VERIFIED, S.FEE_PAID, S.APPROVED, S.ISSUED, S.REVOKED],
    }[status]
    a = complete(office, a)
    for step in path:
        a = _move(office, a, step)
    assert a.status is status
    return a


def _move(  # noqa: PLR0911 - one method per move
    office: PermitOffice, a: PermitApplication, to: PermitStatus
) -> PermitApplication:
    if to is S.SUBMITTED:
        return office.submit(a.id, actor="t")
    if to is S.REQUIREMENTS_INCOMPLETE:
        return office.return_incomplete(a.id, [1], actor="t")
    if to is S.VERIFIED:
        return office.verify(a.id, actor="t")
    if to is S.FEE_PAID:
        return office.record_payment(a.id, a.fee, "REF-1", actor="t")
    if to is S.APPROVED:
        return office.approve(a.id, actor="t")
    if to is S.REJECTED:
        return office.reject(a.id, "Tidak memenuhi syarat", actor="t")
    if to is S.ISSUED:
        return office.issue(a.id, actor="t")
    if to is S.REVOKED:
        return office.revoke(a.id, "Dicabut", actor="t")
    raise AssertionError(to)


def test_documents_change_only_while_with_the_applicant(office: PermitOffice) -> None:
    a = office.submit(complete(office, office.apply("P03", BUSINESS, actor="t")).id, actor="t")
    with pytest.raises(ConflictError, match="documents change only"):
        office.attach(a.id, document(1, "lain.pdf"), actor="t")
    with pytest.raises(ConflictError):
        office.detach(a.id, 1, document(1, "item-1.pdf").sha256, actor="t")


def test_a_stale_version_is_a_conflict_and_changes_nothing(office: PermitOffice) -> None:
    a = complete(office, office.apply("P03", BUSINESS, actor="t"))
    old = a.version
    a = office.submit(a.id, actor="t", expected_version=old)
    with pytest.raises(ConflictError, match="changed by someone else"):
        office.verify(a.id, actor="t", expected_version=old)
    assert office.get(a.id).status is S.SUBMITTED
    assert office.verify(a.id, actor="t", expected_version=a.version).version == a.version + 1


# --- deadlines --------------------------------------------------------------------------------


def test_the_deadline_pauses_while_the_applicant_must_act(
    office: PermitOffice, clock: FixedClock
) -> None:
    a = complete(office, office.apply("P01", PERSON, actor="t"))
    a = office.submit(a.id, actor="t")  # Monday 2 Nov; 5 working days: Monday 9 Nov
    assert a.due_at == dt.datetime(2026, 11, 9, 16, 0, tzinfo=dt.UTC)
    clock.advance(days=1)  # Tuesday
    a = office.return_incomplete(a.id, [3], actor="t")
    clock.advance(days=7)  # the next Tuesday: Wed-Fri and Mon-Tue (5 working days) paused
    a = office.attach(a.id, document(3, "gambar-baru.pdf"), actor="pemohon")
    a = office.submit(a.id, actor="pemohon")
    assert a.paused_days == 5
    assert a.due_at == dt.datetime(2026, 11, 16, 16, 0, tzinfo=dt.UTC)


def test_the_deadline_skips_the_christmas_days_off(db: Database) -> None:
    clock = FixedClock(dt.datetime(2026, 12, 21, 1, 0, tzinfo=dt.UTC))  # Monday 09:00 WITA
    catalogue(db, clock)
    office = PermitOffice(db, BAUBAU, clock)
    a = office.submit(complete(office, office.apply("P03", BUSINESS, actor="t")).id, actor="t")
    # Tue 22, Wed 23; Thu 24 (cuti bersama) and Fri 25 (Christmas) off; weekend; Mon 28.
    assert a.due_at == dt.datetime(2026, 12, 28, 16, 0, tzinfo=dt.UTC)
    clock.set(dt.datetime(2026, 12, 23, 2, 0, tzinfo=dt.UTC))  # back on Wednesday
    a = office.return_incomplete(a.id, [1], actor="t")
    clock.set(dt.datetime(2026, 12, 28, 2, 0, tzinfo=dt.UTC))  # resubmitted Monday 28
    a = office.attach(a.id, document(1, "nib-baru.pdf"), actor="t")
    a = office.submit(a.id, actor="t")
    assert a.paused_days == 1  # only Monday 28 was a working day with the applicant
    assert a.due_at == dt.datetime(2026, 12, 29, 16, 0, tzinfo=dt.UTC)


def test_the_deadline_pauses_while_the_fee_is_due(
    office: PermitOffice, clock: FixedClock, db: Database
) -> None:
    a = complete(office, office.apply("P01", PERSON, actor="t"))
    a = office.submit(a.id, actor="t")  # Monday 2 Nov; 5 working days: Monday 9 Nov
    assert a.due_at == dt.datetime(2026, 11, 9, 16, 0, tzinfo=dt.UTC)
    clock.advance(days=1)  # Tuesday: verified, the applicant must pay
    a = office.verify(a.id, actor="t")
    assert (a.status, a.paused_at, a.due_at) == (S.VERIFIED, clock.now(), None)
    assert office.overdue(clock.now() + dt.timedelta(days=30)) == []
    clock.advance(days=2)  # paid on Thursday: Wednesday and Thursday were paused
    a = office.record_payment(a.id, a.fee, "BANK-9", actor="kasir")
    assert (a.status, a.paused_at, a.paused_days) == (S.FEE_PAID, None, 2)
    assert a.due_at == dt.datetime(2026, 11, 11, 16, 0, tzinfo=dt.UTC)
    paid = AuditLog(db).entries(subject=f"permit-application:{a.id}")[-1]
    assert paid.details["paused_days"] == 2
    assert paid.details["due_at"] == "2026-11-11T16:00:00+00:00"


def test_a_free_service_does_not_pause_at_verification(office: PermitOffice) -> None:
    a = verified(office, "P03")
    assert (a.paused_at, a.due_at) == (None, dt.datetime(2026, 11, 5, 16, 0, tzinfo=dt.UTC))


def test_overdue_lists_open_applications_past_their_deadline(
    office: PermitOffice, clock: FixedClock
) -> None:
    late = office.submit(complete(office, office.apply("P03", BUSINESS, actor="t")).id, actor="t")
    paused = office.submit(complete(office, office.apply("P03", BUSINESS, actor="t")).id, actor="t")
    office.return_incomplete(paused.id, [1], actor="t")
    decided = approved(office)
    waiting_for_payment = verified(office, "P01")
    clock.advance(days=30)
    assert [a.id for a in office.overdue()] == [late.id]
    assert not office.get(waiting_for_payment.id).overdue(clock.now())
    assert office.get(late.id).overdue(clock.now())
    assert not office.get(decided.id).overdue(clock.now())


# --- numbers and validity -----------------------------------------------------------------------


def test_numbers_count_per_office_and_year(db: Database, clock: FixedClock) -> None:
    catalogue(db, clock)
    office = PermitOffice(db, BAUBAU, clock)
    first = office.issue(approved(office).id, actor="t")
    second = office.issue(approved(office).id, actor="t")
    other = office.issue(approved(office, "P09").id, actor="t")
    assert [first.number, second.number, other.number] == [
        "503/0001/DPMPTSP/XI/2026",
        "503/0002/DPMPTSP/XI/2026",
        "503/0001/DINAS-PU/XI/2026",
    ]
    clock.set(dt.datetime(2027, 1, 4, 1, 0, tzinfo=dt.UTC))
    assert office.issue(approved(office).id, actor="t").number == "503/0001/DPMPTSP/I/2027"


def test_a_city_writes_numbers_its_own_way(db: Database, clock: FixedClock) -> None:
    catalogue(db, clock)
    rules = PermitRules(
        number_format=PermitNumberFormat("{classification}/{agency}/{year}/{month:02d}/{seq:05d}"),
        classification="503.1",
        agency_codes={"dpmptsp": "PTSP"},
        validity_months={"P03": None},
        default_validity_months=12,
    )
    office = PermitOffice(db, BAUBAU, clock, rules)
    a = office.issue(approved(office).id, actor="t")
    assert a.number == "503.1/PTSP/2026/11/00001"
    assert a.valid_until is None
    assert office.check(a.number).valid
    b = office.issue(approved(office, "P01").id, actor="t")
    assert b.valid_until == dt.date(2027, 11, 1)


def test_an_office_code_that_cannot_be_written_in_a_number_is_a_configuration_error(
    db: Database, clock: FixedClock
) -> None:
    catalogue(db, clock)
    office = PermitOffice(db, BAUBAU, clock, PermitRules(agency_codes={}))
    desk = ServiceDesk(db, BAUBAU, clock)
    desk.save_agency(Agency("baubau", "dinas.perumahan.kawasan.permukiman", "x"), actor="a")
    service = desk.service("P03")
    desk.save_service(
        Service(
            city="baubau",
            code="P10",
            name="x",
            description="",
            group="",
            agency="dinas.perumahan.kawasan.permukiman",
            standard=service.standard,
        ),
        actor="a",
    )
    a = approved(office, "P10")
    with pytest.raises(ConfigurationError, match="agency_codes"):
        office.issue(a.id, actor="t")
    assert office.get(a.id).status is S.APPROVED


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"classification": "5/3"}, "classification"),
        ({"agency_codes": {"dpmptsp": "dpm ptsp"}}, "agency_codes[dpmptsp]"),
        ({"default_validity_months": 0}, "default_validity_months"),
        ({"validity_months": {"P01": 5000}}, "validity_months[P01]"),
        ({"classification": "0812.3456.789"}, "number_format"),
    ],
)
def test_bad_rules_are_refused(rules: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as e:
        PermitRules(**rules)  # type: ignore[arg-type]
    assert e.value.fields == (field,)


def test_validity_ends_and_starts(office: PermitOffice, clock: FixedClock) -> None:
    a = office.issue(approved(office).id, actor="t")
    assert a.valid_until == dt.date(2031, 11, 1)
    clock.set(dt.datetime(2031, 11, 1, 15, 59, tzinfo=dt.UTC))  # 23:59 WITA, the last day
    assert office.check(a.number or "").valid
    clock.advance(minutes=1)
    check = office.check(a.number or "")
    assert (check.valid, check.reason) == (False, "expired")


@pytest.mark.parametrize(
    ("issued_on", "last_day"),
    [
        (dt.date(2027, 1, 31), dt.date(2027, 2, 28)),  # no 31 February: its last day
        (dt.date(2028, 1, 31), dt.date(2028, 2, 29)),  # a leap year
        (dt.date(2027, 1, 30), dt.date(2027, 2, 28)),
        (dt.date(2027, 1, 29), dt.date(2027, 2, 28)),
        (dt.date(2027, 1, 28), dt.date(2027, 2, 27)),  # 28 February exists: the day before
        (dt.date(2027, 3, 31), dt.date(2027, 4, 30)),
        (dt.date(2026, 11, 2), dt.date(2026, 12, 1)),
        (dt.date(2026, 12, 31), dt.date(2027, 1, 30)),
    ],
)
def test_validity_when_the_month_has_no_such_day(
    db: Database, clock: FixedClock, issued_on: dt.date, last_day: dt.date
) -> None:
    """Valid through the day before the same day a month on, or that month's last day."""
    catalogue(db, clock)
    office = PermitOffice(db, BAUBAU, clock, PermitRules(validity_months={"P03": 1}))
    a = approved(office)
    clock.set(dt.datetime.combine(issued_on, dt.time(1, 0), tzinfo=dt.UTC))  # 09:00 WITA
    a = office.issue(a.id, actor="t")
    assert (a.valid_from, a.valid_until) == (issued_on, last_day)
    clock.set(dt.datetime.combine(last_day, dt.time(15, 59), tzinfo=dt.UTC))  # 23:59 WITA
    assert office.check(a.number or "").valid
    clock.advance(minutes=1)
    assert office.check(a.number or "").reason == "expired"


def test_a_verification_never_holds_unmasked_personal_data(office: PermitOffice) -> None:
    a = complete(office, office.apply("P01", PERSON, actor="t"))
    a = office.verify(office.submit(a.id, actor="t").id, actor="t")
    a = office.record_payment(a.id, a.fee, "BANK-1", actor="t")
    a = office.issue(office.approve(a.id, actor="t").id, actor="t")
    assert a.applicant.kind is ApplicantKind.PERSON
    check = office.check(f"  {a.number}  ")
    assert check.valid
    assert check.holder == "W*** S*** H***"
    assert check.holder_kind == "person"
    assert check.holder_id == "747201******0001"
    text = repr(check)
    assert "Waode" not in text
    assert "Hasanah" not in text
    assert "7472015508950001" not in text
    unknown = office.check("503/9999/DPMPTSP/XI/2026")
    assert (unknown.valid, unknown.reason, unknown.holder) == (False, "unknown", None)


def test_a_business_is_masked_in_the_verification(office: PermitOffice) -> None:
    a = office.issue(approved(office).id, actor="t")
    check = office.check(a.number or "")
    assert check.holder == "C*** B*** W***"
    assert check.holder_id == "9120005550011"  # a NIB is not personal data
    assert "Benteng" not in repr(check)


@pytest.mark.parametrize(
    "number",
    [
        "503/0001/DPMPTSP/XI/2026\x00",
        "503/0001\x00/DPMPTSP/XI/2026",
        "503/0001/DPMPTSP/XI/2026\u200b",
        "503 0001 DPMPTSP XI 2026",
        "503/0001/DPMPTSP/XI/2026' OR '1'='1",
        "503/" + "1" * 200,
    ],
)
def test_text_that_cannot_be_a_number_is_unknown_without_a_query(
    office: PermitOffice, monkeypatch: pytest.MonkeyPatch, number: str
) -> None:
    office.issue(approved(office).id, actor="t")

    def no_query(_number: str) -> PermitApplication:
        raise AssertionError("looked up")

    monkeypatch.setattr(office, "permit", no_query)
    check = office.check(number)
    assert (check.valid, check.reason, check.holder) == (False, "unknown", None)
    assert check_number({"baubau": office}, number).reason == "unknown"
    assert check_number({"baubau": office}, number, "baubau").reason == "unknown"


def test_check_number_over_several_cities(db: Database, clock: FixedClock) -> None:
    catalogue(db, clock)
    catalogue(db, clock, MAKASSAR)
    baubau = PermitOffice(db, BAUBAU, clock)
    makassar = PermitOffice(db, MAKASSAR, clock)
    number = baubau.issue(approved(baubau).id, actor="t").number or ""
    offices = {"baubau": baubau, "makassar": makassar}
    assert check_number(offices, number).city == "baubau"
    assert makassar.issue(approved(makassar).id, actor="t").number == number
    with pytest.raises(ValidationError) as e:
        check_number(offices, number)
    assert e.value.fields == ("city",)
    assert check_number(offices, number, "makassar").city == "makassar"
    with pytest.raises(NotFoundError):
        check_number(offices, number, "tual")
    assert check_number(offices, "nope").reason == "unknown"


def test_another_citys_application_is_not_found(db: Database, clock: FixedClock) -> None:
    catalogue(db, clock)
    catalogue(db, clock, MAKASSAR)
    a = PermitOffice(db, BAUBAU, clock).apply("P03", BUSINESS, actor="t")
    with pytest.raises(NotFoundError):
        PermitOffice(db, MAKASSAR, clock).get(a.id)
