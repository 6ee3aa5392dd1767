"""Cooperation models: partners, terms, agreements, approvals policy, activities (no database)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity_kit.core import RegionCode
from smartcity_kit.egov.cooperation import (
    DEFAULT_REQUIRED_APPROVALS,
    TRANSITIONS,
    Activity,
    Agreement,
    AgreementKind,
    AgreementStatus,
    ApprovalKind,
    ApprovalPolicy,
    Document,
    Partner,
    PartnerKind,
    Renewal,
    Term,
)
from smartcity_kit.errors import ValidationError


def fields_of(call: Any) -> tuple[str, ...]:
    with pytest.raises(ValidationError) as caught:
        call()
    return tuple(caught.value.fields)


def agreement(**changes: Any) -> Agreement:
    values: dict[str, Any] = {
        "city": "makassar",
        "partner": "tual",
        "kind": "mou",
        "title": "Kesepakatan bersama smart city",
        "fields": ["smart_city"],
        "agencies": ["diskominfo"],
    }
    values.update(changes)
    return Agreement(**values)


# --- partners --------------------------------------------------------------------------------


def test_an_indonesian_region_partner_is_checked_against_the_kemendagri_data() -> None:
    tual = Partner(
        city="makassar",
        code="tual",
        kind="indonesian_region",
        name="Kota Tual",
        region_code=RegionCode.parse("81.72"),
    )
    assert tual.country == "ID"
    assert fields_of(
        lambda: Partner(city="makassar", code="x", kind="indonesian_region", name="X")
    ) == ("region_code",)
    assert fields_of(
        lambda: Partner(
            city="makassar",
            code="x",
            kind="indonesian_region",
            name="X",
            region_code=RegionCode("81.79"),  # well formed, but no such city
        )
    ) == ("region_code",)
    assert fields_of(
        lambda: Partner(
            city="makassar",
            code="x",
            kind="indonesian_region",
            name="X",
            region_code=RegionCode.parse("73.71.10"),  # a kecamatan
        )
    ) == ("region_code",)


@pytest.mark.parametrize("kind", [k for k in PartnerKind if k.foreign], ids=lambda k: k.value)
def test_a_foreign_partner_names_another_country(kind: PartnerKind) -> None:
    assert Partner(city="makassar", code="p", kind=kind, name="P", country="kr").country == "KR"
    assert fields_of(lambda: Partner(city="makassar", code="p", kind=kind, name="P")) == (
        "country",
    )


def test_country_codes_are_iso_3166_alpha_2() -> None:
    for bad in ("XX", "SWE", "", "EU", 46):
        assert fields_of(
            lambda bad=bad: Partner(
                city="makassar", code="p", kind="foreign_city", name="P", country=bad
            )
        ) == ("country",)
    assert fields_of(
        lambda: Partner(city="makassar", code="p", kind="domestic_private", name="P", country="SG")
    ) == ("country",)


def test_only_a_region_has_a_region_code_and_codes_and_kinds_are_checked() -> None:
    assert fields_of(
        lambda: Partner(
            city="makassar",
            code="p",
            kind="domestic_private",
            name="PT Telkom",
            region_code=RegionCode.parse("73.71"),
        )
    ) == ("region_code",)
    assert fields_of(
        lambda: Partner(city="makassar", code="Gothenburg!", kind="foreign_city", name="G")
    ) == ("code",)
    assert fields_of(lambda: Partner(city="makassar", code="g", kind="twin", name="G")) == ("kind",)


# --- terms and documents ---------------------------------------------------------------------


def test_a_term_of_years_ends_the_day_before_the_anniversary() -> None:
    assert Term.years(dt.date(2024, 2, 29), 1) == Term(dt.date(2024, 2, 29), dt.date(2025, 2, 27))
    assert fields_of(lambda: Term.years(dt.date(2024, 1, 1), 0)) == ("term.years",)
    assert fields_of(lambda: Term(dt.date(2024, 1, 2), dt.date(2024, 1, 1))) == ("term.end",)
    assert fields_of(lambda: Term(dt.date(1800, 1, 2))) == ("term.start",)


@given(
    start=st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2800, 12, 31)),
    years=st.integers(1, 5),
    n=st.integers(0, 8),
)
def test_the_nth_renewal_of_a_term_of_years_keeps_to_the_original_anniversary(
    start: dt.date, years: int, n: int
) -> None:
    term = Term.years(start, years)
    renewal = term.renewal(n)
    # Independent of how renewal counts: the n-th renewal is what lies between the ends of
    # the n*years and the (n+1)*years terms from the same start.
    if n == 0:
        assert renewal == term
    else:
        before = Term.years(start, n * years).end
        assert before is not None
        assert renewal.start == before + dt.timedelta(days=1)
    assert renewal.end == Term.years(start, (n + 1) * years).end
    assert renewal.whole_years == years  # a renewed term is as many years long
    assert renewal.end is not None
    assert term.renewal(n + 1).start == renewal.end + dt.timedelta(days=1)  # no gap, no overlap
    if (start.month, start.day) != (2, 29):
        assert (renewal.start.month, renewal.start.day) == (start.month, start.day)


@given(
    start=st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2800, 12, 31)),
    days=st.integers(0, 2000),
    offset=st.integers(0, 20_000),
)
def test_the_term_running_on_a_day_holds_that_day(start: dt.date, days: int, offset: int) -> None:
    term = Term(start, start + dt.timedelta(days=days))
    day = start + dt.timedelta(days=offset)
    running = term.running_on(day)
    assert running.start <= day
    assert running.end is not None
    assert day <= running.end


def test_a_leap_day_term_does_not_drift() -> None:
    term = Term.years(dt.date(2024, 2, 29), 1)
    assert term.renewal(1) == Term(dt.date(2025, 2, 28), dt.date(2026, 2, 27))
    assert term.renewal(4) == Term(dt.date(2028, 2, 29), dt.date(2029, 2, 27))
    assert term.renewed().renewed().renewed().renewed() != term.renewal(4)  # why it is kept


@given(
    start=st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2900, 12, 31)),
    days=st.integers(0, 2000),
)
def test_renewing_any_term_starts_the_day_after_and_never_shortens(
    start: dt.date, days: int
) -> None:
    term = Term(start, start + dt.timedelta(days=days))
    assert term.end is not None
    nxt = term.renewed()
    assert nxt.start == term.end + dt.timedelta(days=1)
    assert nxt.end is not None
    if term.whole_years is None:
        assert (nxt.end - nxt.start).days >= (term.end - term.start).days
    else:  # a year is a year, 365 or 366 days
        assert nxt.whole_years == term.whole_years


def test_documents_are_known_by_their_sha256() -> None:
    doc = Document.of("PKS.pdf", b"isi")
    assert len(doc.sha256) == 64
    assert Document("PKS.pdf", doc.sha256.upper()) == doc
    assert fields_of(lambda: Document("PKS.pdf", "abc")) == ("sha256",)
    assert fields_of(lambda: Document("", doc.sha256)) == ("name",)


# --- agreements ------------------------------------------------------------------------------


def test_a_pks_implements_an_mou_and_nothing_else_does() -> None:
    assert agreement(kind="pks", implements=1).implements == 1
    assert fields_of(lambda: agreement(kind="pks")) == ("implements",)
    assert fields_of(lambda: agreement(kind="loi", implements=1)) == ("implements",)


def test_an_agreement_names_fields_and_agencies() -> None:
    assert fields_of(lambda: agreement(fields=[])) == ("fields",)
    assert fields_of(lambda: agreement(fields=["smart_city", "smart_city"])) == ("fields",)
    assert fields_of(lambda: agreement(fields=["smart_city", "space"])) == ("fields[1]",)
    assert fields_of(lambda: agreement(fields="smart_city")) == ("fields",)
    assert fields_of(lambda: agreement(agencies=[])) == ("agencies",)
    assert fields_of(lambda: agreement(agencies=["dpu", "bad code"])) == ("agencies[1]",)
    assert fields_of(lambda: agreement(title="")) == ("title",)


def test_agreement_text_must_not_hold_personal_numbers() -> None:
    assert fields_of(lambda: agreement(title="Hubungi 0812-3456-7890")) == ("title",)
    assert fields_of(lambda: agreement(status_notes="NIK 7371105508950001")) == ("notes",)


def test_automatic_renewal_needs_an_end_and_an_event_needs_a_date() -> None:
    assert fields_of(lambda: agreement(renewal="automatic", term=Term(dt.date(2026, 1, 1)))) == (
        "renewal",
    )
    assert fields_of(lambda: agreement(signing_event="F8")) == ("signed_on",)


def test_status_as_of_a_day_expires_a_running_agreement_after_its_term() -> None:
    term = Term.years(dt.date(2020, 1, 1), 2)
    active = agreement(status="active", signed_on=dt.date(2020, 1, 1), term=term)
    assert active.status_on(dt.date(2021, 12, 31)) is AgreementStatus.ACTIVE
    assert active.status_on(dt.date(2022, 1, 1)) is AgreementStatus.EXPIRED
    assert active.in_force_on(dt.date(2021, 6, 1))
    assert not active.in_force_on(dt.date(2019, 6, 1))  # signed, but not started
    # On hold after signing: the term still runs out.
    held = agreement(status="on_hold", signed_on=dt.date(2020, 1, 1), term=term)
    assert held.status_on(dt.date(2023, 1, 1)) is AgreementStatus.EXPIRED
    # On hold before signing (awaiting a review): nothing runs.
    waiting = agreement(status="on_hold", term=term)
    assert waiting.status_on(dt.date(2023, 1, 1)) is AgreementStatus.ON_HOLD


def test_an_automatically_renewing_agreement_rolls_on() -> None:
    rolling = agreement(
        status="active",
        signed_on=dt.date(2020, 1, 1),
        term=Term.years(dt.date(2020, 1, 1), 2),
        renewal=Renewal.AUTOMATIC,
    )
    assert rolling.status_on(dt.date(2030, 5, 1)) is AgreementStatus.ACTIVE
    assert rolling.end_on(dt.date(2030, 5, 1)) == dt.date(2031, 12, 31)
    assert rolling.end_on(dt.date(2021, 5, 1)) == dt.date(2021, 12, 31)


def test_transitions_end_in_expired_or_terminated() -> None:
    assert TRANSITIONS[AgreementStatus.EXPIRED] == frozenset()
    assert TRANSITIONS[AgreementStatus.TERMINATED] == frozenset()
    assert AgreementStatus.ACTIVE not in TRANSITIONS[AgreementStatus.DRAFT]
    for status, targets in TRANSITIONS.items():
        assert status not in targets
        assert status.final == (not targets)


# --- policy and activities -------------------------------------------------------------------


def test_the_default_policy_asks_approvals_for_foreign_partners_only() -> None:
    policy = ApprovalPolicy()
    for kind in PartnerKind:
        needed = policy.required_for(kind, AgreementKind.MOU)
        assert bool(needed) == kind.foreign
        assert needed == DEFAULT_REQUIRED_APPROVALS[kind]
    # A letter of intent binds no one: only the foreign private review still applies.
    assert policy.required_for(PartnerKind.FOREIGN_CITY, AgreementKind.LOI) == frozenset()
    assert policy.required_for(PartnerKind.FOREIGN_PRIVATE, AgreementKind.LOI) == {
        ApprovalKind.CENTRAL_REVIEW
    }


def test_no_policy_drops_the_central_review_of_a_foreign_private_party() -> None:
    lax = ApprovalPolicy(required={"foreign_private": []}, applies_to=["pks"])
    for kind in AgreementKind:
        assert ApprovalKind.CENTRAL_REVIEW in lax.required_for(PartnerKind.FOREIGN_PRIVATE, kind)
    strict = ApprovalPolicy(required={"indonesian_region": ["dprd"]})
    assert strict.required_for(PartnerKind.INDONESIAN_REGION, AgreementKind.PKS) == {
        ApprovalKind.DPRD
    }
    assert fields_of(lambda: ApprovalPolicy(required={"alien": ["dprd"]})) == ("required",)
    assert fields_of(lambda: ApprovalPolicy(required={"foreign_city": ["mayor"]})) == (
        "required.foreign_city",
    )


def test_an_activity_has_dates_in_order_and_a_sane_count() -> None:
    day = dt.date(2026, 3, 9)
    Activity(agreement_id=1, kind="training", title="Bimtek", starts=day, ends=day)
    assert fields_of(
        lambda: Activity(
            agreement_id=1, kind="training", title="B", starts=day, ends=day - dt.timedelta(1)
        )
    ) == ("ends",)
    assert fields_of(
        lambda: Activity(
            agreement_id=1, kind="training", title="B", starts=day, ends=day, participants=-1
        )
    ) == ("participants",)
    assert fields_of(
        lambda: Activity(agreement_id=1, kind="party", title="B", starts=day, ends=day)
    ) == ("kind",)
