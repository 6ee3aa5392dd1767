"""Interoperability: two QRIS implementations no one here wrote read our codes, and we read theirs.

lokal-id (a core dependency) and qriskit (in the dev extra) are the peers. Our codes must pass
their checks with the same merchant name, city, NMID, MCC and amount; the codes they write must
parse here to the same fields.
"""

from __future__ import annotations

import decimal

import attrs
import pytest
import qriskit
from hypothesis import given
from hypothesis import strategies as st
from lokal.qris import parse_qris as lokal_parse
from lokal.qris import qris_crc, set_qris_amount

from smartcity_kit.core import Rupiah
from smartcity_kit.economy.qris import (
    QRIS_GUID,
    AdditionalData,
    InitiationMethod,
    MerchantAccount,
    MerchantCriteria,
    QrisPayload,
    TipIndicator,
    build_qris,
    crc16,
    parse_qris,
    to_dynamic,
    to_static,
)

SAMPLE = (
    "00020101021151440014ID.CO.QRIS.WWW0215ID10200000000010303UMI5204549953033605802ID"
    "5913WARUNG LORONG6008MAKASSAR61059011163041E30"
)

# What merchants print: capitals, digits, spaces and a little punctuation.
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .-&'/"


def words(low: int, high: int) -> st.SearchStrategy[str]:
    # The peers strip surrounding whitespace from some fields: start and end with a letter.
    return st.builds(
        lambda head, body: head + body,
        st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        st.text(ALPHABET, min_size=low - 1, max_size=high - 1),
    ).map(lambda s: s if s[-1] != " " else s[:-1] + "X")


def digits(size: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=size, max_size=size)


percents = st.decimals(
    min_value=decimal.Decimal("0.01"), max_value=decimal.Decimal("99.99"), places=2
)


@st.composite
def payloads(draw: st.DrawFn, *, static: bool | None = None) -> QrisPayload:
    dynamic = draw(st.booleans()) if static is None else not static
    criteria = draw(st.sampled_from(MerchantCriteria))
    accounts = [
        MerchantAccount("51", QRIS_GUID, merchant_id="ID" + draw(digits(13)), criteria=criteria)
    ]
    if draw(st.booleans()):
        accounts.insert(
            0,
            MerchantAccount(
                "26",
                "ID.CO."
                + draw(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=12))
                + ".WWW",
                pan="93600" + draw(digits(13)),
                merchant_id=draw(st.none() | digits(15)),
                criteria=criteria,
            ),
        )
    tip = draw(st.none() | st.sampled_from(TipIndicator)) if dynamic else None
    additional = None
    if dynamic and draw(st.booleans()):
        additional = AdditionalData(
            bill_number=draw(st.none() | words(1, 25)),
            reference_label=draw(words(1, 25)),
            terminal_label=draw(st.none() | words(1, 8)),
        )
    return QrisPayload(
        initiation=InitiationMethod.DYNAMIC if dynamic else InitiationMethod.STATIC,
        accounts=tuple(accounts),
        mcc=draw(digits(4)),
        merchant_name=draw(words(1, 25)),
        merchant_city=draw(words(1, 15)),
        amount=Rupiah(draw(st.integers(1, 10**12))) if dynamic else None,
        tip=tip,
        fee_fixed=Rupiah(draw(st.integers(1, 10**6))) if tip is TipIndicator.FIXED else None,
        fee_percent=draw(percents) if tip is TipIndicator.PERCENT else None,
        postal_code=draw(digits(5)),
        additional=additional,
    )


def test_the_peers_agree_on_the_crc() -> None:
    assert crc16("123456789") == qris_crc("123456789") == "29B1"
    assert crc16(SAMPLE[:-4]) == qris_crc(SAMPLE[:-4]) == qriskit.parse(SAMPLE).crc


def test_the_peers_read_the_sample_as_we_do() -> None:
    ours = parse_qris(SAMPLE)
    theirs = lokal_parse(SAMPLE)
    assert theirs.valid
    assert (theirs.merchant_name, theirs.merchant_city, theirs.nmid, theirs.mcc) == (
        ours.merchant_name,
        ours.merchant_city,
        ours.nmid,
        ours.mcc,
    )
    assert qriskit.validate(SAMPLE) == []


@given(payloads())
def test_our_codes_pass_lokal_id(payload: QrisPayload) -> None:
    text = build_qris(payload)
    info = lokal_parse(text)
    assert info.valid, info.errors
    assert info.warnings == []
    assert (info.merchant_name, info.merchant_city, info.nmid, info.mcc, info.postal_code) == (
        payload.merchant_name,
        payload.merchant_city,
        payload.nmid,
        payload.mcc,
        payload.postal_code,
    )
    assert info.type == ("dynamic" if payload.is_dynamic else "static")
    assert info.amount == (None if payload.amount is None else str(int(payload.amount)))
    if payload.additional is not None:
        assert info.additional is not None
        assert info.additional.reference_label == payload.additional.reference_label
        assert info.additional.bill_number == payload.additional.bill_number


@given(payloads())
def test_our_codes_pass_qriskit(payload: QrisPayload) -> None:
    text = build_qris(payload)
    assert qriskit.validate(text) == []  # no errors and no warnings
    theirs = qriskit.parse(text, strict=True)
    assert (theirs.merchant_name, theirs.merchant_city, theirs.nmid, theirs.mcc) == (
        payload.merchant_name,
        payload.merchant_city,
        payload.nmid,
        payload.mcc,
    )
    assert theirs.is_dynamic == payload.is_dynamic
    expected_amount = None if payload.amount is None else decimal.Decimal(int(payload.amount))
    assert theirs.amount == expected_amount
    tip = theirs.tip
    if payload.tip is None:
        assert tip is None
    else:
        kind = {"01": "prompt", "02": "fixed", "03": "percent"}[payload.tip.value]
        assert tip is not None
        assert tip.kind == kind
        if payload.fee_fixed is not None:
            assert tip.value == int(payload.fee_fixed)
        if payload.fee_percent is not None:
            assert tip.value == payload.fee_percent
    if payload.additional is not None:
        assert theirs.additional_data.reference_label == payload.additional.reference_label


@given(payloads(static=True), st.integers(1, 10**12))
def test_lokal_ids_dynamic_codes_are_ours_byte_for_byte(payload: QrisPayload, amount: int) -> None:
    static = build_qris(payload)
    theirs = set_qris_amount(static, amount)
    assert theirs == to_dynamic(static, Rupiah(amount))
    parsed = parse_qris(theirs)
    assert parsed.amount == Rupiah(amount)
    assert to_static(theirs) == static


@given(payloads(static=True), st.integers(1, 10**6), percents)
def test_we_read_lokal_ids_fees(payload: QrisPayload, fee: int, percent: decimal.Decimal) -> None:
    static = build_qris(payload)
    fixed = parse_qris(set_qris_amount(static, 50000, tip_fixed=fee))
    assert (fixed.amount, fixed.tip, fixed.fee_fixed) == (
        Rupiah(50000),
        TipIndicator.FIXED,
        Rupiah(fee),
    )
    by_percent = parse_qris(set_qris_amount(static, 50000, tip_percent=percent))
    assert (by_percent.tip, by_percent.fee_percent) == (TipIndicator.PERCENT, percent)
    assert by_percent.merchant_name == payload.merchant_name


def test_we_read_lokal_ids_amount_on_the_sample() -> None:
    theirs = set_qris_amount(SAMPLE, 15000)
    payload = parse_qris(theirs)
    assert payload.amount == Rupiah(15000)
    assert payload.is_dynamic
    assert (payload.merchant_name, payload.merchant_city, payload.nmid) == (
        "WARUNG LORONG",
        "MAKASSAR",
        "ID1020000000001",
    )
    assert theirs == to_dynamic(SAMPLE, Rupiah(15000))


def _qriskit_tip(payload: QrisPayload) -> qriskit.Tip | None:
    if payload.tip is TipIndicator.PROMPT:
        return qriskit.Tip.prompt()
    if payload.tip is TipIndicator.FIXED:
        assert payload.fee_fixed is not None
        return qriskit.Tip.fixed(int(payload.fee_fixed))
    if payload.tip is TipIndicator.PERCENT:
        assert payload.fee_percent is not None
        return qriskit.Tip.percent(payload.fee_percent)
    return None


@given(payloads())
def test_we_read_qriskits_codes_to_the_same_fields(payload: QrisPayload) -> None:
    accounts = [
        qriskit.MerchantAccount.create(
            tag=a.tag,
            guid=a.guid,
            pan=a.pan,
            merchant_id=a.merchant_id,
            criteria=None if a.criteria is None else a.criteria.value,
        )
        for a in payload.accounts
    ]
    additional = None
    if payload.additional is not None:
        data = payload.additional
        pairs = {"01": data.bill_number, "05": data.reference_label, "07": data.terminal_label}
        additional = {k: v for k, v in pairs.items() if v is not None}
    theirs = qriskit.build(
        merchant_name=payload.merchant_name,
        merchant_city=payload.merchant_city,
        mcc=payload.mcc,
        accounts=accounts,
        postal_code=payload.postal_code,
        amount=None if payload.amount is None else int(payload.amount),
        tip=_qriskit_tip(payload),
        additional_data=additional,
    )
    parsed = parse_qris(str(theirs))
    assert parsed.crc is not None
    # qriskit writes a fee of 2.50 % as "2.50"; the value is the same.
    assert attrs.evolve(parsed, crc=None) == payload


@given(
    payloads(static=True),
    st.integers(1, 10**12),
    st.none() | st.text(ALPHABET, min_size=1, max_size=25),
)
def test_we_read_qriskits_dynamic_codes(
    payload: QrisPayload, amount: int, reference: str | None
) -> None:
    static = build_qris(payload)
    theirs = str(qriskit.parse(static).to_dynamic(amount, reference=reference))
    parsed = parse_qris(theirs)
    assert parsed.amount == Rupiah(amount)
    assert parsed.is_dynamic
    assert (parsed.merchant_name, parsed.merchant_city, parsed.nmid, parsed.mcc) == (
        payload.merchant_name,
        payload.merchant_city,
        payload.nmid,
        payload.mcc,
    )
    assert (parsed.additional and parsed.additional.reference_label) == reference
    # qriskit's static code from it is ours again (tag 62 aside, which it keeps).
    back = parse_qris(str(qriskit.parse(theirs).to_static()))
    assert not back.is_dynamic
    assert back.amount is None


@pytest.mark.parametrize("amount", [1, 15000, 999_999_999_999])
def test_qriskit_reads_our_dynamic_sample(amount: int) -> None:
    ours = to_dynamic(SAMPLE, Rupiah(amount), bill_number="77", reference_label="QRS-77")
    theirs = qriskit.parse(ours, strict=True)
    assert theirs.amount == amount
    assert theirs.additional_data.bill_number == "77"
    assert theirs.additional_data.reference_label == "QRS-77"
    assert str(qriskit.parse(to_static(ours))) == SAMPLE
