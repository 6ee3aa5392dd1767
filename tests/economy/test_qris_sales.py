"""QRIS sales: making them, their dynamic codes, and payments posted to the books once."""

from __future__ import annotations

import datetime as dt
import functools
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from smartcity_kit.core import Address, FixedClock, RegionCode, Rupiah
from smartcity_kit.economy import (
    Books,
    Enterprise,
    EnterpriseRegistry,
    EnterpriseStatus,
    EntryKind,
    StandardAccount,
)
from smartcity_kit.economy import _store as economy_store
from smartcity_kit.economy.qris import (
    MerchantCriteria,
    PaymentNotification,
    PaymentResult,
    QrisMerchant,
    QrisSale,
    QrisSales,
    SaleItem,
    SaleStatus,
    parse_qris,
)
from smartcity_kit.economy.qris import _store as store
from smartcity_kit.economy.qris._sales import MAX_QUANTITY, MAX_SALE_AMOUNT
from smartcity_kit.errors import ConflictError, FieldError, NotFoundError, ValidationError
from smartcity_kit.storage import AuditLog, Database, upgrade

ENT = "mks-maricaya-01"
OTHER = "mks-bs-mawar"
ADMIN = "opd:dkukm/admin"
ACTOR = "bulo:mks-maricaya-01/bendahara"
GATEWAY = "gateway:uji"
# 01:00 in Makassar (WITA, UTC+8) on the 24th: the sale's day is the city's, not UTC's.
NOW = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)
LOCAL_TODAY = dt.date(2026, 11, 24)
NMID = "ID1020000000001"
SYRUP = SaleItem("Sirup markisa 600 ml", 2, Rupiah(35_000))
BAG = SaleItem("Tas anyaman", 1, Rupiah(15_000))


def merchant(enterprise: str = ENT, **changes: Any) -> QrisMerchant:
    values: dict[str, Any] = {
        "enterprise": enterprise,
        "nmid": NMID,
        "mcc": "5499",
        "name": "BULO MARICAYA",
        "city": "MAKASSAR",
        "postal_code": "90111",
    }
    values.update(changes)
    return QrisMerchant(**values)


def register(db: Database, clock: FixedClock) -> EnterpriseRegistry:
    registry = EnterpriseRegistry(db, clock)
    for enterprise_id, name, sector in (
        (ENT, "BULo Maricaya", "processed_food"),
        (OTHER, "Bank Sampah Mawar", "waste_bank"),
    ):
        registry.register(
            Enterprise(
                id=enterprise_id,
                city="makassar",
                name=name,
                address=Address(village=RegionCode.parse("73.71.03.1001"), lorong="Lorong 3"),
                sector=sector,
                legal_form="cooperative",
                founded=dt.date(2017, 8, 17),
            ),
            actor=ADMIN,
        )
    registry.add_member(ENT, name="Andi Nurhaliza", joined=dt.date(2020, 1, 6), actor=ADMIN)
    registry.add_member(ENT, name="Budi Santoso", joined=dt.date(2020, 1, 6), actor=ADMIN)
    return registry


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def sales(db: Database, clock: FixedClock) -> QrisSales:
    register(db, clock)
    made = QrisSales(db, clock)
    made.save_merchant(merchant(), actor=ACTOR)
    return made


def head(db: Database) -> int:
    return AuditLog(db).head_seq()


def count(db: Database, table: sa.Table) -> int:
    with db.reading() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def entries(db: Database) -> int:
    return count(db, economy_store.entries)


def note(sale: QrisSale, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reference": sale.reference,
        "amount": sale.amount.amount,
        "paid_at": "2026-11-24T01:05:00+08:00",
        "payment_id": "TRX-20261124-000123",
        "issuer": "Bank Uji",
    }
    data.update(changes)
    return data


def unchanged(db: Database, action: Callable[[], object], error: type[Exception]) -> Exception:
    """Run ``action``, expecting ``error``, and check that nothing was written."""
    before = (head(db), entries(db), count(db, store.sales))
    with pytest.raises(error) as raised:
        action()
    assert (head(db), entries(db), count(db, store.sales)) == before
    return raised.value


# --- merchant data ------------------------------------------------------------------------------


def test_merchant_data_is_saved_replaced_and_read(db: Database, clock: FixedClock) -> None:
    register(db, clock)
    sales = QrisSales(db, clock)
    with pytest.raises(NotFoundError, match="no QRIS merchant data"):
        sales.merchant(ENT)
    sales.save_merchant(merchant(), actor=ACTOR)
    assert sales.merchant(ENT) == merchant()
    changed = merchant(
        name="BULO MARICAYA BARU",
        criteria=MerchantCriteria.SMALL,
        merchant_pan="9360000812345678901",
        acquirer_guid="ID.CO.BANKUJI.WWW",
    )
    sales.save_merchant(changed, actor=ACTOR)
    assert sales.merchant(ENT) == changed
    assert count(db, store.merchants) == 1
    saved = AuditLog(db).entries(action="qris.merchant_saved")
    assert len(saved) == 2
    # The PAN is an account number: only its last digits reach the audit log.
    assert saved[-1].details["merchant_pan"] == "...8901"
    assert "9360000812345678901" not in str(saved[-1].details)


def test_merchant_of_an_unknown_enterprise_is_not_found(db: Database, clock: FixedClock) -> None:
    register(db, clock)
    sales = QrisSales(db, clock)
    with pytest.raises(NotFoundError):
        sales.save_merchant(merchant("mks-nowhere-01"), actor=ACTOR)
    with pytest.raises(NotFoundError):
        sales.merchant("mks-nowhere-01")
    with pytest.raises(ValidationError, match="merchant"):
        sales.save_merchant("ID1020000000001", actor=ACTOR)  # type: ignore[arg-type]


@pytest.mark.parametrize("nmid", ["ID0812345678901", "ID1020000000001", "ID081234567890123"])
def test_nmids_that_look_like_phone_digits_are_audited(
    db: Database, clock: FixedClock, nmid: str
) -> None:
    """The audit log refuses phone-like digit runs; an NMID's "ID" prefix keeps it an NMID."""
    register(db, clock)
    sales = QrisSales(db, clock)
    sales.save_merchant(merchant(nmid=nmid), actor=ACTOR)
    assert AuditLog(db).entries(action="qris.merchant_saved")[-1].details["nmid"] == nmid


# --- making sales -------------------------------------------------------------------------------


def test_a_sale_sums_its_items_and_is_dated_in_the_citys_today(
    db: Database, sales: QrisSales
) -> None:
    sale = sales.create(ENT, [SYRUP, BAG], actor=ACTOR)
    assert sale.amount == Rupiah(85_000)
    assert sale.status is SaleStatus.PENDING
    assert sale.date == LOCAL_TODAY
    assert sale.reference == f"QRS{sale.id:09d}"
    assert sale.items == (SYRUP, BAG)
    assert sale.created_at == NOW
    assert (sale.paid_at, sale.payment_id, sale.entry_id, sale.member) == (None, None, None, None)
    assert sales.get(sale.id) == sale
    assert sales.by_reference(sale.reference) == sale
    made = AuditLog(db).entries(action="qris.sale_created")
    assert len(made) == 1
    assert made[0].details["amount"] == "Rp85.000"
    assert made[0].details["reference"] == sale.reference
    assert made[0].actor == ACTOR
    assert entries(db) == 0  # nothing is posted until it is paid


def test_references_are_unique_and_short(sales: QrisSales) -> None:
    made = [sales.create(ENT, [BAG], actor=ACTOR) for _ in range(3)]
    references = [s.reference for s in made]
    assert len(set(references)) == 3
    assert all(len(r) <= 25 and r.isprintable() for r in references)


def test_a_sale_to_a_member_names_the_member(db: Database, sales: QrisSales) -> None:
    sale = sales.create(ENT, [SYRUP], actor=ACTOR, member=2, date=dt.date(2026, 11, 20))
    assert (sale.member, sale.date) == (2, dt.date(2026, 11, 20))
    sales.mark_paid(sale.id, actor=ACTOR)
    entry = Books(db).entry(sales.get(sale.id).entry_id or 0)
    assert [(line.account, line.member) for line in entry.lines] == [("1103", None), ("4101", 2)]


def test_a_sale_needs_merchant_data(db: Database, clock: FixedClock) -> None:
    register(db, clock)
    sales = QrisSales(db, clock)
    error = unchanged(db, lambda: sales.create(ENT, [BAG], actor=ACTOR), ValidationError)
    assert isinstance(error, ValidationError)
    assert error.errors[0].path == "merchant"


def test_a_sale_of_an_unknown_enterprise_is_not_found(db: Database, sales: QrisSales) -> None:
    unchanged(db, lambda: sales.create("mks-nowhere-01", [BAG], actor=ACTOR), NotFoundError)


def test_a_dormant_enterprise_takes_no_sales(
    db: Database, clock: FixedClock, sales: QrisSales
) -> None:
    EnterpriseRegistry(db, clock).set_status(ENT, EnterpriseStatus.DORMANT, actor=ADMIN)
    error = unchanged(db, lambda: sales.create(ENT, [BAG], actor=ACTOR), ValidationError)
    assert isinstance(error, ValidationError)
    assert error.errors[0].path == "enterprise"
    assert "dormant" in error.errors[0].message


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([], "items"),
        ([BAG] * 101, "items"),
        ("Tas anyaman", "items"),
        ([BAG, "Tas"], "items[1]"),
        ([SaleItem("Emas batangan", 10_000, Rupiah(10**12))], "items"),
    ],
)
def test_bad_items_are_refused(db: Database, sales: QrisSales, items: Any, field: str) -> None:
    error = unchanged(db, lambda: sales.create(ENT, items, actor=ACTOR), ValidationError)
    assert isinstance(error, ValidationError)
    assert error.errors[0].path == field


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("", 1, Rupiah(1)), "name"),
        ("   ", "name"),
        (("x" * 101, 1, Rupiah(1)), "name"),
        (("Sirup\nmarkisa", 1, Rupiah(1)), "name"),
        (("Sirup", 0, Rupiah(1)), "quantity"),
        (("Sirup", 10_001, Rupiah(1)), "quantity"),
        (("Sirup", True, Rupiah(1)), "quantity"),
        (("Sirup", 1.0, Rupiah(1)), "quantity"),
        (("Sirup", 1, Rupiah(0)), "unit_price"),
        (("Sirup", 1, 15000), "unit_price"),
    ],
)
def test_bad_item_fields_are_named(args: Any, field: str) -> None:
    if isinstance(args, str):
        args = (args, 1, Rupiah(1))
    with pytest.raises(ValidationError) as raised:
        SaleItem(*args)
    assert raised.value.errors[0].path == field


def test_the_largest_names_and_quantities_are_taken() -> None:
    item = SaleItem("x" * 100, 10_000, Rupiah(1))
    assert item.total == Rupiah(10_000)


@pytest.mark.parametrize(
    ("member", "says"),
    [(9, "is not a member"), (0, "member number"), (True, "member number")],
)
def test_a_sale_to_someone_not_a_member_is_refused(
    db: Database, sales: QrisSales, member: Any, says: str
) -> None:
    error = unchanged(
        db, lambda: sales.create(ENT, [BAG], actor=ACTOR, member=member), ValidationError
    )
    assert isinstance(error, ValidationError)
    assert error.errors[0].path == "member"
    assert says in error.errors[0].message


def test_a_sale_to_a_member_who_left_is_refused(
    db: Database, clock: FixedClock, sales: QrisSales
) -> None:
    EnterpriseRegistry(db, clock).change_member(ENT, 2, left=dt.date(2026, 6, 30), actor=ADMIN)
    sales.create(ENT, [BAG], actor=ACTOR, member=2, date=dt.date(2026, 6, 30))
    error = unchanged(
        db,
        lambda: sales.create(ENT, [BAG], actor=ACTOR, member=2, date=dt.date(2026, 7, 1)),
        ValidationError,
    )
    assert isinstance(error, ValidationError)
    assert "does not belong" in error.errors[0].message


def test_a_sale_outside_the_open_books_is_refused(db: Database, sales: QrisSales) -> None:
    def make(day: Any) -> object:
        return sales.create(ENT, [BAG], actor=ACTOR, date=day)

    error = unchanged(db, lambda: make(dt.date(2017, 8, 16)), ValidationError)
    assert "founded" in str(error)
    unchanged(db, lambda: make(dt.datetime(2026, 11, 20, tzinfo=dt.UTC)), ValidationError)
    unchanged(db, lambda: make("2026-11-20"), ValidationError)
    sales.books.close_period(ENT, dt.date(2025, 12, 31), actor=ACTOR)
    error = unchanged(db, lambda: make(dt.date(2025, 12, 31)), ValidationError)
    assert isinstance(error, ValidationError)
    assert error.errors[0].path == "date"
    assert "closed period" in error.errors[0].message


# --- the dynamic code ---------------------------------------------------------------------------


def test_the_dynamic_code_carries_amount_bill_number_and_reference(sales: QrisSales) -> None:
    sale = sales.create(ENT, [SYRUP, BAG], actor=ACTOR)
    code = parse_qris(sales.payload(sale.id))
    assert code.is_dynamic
    assert code.amount == Rupiah(85_000)
    assert code.nmid == NMID
    assert code.merchant_name == "BULO MARICAYA"
    assert code.merchant_city == "MAKASSAR"
    assert code.additional is not None
    assert code.additional.bill_number == str(sale.id)
    assert code.additional.reference_label == sale.reference


def test_no_code_for_a_sale_that_is_not_pending(sales: QrisSales) -> None:
    paid = sales.create(ENT, [BAG], actor=ACTOR)
    sales.mark_paid(paid.id, actor=ACTOR)
    cancelled = sales.create(ENT, [BAG], actor=ACTOR)
    sales.cancel(cancelled.id, actor=ACTOR)
    with pytest.raises(ConflictError, match="is paid"):
        sales.payload(paid.id)
    with pytest.raises(ConflictError, match="is cancelled"):
        sales.payload(cancelled.id)
    with pytest.raises(NotFoundError):
        sales.payload(999)


# --- payments -----------------------------------------------------------------------------------


def test_marking_paid_posts_the_sale_once(db: Database, sales: QrisSales) -> None:
    sale = sales.create(ENT, [SYRUP, BAG], actor=ACTOR)
    paid_at = dt.datetime(2026, 11, 24, 1, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    first = sales.mark_paid(sale.id, actor=ACTOR, paid_at=paid_at, payment_id="TRX-1")
    assert first.posted
    assert first.sale.status is SaleStatus.PAID
    assert first.sale.paid_at == paid_at
    assert first.sale.paid_at is not None
    assert first.sale.paid_at.tzinfo is not None
    assert first.sale.payment_id == "TRX-1"
    assert first.sale.entry_id is not None
    assert sales.get(sale.id) == first.sale
    entry = Books(db).entry(first.sale.entry_id)
    assert entry.kind is EntryKind.SALE
    assert entry.date == sale.date
    assert entry.description == f"Penjualan QRIS {sale.reference}"
    assert [(line.account, line.debit, line.credit) for line in entry.lines] == [
        (StandardAccount.QRIS_CLEARING, Rupiah(85_000), Rupiah(0)),
        (StandardAccount.SALES, Rupiah(0), Rupiah(85_000)),
    ]
    audited = AuditLog(db).entries(action="qris.sale_paid")
    assert len(audited) == 1
    assert audited[0].details["amount"] == "Rp85.000"

    before = (head(db), entries(db))
    again = sales.mark_paid(sale.id, actor=ACTOR)
    assert again == PaymentResult(first.sale, posted=False)
    assert (head(db), entries(db)) == before


def test_paid_at_defaults_to_now_and_must_have_a_time_zone(db: Database, sales: QrisSales) -> None:
    sale = sales.create(ENT, [BAG], actor=ACTOR)
    naive = dt.datetime(2026, 11, 24, 1, 5)  # noqa: DTZ001 - the point of the test
    error = unchanged(
        db, lambda: sales.mark_paid(sale.id, actor=ACTOR, paid_at=naive), ValidationError
    )
    assert isinstance(error, ValidationError)
    assert error.errors[0].path == "paid_at"
    for bad in ("", "x" * 65, "TRX\n1"):
        unchanged(
            db,
            functools.partial(sales.mark_paid, sale.id, actor=ACTOR, payment_id=bad),
            ValidationError,
        )
    assert sales.mark_paid(sale.id, actor=ACTOR).sale.paid_at == NOW


def test_a_notification_posts_the_sale_and_a_repeat_posts_nothing(
    db: Database, sales: QrisSales
) -> None:
    sale = sales.create(ENT, [SYRUP], actor=ACTOR)
    first = sales.apply_notification(note(sale), actor=GATEWAY)
    assert first.posted
    assert first.sale.paid_at == dt.datetime(2026, 11, 23, 17, 5, tzinfo=dt.UTC)
    assert first.sale.payment_id == "TRX-20261124-000123"
    before = (head(db), entries(db))
    again = sales.apply_notification(PaymentNotification.from_mapping(note(sale)), actor=GATEWAY)
    assert again == PaymentResult(first.sale, posted=False)
    assert (head(db), entries(db)) == before
    audited = AuditLog(db).entries(action="qris.sale_paid")[-1]
    assert audited.details["via"] == "notification"
    assert audited.details["payment_id"] == "...0123"
    assert audited.details["issuer"] == "Bank Uji"


def test_a_notification_after_marking_by_hand_posts_nothing(db: Database, sales: QrisSales) -> None:
    sale = sales.create(ENT, [SYRUP], actor=ACTOR)
    by_hand = sales.mark_paid(sale.id, actor=ACTOR)
    before = (head(db), entries(db))
    result = sales.apply_notification(note(sale), actor=GATEWAY)
    assert result == PaymentResult(by_hand.sale, posted=False)
    assert (head(db), entries(db)) == before


def test_a_second_payment_of_a_paid_sale_is_a_conflict(db: Database, sales: QrisSales) -> None:
    sale = sales.create(ENT, [SYRUP], actor=ACTOR)
    sales.apply_notification(note(sale), actor=GATEWAY)
    error = unchanged(
        db,
        lambda: sales.apply_notification(note(sale, payment_id="TRX-OTHER"), actor=GATEWAY),
        ConflictError,
    )
    assert "second payment" in str(error)


def test_a_notification_for_another_amount_writes_nothing(db: Database, sales: QrisSales) -> None:
    sale = sales.create(ENT, [SYRUP], actor=ACTOR)
    error = unchanged(
        db,
        lambda: sales.apply_notification(note(sale, amount=69_999), actor=GATEWAY),
        ValidationError,
    )
    assert isinstance(error, ValidationError)
    assert error.errors[0].path == "amount"
    assert sales.get(sale.id).status is SaleStatus.PENDING


def test_a_notification_for_no_sale_is_not_found(db: Database, sales: QrisSales) -> None:
    sale = sales.create(ENT, [SYRUP], actor=ACTOR)
    for reference in ("QRS999999999", "x" * 25):
        found = note(sale, reference=reference)
        deliver = functools.partial(sales.apply_notification, found, actor=GATEWAY)
        unchanged(db, deliver, NotFoundError)
    with pytest.raises(NotFoundError):
        sales.by_reference("x" * 26)


def test_a_cancelled_sale_cannot_be_paid(db: Database, sales: QrisSales) -> None:
    sale = sales.create(ENT, [SYRUP], actor=ACTOR)
    sales.cancel(sale.id, actor=ACTOR)
    unchanged(db, lambda: sales.apply_notification(note(sale), actor=GATEWAY), ConflictError)
    unchanged(db, lambda: sales.mark_paid(sale.id, actor=ACTOR), ConflictError)


def test_a_payment_id_pays_one_sale_only(db: Database, sales: QrisSales) -> None:
    first = sales.create(ENT, [SYRUP], actor=ACTOR)
    second = sales.create(ENT, [SYRUP], actor=ACTOR)
    sales.apply_notification(note(first), actor=GATEWAY)
    error = unchanged(
        db, lambda: sales.apply_notification(note(second), actor=GATEWAY), ConflictError
    )
    assert first.reference in str(error)
    unchanged(
        db,
        lambda: sales.mark_paid(second.id, actor=ACTOR, payment_id="TRX-20261124-000123"),
        ConflictError,
    )
    assert sales.get(second.id).status is SaleStatus.PENDING


def test_a_closed_period_refuses_the_payment_and_nothing_is_written(
    db: Database, sales: QrisSales
) -> None:
    sale = sales.create(ENT, [SYRUP], actor=ACTOR, date=dt.date(2026, 6, 30))
    sales.books.close_period(ENT, dt.date(2026, 6, 30), actor=ACTOR)
    error = unchanged(
        db, lambda: sales.apply_notification(note(sale), actor=GATEWAY), ValidationError
    )
    assert isinstance(error, ValidationError)
    assert error.errors[0].path == "date"
    assert "closed period" in error.errors[0].message
    assert sales.get(sale.id).status is SaleStatus.PENDING


def test_unknown_sales_are_not_found(sales: QrisSales) -> None:
    for sale_id in (0, 999, 2**31, -1):
        with pytest.raises(NotFoundError):
            sales.get(sale_id)
        with pytest.raises(NotFoundError):
            sales.mark_paid(sale_id, actor=ACTOR)
        with pytest.raises(NotFoundError):
            sales.cancel(sale_id, actor=ACTOR)
    with pytest.raises(ValidationError, match="sale_id"):
        sales.get("1")  # type: ignore[arg-type]


# --- notifications as JSON ----------------------------------------------------------------------


def test_a_notification_reads_its_json_shape() -> None:
    found = PaymentNotification.from_mapping(
        {
            "reference": "QRS000000001",
            "amount": 15000,
            "paid_at": "2026-11-23T10:00:00+08:00",
            "payment_id": "TRX-1",
            "issuer": "Bank Uji",
        }
    )
    assert found == PaymentNotification(
        reference="QRS000000001",
        amount=Rupiah(15_000),
        paid_at=dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC),
        payment_id="TRX-1",
        issuer="Bank Uji",
    )


def test_every_bad_field_of_a_notification_is_named() -> None:
    with pytest.raises(ValidationError) as raised:
        PaymentNotification.from_mapping(
            {
                "reference": "",
                "amount": 15000.0,
                "paid_at": "2026-11-23T10:00:00",
                "payment_id": 7,
                "issuer": "x" * 101,
                "signature": "abc",
            }
        )
    assert {e.path for e in raised.value.errors} == {
        "reference",
        "amount",
        "paid_at",
        "payment_id",
        "issuer",
        "signature",
    }
    with pytest.raises(ValidationError) as raised:
        PaymentNotification.from_mapping({})
    assert {e.path for e in raised.value.errors} == {"reference", "amount", "paid_at"}
    for amount in (True, 0, -5, "15000"):
        with pytest.raises(ValidationError, match="amount"):
            PaymentNotification.from_mapping(
                {"reference": "Q", "amount": amount, "paid_at": "2026-11-23T10:00:00Z"}
            )
    with pytest.raises(ValidationError):
        PaymentNotification.from_mapping(["reference"])  # type: ignore[arg-type]


@given(st.dictionaries(st.text(max_size=12), st.none() | st.integers() | st.text(max_size=30)))
def test_any_mapping_gives_a_notification_or_a_validation_error(data: dict[str, Any]) -> None:
    found: PaymentNotification | None = None
    problems: tuple[FieldError, ...] = ()
    try:
        found = PaymentNotification.from_mapping(data)
    except ValidationError as e:
        problems = e.errors
    assert (found is None) == bool(problems)
    assert found is None or found.amount.amount > 0


# --- cancelling and listing ---------------------------------------------------------------------


def test_only_pending_sales_are_cancelled(db: Database, sales: QrisSales) -> None:
    sale = sales.create(ENT, [BAG], actor=ACTOR)
    cancelled = sales.cancel(sale.id, actor=ACTOR)
    assert cancelled.status is SaleStatus.CANCELLED
    assert AuditLog(db).entries(action="qris.sale_cancelled")[0].details["amount"] == "Rp15.000"
    unchanged(db, lambda: sales.cancel(sale.id, actor=ACTOR), ConflictError)
    paid = sales.create(ENT, [BAG], actor=ACTOR)
    sales.mark_paid(paid.id, actor=ACTOR)
    error = unchanged(db, lambda: sales.cancel(paid.id, actor=ACTOR), ConflictError)
    assert "is paid" in str(error)


def test_sales_are_listed_newest_first_by_status(sales: QrisSales) -> None:
    made = [sales.create(ENT, [BAG], actor=ACTOR) for _ in range(5)]
    sales.mark_paid(made[1].id, actor=ACTOR)
    sales.cancel(made[2].id, actor=ACTOR)
    assert [s.id for s in sales.list(ENT)] == [s.id for s in reversed(made)]
    assert [s.id for s in sales.list(ENT, status=SaleStatus.PENDING)] == [
        made[4].id,
        made[3].id,
        made[0].id,
    ]
    assert [s.id for s in sales.list(ENT, status=SaleStatus.PAID)] == [made[1].id]
    assert [s.id for s in sales.list(ENT, limit=2, offset=1)] == [made[3].id, made[2].id]
    assert sales.list(OTHER) == []
    with pytest.raises(NotFoundError):
        sales.list("mks-nowhere-01")
    with pytest.raises(ValidationError) as raised:
        sales.list(ENT, status="lunas", limit=0, offset=-1)  # type: ignore[arg-type]
    assert {e.path for e in raised.value.errors} == {"status", "limit", "offset"}


def test_a_list_by_a_status_that_is_not_one_is_refused(sales: QrisSales) -> None:
    for status in (["paid"], 3, "PAID"):
        with pytest.raises(ValidationError) as raised:
            sales.list(ENT, status=status)  # type: ignore[arg-type]
        assert raised.value.fields == ("status",)
    assert sales.list(ENT, status="paid") == []  # type: ignore[arg-type]


def test_an_enterprise_with_sales_waiting_is_not_dissolved(
    db: Database, clock: FixedClock, sales: QrisSales
) -> None:
    registry = EnterpriseRegistry(db, clock)
    sale = sales.create(ENT, [BAG], actor=ACTOR)
    error = unchanged(
        db, lambda: registry.set_status(ENT, EnterpriseStatus.DISSOLVED, actor=ADMIN), ConflictError
    )
    assert "1 QRIS sale(s) waiting for payment" in str(error)
    assert registry.get(ENT).status is EnterpriseStatus.ACTIVE
    sales.cancel(sale.id, actor=ACTOR)
    assert registry.set_status(ENT, EnterpriseStatus.DISSOLVED, actor=ADMIN).status is (
        EnterpriseStatus.DISSOLVED
    )


def test_a_dissolved_enterprise_shows_no_code(db: Database, sales: QrisSales) -> None:
    sale = sales.create(ENT, [BAG], actor=ACTOR)
    # Dissolved behind the registry's back (an older database, a hand edit).
    with db.transaction() as conn:
        conn.execute(
            economy_store.enterprises.update()
            .where(economy_store.enterprises.c.id == ENT)
            .values(status="dissolved")
        )
    with pytest.raises(ConflictError, match="dissolved"):
        sales.payload(sale.id)


def test_an_issuer_that_reads_as_a_phone_number_is_paid_but_not_audited(
    db: Database, sales: QrisSales
) -> None:
    sale = sales.create(ENT, [BAG], actor=ACTOR)
    result = sales.apply_notification(note(sale, issuer="OVO 081234567890"), actor=GATEWAY)
    assert result.posted
    paid = AuditLog(db).entries(action="qris.sale_paid")[-1]
    assert paid.subject == f"qris-sale:{sale.reference}"
    assert "081234567890" not in str(paid.details)
    assert paid.details["issuer"] == "(hidden: looks like personal data)"
    other = sales.create(ENT, [BAG], actor=ACTOR)
    sales.apply_notification(note(other, payment_id="TRX-2"), actor=GATEWAY)
    assert AuditLog(db).entries(action="qris.sale_paid")[-1].details["issuer"] == "Bank Uji"


@functools.cache
def shared_sales() -> QrisSales:
    """One in-memory database for the property test's many examples."""
    db = Database("sqlite://")
    upgrade(db)
    clock = FixedClock(NOW)
    register(db, clock)
    made = QrisSales(db, clock)
    made.save_merchant(merchant(), actor=ACTOR)
    return made


@given(
    st.lists(st.tuples(st.integers(1, MAX_QUANTITY), st.integers(1, 10**9)), min_size=1, max_size=8)
)
def test_the_code_and_the_books_carry_the_sum_of_the_items(lines: list[tuple[int, int]]) -> None:
    sales = shared_sales()
    items = [SaleItem(f"Barang {i}", q, Rupiah(p)) for i, (q, p) in enumerate(lines)]
    expected = sum(q * p for q, p in lines)
    if expected > MAX_SALE_AMOUNT:
        with pytest.raises(ValidationError, match="at most"):
            sales.create(ENT, items, actor=ACTOR)
        return
    sale = sales.create(ENT, items, actor=ACTOR)
    assert sale.amount == Rupiah(expected)
    assert parse_qris(sales.payload(sale.id)).amount == Rupiah(expected)
    paid = sales.mark_paid(sale.id, actor=ACTOR).sale
    assert sales.books.entry(paid.entry_id or 0).total == Rupiah(expected)


# --- paying twice at the same moment ------------------------------------------------------------


def test_eight_threads_reporting_one_payment_post_it_once(db: Database, sales: QrisSales) -> None:
    sale = sales.create(ENT, [SYRUP], actor=ACTOR)
    before = entries(db)
    results: list[PaymentResult] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def deliver(i: int) -> None:
        start.wait()
        try:
            if i % 2:
                results.append(sales.apply_notification(note(sale), actor=GATEWAY))
            else:
                results.append(sales.mark_paid(sale.id, actor=ACTOR))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.posted for r in results) == [False] * 7 + [True]
    assert entries(db) == before + 1
    assert len(AuditLog(db).entries(action="qris.sale_paid")) == 1
    stored = sales.get(sale.id)
    assert {r.sale.entry_id for r in results} == {stored.entry_id}


_DELIVER = """
import sys
from smartcity_kit.economy.qris import QrisSales
from smartcity_kit.storage import Database

db = Database(sys.argv[1])
note = {
    "reference": sys.argv[2],
    "amount": int(sys.argv[3]),
    "paid_at": "2026-11-24T01:05:00+08:00",
}
posted = sum(QrisSales(db).apply_notification(note, actor="gateway:uji").posted for _ in range(5))
print(posted)
db.dispose()
"""


def test_two_processes_reporting_one_payment_post_it_once(
    db: Database, database_url: str, tmp_path: Path
) -> None:
    clock = FixedClock(NOW)
    register(db, clock)
    sales = QrisSales(db, clock)
    sales.save_merchant(merchant(), actor=ACTOR)
    sale = sales.create(ENT, [SYRUP], actor=ACTOR)
    script = tmp_path / "deliver.py"
    script.write_text(textwrap.dedent(_DELIVER))
    args = [sys.executable, str(script), database_url, sale.reference, str(sale.amount.amount)]
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    workers = [
        subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(3)
    ]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], outputs
    assert sum(int(out) for out, _ in outputs) == 1
    assert entries(db) == 1
    assert sales.get(sale.id).status is SaleStatus.PAID
