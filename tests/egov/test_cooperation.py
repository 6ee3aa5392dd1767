"""The cooperation register: every lifecycle rule, audited, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from smartcity_kit.core import CityProfile, FixedClock, RegionCode
from smartcity_kit.egov import Agency, ServiceDesk
from smartcity_kit.egov._demo import seed_demo
from smartcity_kit.egov.cooperation import (
    Activity,
    Agreement,
    AgreementStatus,
    Approval,
    ApprovalKind,
    ApprovalPolicy,
    CooperationRegister,
    Partner,
    Term,
)
from smartcity_kit.egov.cooperation import _store as store
from smartcity_kit.egov.cooperation._demo import seed_cooperation_demo
from smartcity_kit.errors import ConfigurationError, ConflictError, NotFoundError, ValidationError
from smartcity_kit.storage import AuditLog, Database

MAKASSAR = CityProfile.builtin("makassar")
NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 WITA
TODAY = dt.date(2026, 11, 23)
S = AgreementStatus


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def reg(db: Database, clock: FixedClock) -> CooperationRegister:
    desk = ServiceDesk(db, MAKASSAR, clock)
    for code, name in [("diskominfo", "Dinas Kominfo"), ("dpu", "Dinas Pekerjaan Umum")]:
        desk.save_agency(Agency("makassar", code, name), actor="t")
    register = CooperationRegister(db, MAKASSAR, clock)
    for partner in [
        Partner(
            city="makassar",
            code="tual",
            kind="indonesian_region",
            name="Kota Tual",
            region_code=RegionCode.parse("81.72"),
        ),
        Partner(city="makassar", code="gothenburg", kind="foreign_city", name="G", country="SE"),
        Partner(city="makassar", code="engie", kind="foreign_private", name="E", country="FR"),
    ]:
        register.add_partner(partner, actor="t")
    return register


def new(reg: CooperationRegister, partner: str = "tual", **changes: Any) -> Agreement:
    values: dict[str, Any] = {
        "city": "makassar",
        "partner": partner,
        "kind": "mou",
        "title": "Kesepakatan bersama smart city",
        "fields": ["smart_city"],
        "agencies": ["diskominfo"],
        "term": Term.years(dt.date(2026, 1, 1), 5),
        "status": "negotiating",
    }
    values.update(changes)
    return reg.add_agreement(Agreement(**values), actor="opd:kerjasama")


def sign(reg: CooperationRegister, agreement_id: int, on: dt.date = TODAY) -> Agreement:
    return reg.transition(agreement_id, "active", actor="t", signed_on=on)


def approve(kind: str, decision: str = "approved", **kw: Any) -> Approval:
    return Approval(kind, decision, f"100/{kind.upper()}/2026", dt.date(2026, 11, 1), **kw)


def rows(db: Database, table: sa.Table) -> int:
    with db.reading() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


# --- partners --------------------------------------------------------------------------------


def test_partners_are_kept_by_code_and_their_codes_are_unique(reg: CooperationRegister) -> None:
    assert [p.code for p in reg.partners()] == ["engie", "gothenburg", "tual"]
    assert [p.code for p in reg.partners(kind="foreign_city")] == ["gothenburg"]
    assert reg.partner("tual").region_code == RegionCode("81.72")
    with pytest.raises(ConflictError):
        reg.add_partner(
            Partner(city="makassar", code="tual", kind="domestic_private", name="PT Tual"),
            actor="t",
        )
    with pytest.raises(NotFoundError):
        reg.partner("kaohsiung")


def test_a_city_does_not_cooperate_with_itself_nor_fill_anothers_register(
    reg: CooperationRegister,
) -> None:
    with pytest.raises(ValidationError) as caught:
        reg.add_partner(
            Partner(
                city="makassar",
                code="mks",
                kind="indonesian_region",
                name="Makassar",
                region_code=RegionCode.parse("73.71"),
            ),
            actor="t",
        )
    assert caught.value.fields == ("region_code",)
    with pytest.raises(ValidationError) as caught:
        reg.add_partner(
            Partner(city="baubau", code="tual", kind="domestic_private", name="X"), actor="t"
        )
    assert caught.value.fields == ("city",)


# --- entering --------------------------------------------------------------------------------


def test_entering_an_agreement_checks_partner_agencies_and_start(
    reg: CooperationRegister, db: Database
) -> None:
    before = rows(db, store.agreements)
    with pytest.raises(NotFoundError):
        new(reg, partner="kaohsiung")
    with pytest.raises(ValidationError) as caught:
        new(reg, agencies=["diskominfo", "bappeda"])
    assert caught.value.fields == ("agencies[1]",)
    with pytest.raises(ValidationError) as caught:
        new(reg, status="active")
    assert caught.value.fields == ("status",)
    assert rows(db, store.agreements) == before
    made = new(reg)
    assert (made.id, made.status, made.version, made.created_at) == (1, S.NEGOTIATING, 1, NOW)
    assert reg.get(made.id) == made


def test_a_pks_implements_an_mou_of_the_same_partner(reg: CooperationRegister) -> None:
    mou = new(reg)
    loi = new(reg, kind="loi")
    other = new(reg, partner="gothenburg")
    assert new(reg, kind="pks", implements=mou.id).implements == mou.id
    for wrong in (loi.id, other.id, 999):
        with pytest.raises(ValidationError) as caught:
            new(reg, kind="pks", implements=wrong)
        assert caught.value.fields == ("implements",)


# --- lifecycle -------------------------------------------------------------------------------


def test_signing_a_domestic_agreement_into_force(reg: CooperationRegister, db: Database) -> None:
    made = new(reg, status="draft")
    with pytest.raises(ConflictError, match="draft: it cannot become active"):
        sign(reg, made.id)
    reg.transition(made.id, "negotiating", actor="t")
    with pytest.raises(ValidationError) as caught:
        reg.transition(made.id, "active", actor="t")
    assert caught.value.fields == ("signed_on",)
    with pytest.raises(ValidationError) as caught:
        sign(reg, made.id, on=TODAY + dt.timedelta(days=1))
    assert caught.value.fields == ("signed_on",)
    active = reg.transition(
        made.id, "active", actor="t", signed_on=TODAY, signing_event="Festival F8, Pantai Losari"
    )
    assert (active.status, active.signed_on, active.version) == (S.ACTIVE, TODAY, 3)
    assert active.signing_event == "Festival F8, Pantai Losari"
    entries = AuditLog(db).entries(subject=f"cooperation:agreement:{made.id}")
    assert [e.action for e in entries] == [
        "cooperation.agreement.added",
        "cooperation.agreement.negotiating",
        "cooperation.agreement.active",
    ]
    assert entries[-1].details["signed_on"] == "2026-11-23"


def test_signing_needs_a_term_that_has_not_ended(reg: CooperationRegister) -> None:
    no_term = new(reg, term=None)
    with pytest.raises(ValidationError) as caught:
        sign(reg, no_term.id)
    assert caught.value.fields == ("term",)
    ended = new(reg, term=Term.years(dt.date(2020, 1, 1), 2))
    with pytest.raises(ValidationError) as caught:
        sign(reg, ended.id, on=dt.date(2020, 1, 1))
    assert caught.value.fields == ("term.end",)
    assert reg.get(ended.id).status is S.NEGOTIATING


def test_a_foreign_private_agreement_waits_for_the_central_review(
    reg: CooperationRegister, db: Database
) -> None:
    engie = new(reg, partner="engie")
    reg.record_approval(engie.id, approve("dprd"), actor="t")
    with pytest.raises(ConflictError, match="central government's review"):
        sign(reg, engie.id)
    waiting = reg.transition(engie.id, "awaiting_central_review", actor="t")
    with pytest.raises(ConflictError, match="central government's review"):
        sign(reg, engie.id)
    assert reg.missing_approvals(waiting) == [ApprovalKind.CENTRAL_REVIEW]
    reviewed = reg.record_approval(engie.id, approve("central_review"), actor="t")
    assert reviewed.status is S.AWAITING_CENTRAL_REVIEW  # a decision does not sign
    assert reg.missing_approvals(reviewed) == []
    assert sign(reg, engie.id).status is S.ACTIVE
    actions = [e.action for e in AuditLog(db).entries(subject=f"cooperation:agreement:{engie.id}")]
    assert actions.count("cooperation.approval.recorded") == 2


def test_even_a_letter_of_intent_with_a_foreign_private_party_waits(
    reg: CooperationRegister,
) -> None:
    loi = new(reg, partner="engie", kind="loi")
    assert reg.missing_approvals(loi) == [ApprovalKind.CENTRAL_REVIEW]
    with pytest.raises(ConflictError):
        sign(reg, loi.id)


def test_a_rejected_review_puts_the_agreement_on_hold_or_ends_it(
    reg: CooperationRegister, db: Database
) -> None:
    held = new(reg, partner="engie")
    reg.transition(held.id, "awaiting_central_review", actor="t")
    after = reg.record_approval(
        held.id, approve("central_review", "rejected", notes="Belum sesuai"), actor="t"
    )
    assert (after.status, after.status_notes) == (S.ON_HOLD, "Belum sesuai")
    # A later approval (after renegotiation) counts: the latest decision of a kind wins.
    reg.transition(held.id, "awaiting_central_review", actor="t")
    reg.record_approval(held.id, approve("central_review"), actor="t")
    reg.record_approval(held.id, approve("dprd"), actor="t")
    assert sign(reg, held.id).status is S.ACTIVE

    ended = new(reg, partner="engie")
    after = reg.record_approval(
        ended.id,
        approve("central_review", "rejected"),
        actor="t",
        on_rejection="terminated",
    )
    assert (after.status, after.status_notes) == (
        S.TERMINATED,
        "central_review rejected (100/CENTRAL_REVIEW/2026)",
    )
    actions = [e.action for e in AuditLog(db).entries(subject=f"cooperation:agreement:{ended.id}")]
    assert actions[-2:] == ["cooperation.approval.recorded", "cooperation.agreement.terminated"]
    with pytest.raises(ValidationError) as caught:
        reg.record_approval(held.id, approve("dprd", "rejected"), actor="t", on_rejection="expired")
    assert caught.value.fields == ("on_rejection",)


def test_an_approval_no_one_requires_does_not_move_the_agreement(
    reg: CooperationRegister,
) -> None:
    made = new(reg)  # domestic: nothing is required
    after = reg.record_approval(made.id, approve("dprd", "rejected"), actor="t")
    assert after.status is S.NEGOTIATING
    assert len(after.approvals) == 1


def test_approvals_are_recorded_while_it_is_negotiated_not_before_or_after(
    reg: CooperationRegister,
) -> None:
    draft = new(reg, status="draft")
    with pytest.raises(ConflictError):
        reg.record_approval(draft.id, approve("dprd"), actor="t")
    gone = new(reg)
    reg.transition(gone.id, "terminated", actor="t", notes="Dibatalkan")
    with pytest.raises(ConflictError):
        reg.record_approval(gone.id, approve("dprd"), actor="t")
    later = Approval("dprd", "approved", "1/2026", TODAY + dt.timedelta(days=1))
    with pytest.raises(ValidationError) as caught:
        reg.record_approval(new(reg).id, later, actor="t")
    assert caught.value.fields == ("decided_on",)


def test_a_foreign_city_needs_the_dprd_and_the_minister(reg: CooperationRegister) -> None:
    sister = new(reg, partner="gothenburg")
    with pytest.raises(ConflictError, match="dprd, kemendagri"):
        sign(reg, sister.id)
    reg.record_approval(sister.id, approve("dprd"), actor="t")
    with pytest.raises(ConflictError, match="kemendagri"):
        sign(reg, sister.id)
    reg.record_approval(sister.id, approve("kemendagri"), actor="t")
    assert sign(reg, sister.id).status is S.ACTIVE


@pytest.mark.usefixtures("reg")  # the agencies and partners
def test_a_city_may_require_more(db: Database, clock: FixedClock) -> None:
    strict = CooperationRegister(
        db, MAKASSAR, clock, ApprovalPolicy(required={"indonesian_region": ["dprd"]})
    )
    made = new(strict)
    with pytest.raises(ConflictError, match="dprd"):
        sign(strict, made.id)
    strict.record_approval(made.id, approve("dprd"), actor="t")
    assert sign(strict, made.id).status is S.ACTIVE


def test_only_foreign_cooperation_goes_to_the_central_government(
    reg: CooperationRegister,
) -> None:
    with pytest.raises(ConflictError, match="domestic partner"):
        reg.transition(new(reg).id, "awaiting_central_review", actor="t")
    assert (
        reg.transition(new(reg, partner="gothenburg").id, "awaiting_central_review", actor="t")
    ).status is S.AWAITING_CENTRAL_REVIEW


def test_a_pks_is_signed_only_while_its_mou_is_in_force(reg: CooperationRegister) -> None:
    mou = new(reg)
    pks = new(reg, kind="pks", implements=mou.id, term=Term.years(dt.date(2026, 6, 1), 2))
    with pytest.raises(ConflictError, match="not in force"):
        sign(reg, pks.id)
    sign(reg, mou.id)
    assert sign(reg, pks.id).status is S.ACTIVE


def test_holding_and_terminating_need_a_reason_and_final_statuses_are_final(
    reg: CooperationRegister,
) -> None:
    made = new(reg)
    for target in ("on_hold", "terminated"):
        with pytest.raises(ValidationError) as caught:
            reg.transition(made.id, target, actor="t")
        assert caught.value.fields == ("notes",)
    with pytest.raises(ValidationError) as caught:
        reg.transition(made.id, "on_hold", actor="t", notes="Hubungi 0812-3456-7890")
    assert caught.value.fields == ("notes",)
    with pytest.raises(ValidationError) as caught:
        reg.transition(made.id, "on_hold", actor="t", notes="x", signed_on=TODAY)
    assert caught.value.fields == ("signed_on",)
    with pytest.raises(ValidationError) as caught:
        reg.transition(made.id, "paused", actor="t")
    assert caught.value.fields == ("to",)
    reg.transition(made.id, "terminated", actor="t", notes="Tidak dilanjutkan")
    for target in S:
        with pytest.raises(ConflictError):
            reg.transition(made.id, target, actor="t", notes="again")
    with pytest.raises(ConflictError):
        reg.revise(made.id, {"title": "Baru"}, actor="t")


def test_a_stale_version_is_refused_and_nothing_changes(reg: CooperationRegister) -> None:
    made = new(reg)
    reg.revise(made.id, {"title": "Judul baru"}, actor="a", expected_version=1)
    with pytest.raises(ConflictError, match="changed by someone else"):
        reg.revise(made.id, {"number": "1/KB/2026"}, actor="b", expected_version=1)
    with pytest.raises(ConflictError, match="changed by someone else"):
        reg.transition(made.id, "on_hold", actor="b", notes="x", expected_version=1)
    with pytest.raises(ConflictError, match="changed by someone else"):
        reg.record_approval(made.id, approve("dprd"), actor="b", expected_version=1)
    now = reg.get(made.id)
    assert (now.version, now.title, now.number, now.status) == (
        2,
        "Judul baru",
        None,
        S.NEGOTIATING,
    )


def test_revising_checks_every_change(reg: CooperationRegister, db: Database) -> None:
    made = new(reg)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"status": "active"}, "status"),
        ({"partner": "engie"}, "partner"),
        ({"fields": []}, "fields"),
        ({"agencies": ["bappeda"]}, "agencies[0]"),
        ({"renewal": "sometimes"}, "renewal"),
    ]
    for changes, field in cases:
        with pytest.raises(ValidationError) as caught:
            reg.revise(made.id, changes, actor="t")
        assert caught.value.fields == (field,)
    assert reg.get(made.id).version == 1
    same = reg.revise(made.id, {"title": made.title}, actor="t")
    assert same.version == 1  # nothing changed, nothing written
    revised = reg.revise(made.id, {"agencies": ["dpu"], "number": "5/KB/2026"}, actor="t")
    assert (revised.agencies, revised.version) == (("dpu",), 2)
    entry = AuditLog(db).entries(subject=f"cooperation:agreement:{made.id}")[-1]
    assert (entry.action, entry.details) == (
        "cooperation.agreement.revised",
        {"changed": ["agencies", "number"]},
    )


def test_a_running_term_changes_only_by_amendment(reg: CooperationRegister) -> None:
    fixed = new(reg)
    sign(reg, fixed.id)
    longer = Term.years(dt.date(2026, 1, 1), 10)
    with pytest.raises(ConflictError, match="only by amendment"):
        reg.revise(fixed.id, {"term": longer}, actor="t")
    amendable = new(reg, renewal="by_amendment")
    sign(reg, amendable.id)
    with pytest.raises(ValidationError) as caught:
        reg.revise(amendable.id, {"term": Term.years(dt.date(2026, 2, 1), 10)}, actor="t")
    assert caught.value.fields == ("term.start",)
    assert reg.revise(amendable.id, {"term": longer}, actor="t").term == longer


# --- expiry and reminders --------------------------------------------------------------------


def test_expiry_is_computed_by_the_clock_and_applied_when_asked(
    reg: CooperationRegister, db: Database, clock: FixedClock
) -> None:
    short = new(reg, term=Term(dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
    rolling = new(reg, term=Term(dt.date(2026, 1, 1), dt.date(2026, 12, 31)), renewal="automatic")
    waiting = new(reg, partner="engie", term=Term(dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
    sign(reg, short.id)
    sign(reg, rolling.id)
    with pytest.raises(ConflictError, match="has not ended"):
        reg.transition(short.id, "expired", actor="t")
    later = dt.date(2027, 1, 5)
    assert [a.id for a in reg.agreements(status="expired", today=later)] == [short.id]
    assert reg.get(short.id).status is S.ACTIVE  # nothing stored yet
    with pytest.raises(ValidationError) as caught:  # the clock decides, not the caller
        reg.apply_terms(actor="system", today=later)
    assert caught.value.fields == ("today",)
    assert reg.get(short.id).status is S.ACTIVE
    clock.set(dt.datetime(2027, 1, 5, 2, tzinfo=dt.UTC))
    changed = reg.apply_terms(actor="system")
    assert {a.id: a.status for a in changed} == {short.id: S.EXPIRED}
    renewing = reg.get(rolling.id)  # renewed on read, its signed term kept
    assert renewing.status_on(later) is S.ACTIVE
    assert renewing.end_on(later) == dt.date(2027, 12, 31)
    assert reg.get(waiting.id).status is S.NEGOTIATING
    assert reg.apply_terms(actor="system") == []
    entries = AuditLog(db).entries(actor="system")
    assert [e.action for e in entries] == ["cooperation.agreement.expired"]
    assert entries[0].at == dt.datetime(2027, 1, 5, 2, tzinfo=dt.UTC)
    # Expiring by hand once the term has ended (here: on hold after signing).
    clock.set(NOW)
    held = new(reg, term=Term(dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
    sign(reg, held.id)
    reg.transition(held.id, "on_hold", actor="t", notes="Evaluasi")
    clock.set(dt.datetime(2027, 1, 2, 2, tzinfo=dt.UTC))
    assert reg.transition(held.id, "expired", actor="t").status is S.EXPIRED


def test_reminders_list_running_agreements_ending_soon(reg: CooperationRegister) -> None:
    soon = new(reg, term=Term(dt.date(2026, 1, 1), TODAY + dt.timedelta(days=30)))
    later = new(reg, term=Term(dt.date(2026, 1, 1), TODAY + dt.timedelta(days=200)))
    rolling = new(
        reg,
        term=Term(dt.date(2026, 1, 1), TODAY + dt.timedelta(days=10)),
        renewal="automatic",
    )
    unsigned = new(reg, term=Term(dt.date(2026, 1, 1), TODAY + dt.timedelta(days=5)))
    for made in (soon, later, rolling):
        sign(reg, made.id)
    found = reg.expiring(90)
    assert [(r.agreement.id, r.days_left, r.renews) for r in found] == [
        (rolling.id, 10, True),
        (soon.id, 30, False),
    ]
    assert unsigned.id not in {r.agreement.id for r in reg.expiring(3660)}
    assert [a.id for a in reg.agreements(expiring_within=90)] == [soon.id, rolling.id]
    assert reg.expiring(0, today=TODAY + dt.timedelta(days=30))[0].days_left == 0
    with pytest.raises(ValidationError) as caught:
        reg.expiring(-1)
    assert caught.value.fields == ("within_days",)


def test_filters_check_their_choices(reg: CooperationRegister) -> None:
    new(reg, fields=["tourism", "culture"])
    new(reg, kind="loi", fields=["trade"])
    assert len(reg.agreements(field="tourism")) == 1
    assert len(reg.agreements(kind="loi")) == 1
    assert len(reg.agreements(partner="tual", status="negotiating")) == 2
    for name in ("status", "field", "kind"):
        with pytest.raises(ValidationError) as caught:
            reg.agreements(**{name: "nonsense"})  # type: ignore[arg-type]
        assert caught.value.fields == (name,)


# --- activities ------------------------------------------------------------------------------


def test_activities_come_under_signed_agreements(reg: CooperationRegister, db: Database) -> None:
    made = new(reg)
    training = Activity(
        agreement_id=made.id,
        kind="training",
        title="Bimtek smart city untuk aparatur Tual",
        starts=TODAY,
        ends=TODAY + dt.timedelta(days=2),
        participants=24,
    )
    with pytest.raises(ConflictError, match="not signed"):
        reg.add_activity(training, actor="t")
    sign(reg, made.id, on=dt.date(2026, 11, 1))
    early = Activity(
        agreement_id=made.id,
        kind="study_visit",
        title="x",
        starts=dt.date(2026, 10, 1),
        ends=dt.date(2026, 10, 1),
    )
    with pytest.raises(ValidationError) as caught:
        reg.add_activity(early, actor="t")
    assert caught.value.fields == ("starts",)
    stored = reg.add_activity(training, actor="opd:diskominfo")
    assert (stored.id, stored.recorded_by) == (1, "opd:diskominfo")
    assert reg.activities(made.id) == [stored]
    entry = AuditLog(db).entries(subject=f"cooperation:agreement:{made.id}")[-1]
    assert entry.action == "cooperation.activity.added"
    assert entry.details["participants"] == 24
    with pytest.raises(NotFoundError):
        reg.activities(999)


# --- other cities, demo ----------------------------------------------------------------------


def test_each_city_sees_its_own_register(reg: CooperationRegister, db: Database) -> None:
    made = new(reg)
    baubau = CooperationRegister(db, CityProfile.builtin("baubau"))
    assert baubau.agreements() == []
    with pytest.raises(NotFoundError):
        baubau.get(made.id)


def test_the_demo_is_seeded_once_with_engie_on_hold(db: Database) -> None:
    with pytest.raises(ConfigurationError):
        seed_cooperation_demo(db, today=TODAY)
    seed_demo(db, now=NOW, requests_per_city=0)
    counts = seed_cooperation_demo(db, today=TODAY)
    assert counts == {"partners": 11, "agreements": 15, "activities": 5}
    assert seed_cooperation_demo(db, today=TODAY) == counts
    reg = CooperationRegister(db, MAKASSAR, FixedClock(NOW))
    (engie,) = reg.agreements(partner="engie-ineo")
    assert engie.status is S.ON_HOLD
    assert reg.missing_approvals(engie) == [ApprovalKind.CENTRAL_REVIEW, ApprovalKind.DPRD]
    assert [a.partner for a in reg.agreements(status="expired")] == ["surakarta"]
    assert [r.agreement.partner for r in reg.expiring(90, today=TODAY)] == [
        "palembang",
        "incheon",
    ]
    countries = {p.code: p.country for p in reg.partners()}
    assert countries["gothenburg"] == "SE"
    assert countries["kaohsiung"] == "TW"
    assert countries["ie-singapore"] == "SG"
    assert AuditLog(db).verify().intact


# --- review findings: approvals, signing, revising, activities -------------------------------


def approve_on(kind: str, day: dt.date, decision: str = "approved") -> Approval:
    return Approval(kind, decision, f"100/{kind.upper()}/{day.isoformat()}", day)


def test_a_substantive_revision_withdraws_the_approvals_recorded_before_it(
    reg: CooperationRegister, db: Database
) -> None:
    mou = new(reg, partner="gothenburg")
    for kind in ("dprd", "kemendagri"):
        reg.record_approval(mou.id, approve_on(kind, dt.date(2026, 11, 1)), actor="t")
    assert reg.missing_approvals(reg.get(mou.id)) == []
    reg.revise(mou.id, {"number": "415.4/01/KS/XI/2026"}, actor="t")  # not substantive
    assert reg.missing_approvals(reg.get(mou.id)) == []
    revised = reg.revise(mou.id, {"fields": ["smart_city", "trade"]}, actor="t")
    assert reg.missing_approvals(revised) == ["dprd", "kemendagri"]
    assert [a.withdrawn_on for a in revised.approvals] == [TODAY, TODAY]
    assert AuditLog(db).entries(action="cooperation.agreement.revised")[-1].details[
        "approvals_withdrawn"
    ] == ["dprd", "kemendagri"]
    with pytest.raises(ConflictError, match="approvals"):
        sign(reg, mou.id)
    with pytest.raises(ValidationError) as caught:  # decided on the old text
        reg.record_approval(mou.id, approve_on("dprd", dt.date(2026, 11, 2)), actor="t")
    assert caught.value.fields == ("decided_on",)
    for kind in ("dprd", "kemendagri"):
        reg.record_approval(mou.id, approve_on(kind, TODAY), actor="t")
    assert sign(reg, mou.id).status is S.ACTIVE
    again = reg.get(mou.id)
    assert [a.withdrawn_on for a in again.approvals] == [TODAY, TODAY, None, None]


def test_the_decision_decided_last_counts_not_the_one_recorded_last(
    reg: CooperationRegister,
) -> None:
    mou = new(reg, partner="gothenburg")
    reg.record_approval(mou.id, approve_on("kemendagri", dt.date(2026, 3, 1)), actor="t")
    reg.record_approval(mou.id, approve_on("dprd", dt.date(2026, 11, 20), "rejected"), actor="t")
    late = reg.record_approval(mou.id, approve_on("dprd", dt.date(2026, 3, 1)), actor="t")
    assert late.status is S.ON_HOLD
    assert reg.missing_approvals(late) == ["dprd"]
    with pytest.raises(ConflictError, match="dprd"):
        sign(reg, mou.id)
    reg.record_approval(mou.id, approve_on("dprd", dt.date(2026, 11, 20)), actor="t")
    assert sign(reg, mou.id).status is S.ACTIVE  # same day: the one recorded last counts


def test_it_is_signed_on_or_after_the_approvals_it_needs(reg: CooperationRegister) -> None:
    mou = new(reg, partner="gothenburg")
    reg.record_approval(mou.id, approve_on("dprd", dt.date(2026, 10, 1)), actor="t")
    reg.record_approval(mou.id, approve_on("kemendagri", dt.date(2026, 11, 10)), actor="t")
    for day in (dt.date(2026, 11, 9), TODAY + dt.timedelta(days=1)):
        with pytest.raises(ValidationError) as caught:
            sign(reg, mou.id, on=day)
        assert caught.value.fields == ("signed_on",)
    assert reg.get(mou.id).status is S.NEGOTIATING
    assert sign(reg, mou.id, on=dt.date(2026, 11, 10)).signed_on == dt.date(2026, 11, 10)


def test_an_agreement_is_signed_only_by_the_move_to_active(reg: CooperationRegister) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"signed_on": dt.date(2026, 1, 1)}, "signed_on"),
        ({"signed_on": dt.date(2026, 1, 1), "signing_event": "F8"}, "signed_on"),
    ]
    for extra, field in cases:
        with pytest.raises(ValidationError) as caught:
            new(reg, **extra)
        assert caught.value.fields == (field,)
    draft = new(reg, status="draft")
    with pytest.raises(ValidationError) as caught:
        reg.transition(draft.id, "negotiating", actor="t", signing_event="Festival F8")
    assert caught.value.fields == ("signing_event",)
    assert reg.get(draft.id).signing_event is None


def test_a_signed_agreement_keeps_its_renewal_and_an_ended_one_cannot_change(
    reg: CooperationRegister, clock: FixedClock
) -> None:
    mou = new(reg, renewal="by_amendment")
    sign(reg, mou.id)
    with pytest.raises(ConflictError, match="renewal"):
        reg.revise(mou.id, {"renewal": "automatic"}, actor="t")
    ended = new(reg, term=Term(dt.date(2026, 1, 1), dt.date(2026, 11, 30)))
    sign(reg, ended.id)
    clock.set(dt.datetime(2026, 12, 5, 2, tzinfo=dt.UTC))
    assert reg.get(ended.id).status is S.ACTIVE  # not yet stored as expired
    with pytest.raises(ConflictError, match="expired"):
        reg.revise(ended.id, {"title": "Diubah setelah berakhir"}, actor="t")


def test_an_automatic_renewal_keeps_to_the_leap_day_anniversary(
    reg: CooperationRegister, clock: FixedClock
) -> None:
    clock.set(dt.datetime(2024, 3, 1, 2, tzinfo=dt.UTC))
    mou = new(reg, term=Term.years(dt.date(2024, 2, 29), 1), renewal="automatic")
    sign(reg, mou.id, on=dt.date(2024, 2, 29))
    clock.set(dt.datetime(2028, 3, 1, 2, tzinfo=dt.UTC))
    reg.apply_terms(actor="system")
    stored = reg.get(mou.id)
    assert stored.end_on(dt.date(2028, 2, 28)) == dt.date(2028, 2, 28)
    assert stored.end_on(dt.date(2028, 2, 29)) == dt.date(2029, 2, 27)


def test_messages_do_not_repeat_what_may_be_personal_data(reg: CooperationRegister) -> None:
    with pytest.raises(NotFoundError) as missing:
        new(reg, partner="kaohsiung")
    assert "kaohsiung" not in str(missing.value)
    assert "no such partner" in str(missing.value)
    with pytest.raises(ValidationError) as caught:
        new(reg, agencies=["satpolpp"])
    assert caught.value.fields == ("agencies[0]",)
    assert "satpolpp" not in str(caught.value)
    for code in ("7371014501900001", "081234567890"):
        with pytest.raises(ValidationError) as bad:
            Partner(city="makassar", code=code, kind="domestic_private", name="PT X")
        assert bad.value.fields == ("code",)
        assert code not in str(bad.value)


def test_a_partner_added_twice_at_once_is_a_conflict(
    reg: CooperationRegister, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The other process's insert lands between our check and our insert.
    monkeypatch.setattr(reg, "_partner_row", lambda *_: None)
    with pytest.raises(ConflictError, match="already exists"):
        reg.add_partner(
            Partner(city="makassar", code="tual", kind="domestic_private", name="PT Tual"),
            actor="t",
        )
    assert rows(db, store.partners) == 3


def test_activities_come_only_under_agreements_that_run(
    reg: CooperationRegister, clock: FixedClock
) -> None:
    def visit(agreement_id: int) -> Activity:
        return Activity(agreement_id, "study_visit", "Kunjungan", TODAY, TODAY)

    held = new(reg)
    sign(reg, held.id)
    reg.transition(held.id, "on_hold", actor="t", notes="Evaluasi")
    assert reg.add_activity(visit(held.id), actor="t").id > 0  # on hold after signing
    ended = new(reg)
    sign(reg, ended.id)
    reg.transition(ended.id, "terminated", actor="t", notes="Diakhiri")
    with pytest.raises(ConflictError, match="terminated"):
        reg.add_activity(visit(ended.id), actor="t")
    short = new(reg, term=Term(dt.date(2026, 1, 1), dt.date(2026, 11, 30)))
    sign(reg, short.id)
    clock.set(dt.datetime(2026, 12, 5, 2, tzinfo=dt.UTC))
    with pytest.raises(ConflictError, match="expired"):
        reg.add_activity(visit(short.id), actor="t")
