"""The QRIS codec: reading, checking, writing and rewriting codes, and the merchant's codes."""

from __future__ import annotations

import binascii
import datetime as dt
import decimal
import itertools
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from smartcity_kit.core import Address, RegionCode, Rupiah, find_personal_data
from smartcity_kit.economy.qris import (
    QRIS_GUID,
    AdditionalData,
    InitiationMethod,
    MerchantAccount,
    MerchantCriteria,
    QrisMerchant,
    QrisPayload,
    TipIndicator,
    TlvField,
    build_qris,
    check_qris,
    crc16,
    parse_qris,
    to_dynamic,
    to_static,
)
from smartcity_kit.errors import FieldError, ValidationError
from smartcity_kit.testing import strategies as city_st

T = TypeVar("T")

SAMPLE = (
    "00020101021151440014ID.CO.QRIS.WWW0215ID10200000000010303UMI5204549953033605802ID"
    "5913WARUNG LORONG6008MAKASSAR61059011163041E30"
)
NATIONAL = "0014ID.CO.QRIS.WWW0215ID10200000000010303UMI"
BASE: list[tuple[str, str]] = [
    ("00", "01"),
    ("01", "11"),
    ("51", NATIONAL),
    ("52", "5499"),
    ("53", "360"),
    ("58", "ID"),
    ("59", "WARUNG LORONG"),
    ("60", "MAKASSAR"),
    ("61", "90111"),
]


# --- helpers: a TLV writer and reader of our own, independent of the code under test ----------


def tlv(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"{tag}{len(value):02d}{value}" for tag, value in pairs)


def sealed(pairs: list[tuple[str, str]]) -> str:
    body = tlv(pairs) + "6304"
    return body + f"{binascii.crc_hqx(body.encode('utf-8', 'surrogatepass'), 0xFFFF):04X}"


def fields(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        length = int(text[pos + 2 : pos + 4])
        out.append((text[pos : pos + 2], text[pos + 4 : pos + 4 + length]))
        pos += 4 + length
    return out


def code(**changes: str | None) -> str:
    """The sample code with tags changed (``t54="15000"``), added, or removed (None)."""
    pairs = dict(BASE)
    for key, value in changes.items():
        tag = key.removeprefix("t")
        if value is None:
            pairs.pop(tag, None)
        else:
            pairs[tag] = value
    order = sorted(pairs, key=lambda tag: (tag != "00", tag))
    return sealed([(tag, pairs[tag]) for tag in order])


def outcome(call: Callable[[], T]) -> T | ValidationError:
    """What ``call`` returns, or the ValidationError it raises (anything else propagates)."""
    try:
        return call()
    except ValidationError as e:
        return e


def problems(text: object) -> dict[str, str]:
    """The problems with ``text``, by field (several messages for one field joined by '; ')."""
    found = check_qris(text)
    with pytest.raises(ValidationError) as caught:
        parse_qris(text)
    assert list(caught.value.errors) == found
    out: dict[str, str] = {}
    for e in found:
        out[e.path] = f"{out[e.path]}; {e.message}" if e.path in out else e.message
    return out


# --- hypothesis strategies ------------------------------------------------------------------

PRINTABLE = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"), exclude_characters="\x7f")


def texts(low: int, high: int) -> st.SearchStrategy[str]:
    return st.text(PRINTABLE, min_size=low, max_size=high)


def names(high: int) -> st.SearchStrategy[str]:
    """Merchant names and cities (59, 60): printable ASCII, not only spaces."""
    return st.text(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=high
    ).filter(str.strip)


def digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=low, max_size=high)


@st.composite
def tlv_fields(
    draw: st.DrawFn, tags: list[str], max_count: int, max_value: int
) -> tuple[TlvField, ...]:
    chosen = draw(st.lists(st.sampled_from(tags), unique=True, max_size=max_count))
    return tuple(TlvField(t, draw(texts(1, max_value))) for t in sorted(chosen))


@st.composite
def accounts(draw: st.DrawFn) -> tuple[MerchantAccount, ...]:
    criteria = draw(st.sampled_from(MerchantCriteria))
    nmid = "ID" + draw(digits(10, 15))
    found = [MerchantAccount("51", QRIS_GUID, merchant_id=nmid, criteria=criteria)]
    found.extend(
        MerchantAccount(
            tag,
            draw(texts(1, 32)),
            pan=draw(st.none() | digits(1, 19)),
            merchant_id=draw(st.none() | texts(1, 15)),
            criteria=draw(st.none() | st.sampled_from(MerchantCriteria)),
            other=draw(tlv_fields(["04", "05", "10", "99"], 2, 10)),
        )
        for tag in draw(
            st.lists(st.sampled_from(["26", "27", "36", "50"]), unique=True, max_size=2)
        )
    )
    return tuple(sorted(found, key=lambda a: a.tag))


@st.composite
def additional_data(draw: st.DrawFn) -> AdditionalData:
    names = [a.name for a in attrs.fields(AdditionalData)][:-1]
    chosen = draw(st.lists(st.sampled_from(names), unique=True, min_size=1, max_size=3))
    values = {name: draw(texts(1, 25)) for name in chosen}
    room = 99 - sum(4 + len(v) for v in values.values())
    other: tuple[TlvField, ...] = ()
    if room >= 5 and draw(st.booleans()):
        other = (TlvField(draw(st.sampled_from(["10", "50", "99"])), draw(texts(1, room - 4))),)
    return AdditionalData(**values, other=other)


@st.composite
def others(draw: st.DrawFn) -> tuple[TlvField, ...]:
    primitive = draw(tlv_fields(["02", "15", "25", "65", "79"], 2, 20))
    templates = draw(st.lists(st.sampled_from(["64", "80", "99"]), unique=True, max_size=1))
    inner = tuple(TlvField(t, tlv([("00", draw(texts(1, 10)))])) for t in templates)
    return tuple(sorted(primitive + inner, key=lambda f: f.tag))


fees_percent = st.decimals(
    min_value=decimal.Decimal("0.01"), max_value=decimal.Decimal(100), places=2
)


@st.composite
def payloads(draw: st.DrawFn, *, static: bool | None = None) -> QrisPayload:
    dynamic = draw(st.booleans()) if static is None else not static
    tip = draw(st.none() | st.sampled_from(TipIndicator))
    return QrisPayload(
        initiation=InitiationMethod.DYNAMIC if dynamic else InitiationMethod.STATIC,
        accounts=draw(accounts()),
        mcc=draw(digits(4, 4)),
        merchant_name=draw(names(25)),
        merchant_city=draw(names(15)),
        amount=Rupiah(draw(st.integers(1, 10**13 - 1))) if dynamic else None,
        tip=tip,
        fee_fixed=Rupiah(draw(st.integers(1, 10**6))) if tip is TipIndicator.FIXED else None,
        fee_percent=draw(fees_percent) if tip is TipIndicator.PERCENT else None,
        postal_code=draw(st.none() | digits(5, 5)),
        additional=draw(st.none() | additional_data()),
        other=draw(st.just(()) | others()),
    )


# --- CRC ----------------------------------------------------------------------------------


def test_crc_check_value() -> None:
    assert crc16("123456789") == "29B1"
    assert crc16(b"123456789") == "29B1"


def test_crc_of_the_sample() -> None:
    assert crc16(SAMPLE[:-4]) == "1E30"
    assert parse_qris(SAMPLE).crc == "1E30"


def test_crc_refuses_other_types() -> None:
    with pytest.raises(ValidationError, match="data"):
        crc16(123456789)  # type: ignore[arg-type]


# --- the sample ---------------------------------------------------------------------------


def test_sample_parses_to_its_fields_and_rebuilds_to_the_same_text() -> None:
    payload = parse_qris(SAMPLE)
    assert payload == QrisPayload(
        initiation=InitiationMethod.STATIC,
        accounts=(
            MerchantAccount(
                "51", QRIS_GUID, merchant_id="ID1020000000001", criteria=MerchantCriteria.MICRO
            ),
        ),
        mcc="5499",
        merchant_name="WARUNG LORONG",
        merchant_city="MAKASSAR",
        postal_code="90111",
        crc="1E30",
    )
    assert payload.nmid == "ID1020000000001"
    assert not payload.is_dynamic
    assert payload.accounts[0].is_national
    assert build_qris(payload) == SAMPLE
    assert payload.to_text() == SAMPLE


def test_an_nmid_is_not_taken_for_personal_data() -> None:
    # The audit log refuses text that looks like a phone number or NIK; an NMID must pass.
    assert find_personal_data("merchant ID1020000000001 saved") is None
    assert find_personal_data(f"NMID {parse_qris(SAMPLE).nmid}") is None


# --- round trips and robustness -------------------------------------------------------------


@given(payloads())
def test_build_then_parse_gives_the_payload_back(payload: QrisPayload) -> None:
    text = build_qris(payload)
    assert len(text) <= 512
    assert check_qris(text) == []
    parsed = parse_qris(text)
    assert attrs.evolve(parsed, crc=None) == payload
    assert parsed.crc == text[-4:]
    assert build_qris(parsed) == text


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = build_qris(draw(payloads()))
    # Where the length digits of the top-level data objects are (before any change).
    lengths = [2, *(p + 2 for p in itertools.accumulate(4 + len(v) for _, v in fields(text)))]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "length"]))
        at = draw(st.integers(0, max(len(text) - 1, 0)))
        char = draw(st.characters(codec="utf-8") | st.sampled_from("0123456789"))
        if kind == "replace":
            text = text[:at] + char + text[at + 1 :]
        elif kind == "insert":
            text = text[:at] + char + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + 1 :]
        elif kind == "truncate":
            text = text[:at]
        else:
            pos = draw(st.sampled_from(lengths[:-1]))
            text = text[:pos] + draw(digits(2, 2)) + text[pos + 2 :]
    return text


@given(mutated())
def test_mutated_codes_are_rejected_or_parsed_never_anything_else(text: str) -> None:
    found = check_qris(text)
    payload = outcome(lambda: parse_qris(text))
    if isinstance(payload, ValidationError):
        assert list(payload.errors) == found
        assert found
        assert all(isinstance(err, FieldError) and err.path for err in found)
    else:
        assert found == []
        rebuilt = build_qris(payload)
        assert parse_qris(rebuilt) == attrs.evolve(payload, crc=rebuilt[-4:])
    for rewritten in (
        outcome(lambda: to_static(text)),
        outcome(lambda: to_dynamic(text, Rupiah(1000))),
    ):
        assert isinstance(rewritten, str | ValidationError)
        if isinstance(rewritten, str):
            assert check_qris(rewritten) == []


@given(st.binary(max_size=600) | st.text(max_size=600) | st.integers() | st.none())
def test_parsing_anything_raises_only_validation_error(junk: object) -> None:
    result = outcome(lambda: parse_qris(junk))
    assert isinstance(result, QrisPayload | ValidationError)
    assert isinstance(check_qris(junk), list)


def test_huge_input_is_refused_at_once() -> None:
    assert problems("0" * 10_000_000) == {
        "payload": "is 10000000 characters; a QRIS code has at most 512"
    }


# --- static <-> dynamic ---------------------------------------------------------------------

KEEP_OUT = {"01", "54", "55", "56", "57", "62", "63"}


@st.composite
def dynamic_options(draw: st.DrawFn) -> dict[str, object]:
    tip = draw(st.none() | st.sampled_from(TipIndicator))
    return {
        "amount": Rupiah(draw(st.integers(1, 10**12))),
        "bill_number": draw(st.none() | texts(1, 25)),
        "reference_label": draw(st.none() | texts(1, 25)),
        "tip": tip,
        "fee_fixed": Rupiah(draw(st.integers(1, 10**6))) if tip is TipIndicator.FIXED else None,
        "fee_percent": draw(fees_percent) if tip is TipIndicator.PERCENT else None,
    }


@given(payloads(static=True), dynamic_options())
def test_to_dynamic_keeps_every_other_field_byte_identical(
    payload: QrisPayload, options: dict[str, object]
) -> None:
    static = build_qris(payload)
    dynamic = outcome(lambda: to_dynamic(static, **options))  # type: ignore[arg-type]
    if isinstance(dynamic, ValidationError):
        # Only a full template (62 over 99 characters) or a code over 512 may refuse.
        assert set(dynamic.fields) <= {"62 (additional data)", "payload"}
        return
    before, after = fields(static), fields(dynamic)
    assert [f for f in before if f[0] not in KEEP_OUT] == [f for f in after if f[0] not in KEEP_OUT]
    assert dict(after)["01"] == "12"
    parsed = parse_qris(dynamic)
    assert parsed.amount == options["amount"]
    if options["tip"] is not None:
        assert (parsed.tip, parsed.fee_fixed, parsed.fee_percent) == (
            options["tip"],
            options["fee_fixed"],
            options["fee_percent"],
        )
    else:
        assert (parsed.tip, parsed.fee_fixed, parsed.fee_percent) == (
            payload.tip,
            payload.fee_fixed,
            payload.fee_percent,
        )
    subs_before = [f for f in fields(dict(before).get("62", "")) if f[0] not in {"01", "05"}]
    subs_after = [f for f in fields(dict(after).get("62", "")) if f[0] not in {"01", "05"}]
    assert subs_before == subs_after
    additional = parsed.additional or AdditionalData()
    old = payload.additional or AdditionalData()
    assert additional.bill_number == (options["bill_number"] or old.bill_number)
    assert additional.reference_label == (options["reference_label"] or old.reference_label)
    # Tags stay in ascending order (00 first, 63 last).
    tags = [tag for tag, _ in after]
    assert tags == ["00", *sorted(tags[1:-1]), "63"]


@given(payloads(static=True), dynamic_options())
def test_to_static_undoes_to_dynamic(payload: QrisPayload, options: dict[str, object]) -> None:
    extra = payload.additional
    if extra is not None:
        extra = attrs.evolve(extra, bill_number=None, reference_label=None)
        if extra == AdditionalData():
            extra = None
    payload = attrs.evolve(payload, tip=None, fee_fixed=None, fee_percent=None, additional=extra)
    static = build_qris(payload)
    dynamic = outcome(lambda: to_dynamic(static, **options))  # type: ignore[arg-type]
    assume(isinstance(dynamic, str))
    assert isinstance(dynamic, str)
    assert to_static(dynamic) == static
    assert to_static(static) == static


def test_to_dynamic_of_the_sample() -> None:
    dynamic = to_dynamic(SAMPLE, Rupiah(15000), bill_number="123", reference_label="S-2026-1")
    assert dynamic == sealed(
        [
            ("00", "01"),
            ("01", "12"),
            ("51", NATIONAL),
            ("52", "5499"),
            ("53", "360"),
            ("54", "15000"),
            ("58", "ID"),
            ("59", "WARUNG LORONG"),
            ("60", "MAKASSAR"),
            ("61", "90111"),
            ("62", "0103123" + "0508S-2026-1"),
        ]
    )
    assert to_static(dynamic) == SAMPLE


def test_to_dynamic_never_edits_text_that_looks_like_a_tag() -> None:
    # "010211" inside the name and the NMID must survive: a text replacement would change them.
    static = code(t59="TOKO 010211", t51="0014ID.CO.QRIS.WWW0215ID01021101021100303UKE")
    dynamic = to_dynamic(static, Rupiah(5000))
    payload = parse_qris(dynamic)
    assert payload.merchant_name == "TOKO 010211"
    assert payload.nmid == "ID0102110102110"
    assert payload.is_dynamic


def test_to_dynamic_replaces_an_amount_and_sets_sub_tags_in_place() -> None:
    first = to_dynamic(SAMPLE, Rupiah(1000), reference_label="A")
    again = to_dynamic(first, Rupiah(2500), bill_number="9")
    payload = parse_qris(again)
    assert payload.amount == Rupiah(2500)
    assert payload.additional == AdditionalData(bill_number="9", reference_label="A")
    template = code(t62="0703T010509REF000001")
    updated = to_dynamic(template, Rupiah(1), reference_label="NEW")
    assert dict(fields(updated))["62"] == "0703T010503NEW"


def test_to_dynamic_with_fees() -> None:
    fixed = parse_qris(
        to_dynamic(SAMPLE, Rupiah(20000), tip=TipIndicator.FIXED, fee_fixed=Rupiah(1000))
    )
    assert (fixed.tip, fixed.fee_fixed) == (TipIndicator.FIXED, Rupiah(1000))
    percent = parse_qris(
        to_dynamic(
            SAMPLE, Rupiah(20000), tip=TipIndicator.PERCENT, fee_percent=decimal.Decimal("2.50")
        )
    )
    assert (percent.tip, percent.fee_percent) == (TipIndicator.PERCENT, decimal.Decimal("2.5"))
    prompt = to_dynamic(SAMPLE, Rupiah(20000), tip=TipIndicator.PROMPT)
    assert parse_qris(prompt).tip is TipIndicator.PROMPT
    # A new tip replaces the old one; tags 56/57 never linger.
    replaced = parse_qris(
        to_dynamic(prompt, Rupiah(20000), tip=TipIndicator.PERCENT, fee_percent=5)  # type: ignore[arg-type]
    )
    assert (replaced.tip, replaced.fee_fixed, replaced.fee_percent) == (
        TipIndicator.PERCENT,
        None,
        decimal.Decimal(5),
    )


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"amount": Rupiah(0)}, "amount"),
        ({"amount": Rupiah(-5)}, "amount"),
        ({"amount": 15000}, "amount"),
        ({"amount": Rupiah(10**13)}, "amount"),
        ({"bill_number": "x" * 26}, "bill_number"),
        ({"bill_number": ""}, "bill_number"),
        ({"reference_label": "A\nB"}, "reference_label"),
        ({"tip": "04"}, "tip"),
        ({"fee_fixed": Rupiah(1000)}, "fee_fixed"),
        ({"fee_percent": decimal.Decimal(1)}, "fee_percent"),
        ({"tip": TipIndicator.FIXED}, "fee_fixed"),
        ({"tip": TipIndicator.FIXED, "fee_fixed": Rupiah(0)}, "fee_fixed"),
        ({"tip": TipIndicator.PERCENT}, "fee_percent"),
        ({"tip": TipIndicator.PERCENT, "fee_percent": decimal.Decimal("100.5")}, "fee_percent"),
        ({"tip": TipIndicator.PERCENT, "fee_percent": decimal.Decimal("0.001")}, "fee_percent"),
        ({"tip": TipIndicator.PERCENT, "fee_percent": 2.5}, "fee_percent"),
        ({"tip": TipIndicator.PROMPT, "fee_fixed": Rupiah(5)}, "fee_fixed"),
        ({"tip": TipIndicator.FIXED, "fee_fixed": Rupiah(5), "fee_percent": 1}, "fee_percent"),
    ],
)
def test_to_dynamic_names_the_wrong_option(options: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {"amount": Rupiah(15000), **options}
    with pytest.raises(ValidationError) as caught:
        to_dynamic(SAMPLE, **arguments)  # type: ignore[arg-type]
    assert field in caught.value.fields


def test_to_dynamic_and_to_static_refuse_a_broken_code() -> None:
    broken = SAMPLE[:-4] + "0000"
    with pytest.raises(ValidationError) as caught:
        to_dynamic(broken, Rupiah(1000))
    assert caught.value.fields == ("63 (CRC)",)
    with pytest.raises(ValidationError):
        to_static(broken)
    with pytest.raises(ValidationError):
        to_static(None)  # type: ignore[arg-type]


def test_to_dynamic_refuses_a_template_that_would_overflow() -> None:
    full = code(t62="0825" + "P" * 25 + "0725" + "T" * 25 + "0325" + "S" * 25)
    with pytest.raises(ValidationError) as caught:
        to_dynamic(full, Rupiah(1), bill_number="B" * 25)
    assert caught.value.fields == ("62 (additional data)",)


def test_to_static_removes_what_a_sale_adds_and_keeps_the_rest() -> None:
    dynamic = code(
        t01="12",
        t54="15000",
        t55="02",
        t56="500",
        t62="0103B010503R010703T01",
        t64="0002ID0104TOKO",
    )
    static = to_static(dynamic)
    assert static == code(t62="0703T01", t64="0002ID0104TOKO")
    assert to_static(to_dynamic(SAMPLE, Rupiah(1), bill_number="1")) == SAMPLE


# --- every rule, named by its tag -----------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"t00": None}, "00 (payload format indicator)", "missing"),
        ({"t00": "02"}, "00 (payload format indicator)", "must be 01"),
        ({"t01": None}, "01 (point of initiation method)", "missing"),
        ({"t01": "13"}, "01 (point of initiation method)", "11 (static) or 12 (dynamic)"),
        ({"t51": None}, "51 (national repository account)", "missing"),
        ({"t51": NATIONAL.replace("QRIS", "ABCD")}, "51.00 (globally unique identifier)", "ID.CO"),
        ({"t51": "0215ID10200000000010303UMI"}, "51.00 (globally unique identifier)", "missing"),
        ({"t51": "0014ID.CO.QRIS.WWW0303UMI"}, "51.02 (merchant ID / NMID)", "missing"),
        (
            {"t51": NATIONAL.replace("ID1020000000001", "XX1020000000001")},
            "51.02 (merchant ID / NMID)",
            "ID and 10 to 15 digits",
        ),
        (
            {"t51": "0014ID.CO.QRIS.WWW0210ID123456780303UMI"},
            "51.02 (merchant ID / NMID)",
            "10 to 15",
        ),
        ({"t51": "0014ID.CO.QRIS.WWW0215ID1020000000001"}, "51.03 (merchant criteria)", "missing"),
        ({"t51": NATIONAL.replace("UMI", "UXX")}, "51.03 (merchant criteria)", "UMI, UKE"),
        ({"t51": NATIONAL + "0203ID1"}, "51.02 (merchant ID / NMID)", "more than once"),
        ({"t51": NATIONAL[:-2]}, "51 (national repository account)", "offset"),
        ({"t51": NATIONAL + "0400"}, "51.04 (national repository account)", "empty"),
        ({"t26": "0010ID.CO.BANK0104ABCD"}, "26.01 (merchant PAN)", "digits"),
        ({"t26": "0120" + "9" * 20}, "26.00 (globally unique identifier)", "missing"),
        ({"t26": "0033" + "G" * 33}, "26.00 (globally unique identifier)", "32"),
        ({"t26": "0004BANK0303UXX"}, "26.03 (merchant criteria)", "UMI"),
        ({"t52": None}, "52 (merchant category code)", "missing"),
        ({"t52": "54A9"}, "52 (merchant category code)", "4 digits"),
        ({"t52": "549"}, "52 (merchant category code)", "4 digits"),
        ({"t53": "840"}, "53 (transaction currency)", "360"),
        ({"t53": None}, "53 (transaction currency)", "missing"),
        ({"t01": "12", "t54": "15A00"}, "54 (transaction amount)", "digits"),
        ({"t01": "12", "t54": "0"}, "54 (transaction amount)", "more than 0"),
        ({"t01": "12", "t54": "0.00"}, "54 (transaction amount)", "more than 0"),
        ({"t01": "12", "t54": "15000.50"}, "54 (transaction amount)", "whole rupiah"),
        ({"t01": "12", "t54": "15000.5"}, "54 (transaction amount)", "whole rupiah"),
        ({"t01": "12", "t54": "15000.000"}, "54 (transaction amount)", "two decimals"),
        ({"t01": "12", "t54": "15000."}, "54 (transaction amount)", "two decimals"),
        ({"t01": "12", "t54": "-15000"}, "54 (transaction amount)", "digits"),
        ({"t01": "12", "t54": "1" * 14}, "54 (transaction amount)", "at most 13"),
        ({"t01": "12", "t54": "١٥٠٠٠"}, "54 (transaction amount)", "digits"),
        ({"t54": "15000"}, "54 (transaction amount)", "static code"),
        ({"t01": "12"}, "54 (transaction amount)", "dynamic code"),
        ({"t55": "04"}, "55 (tip or convenience indicator)", "01 (prompt)"),
        ({"t55": "02"}, "56 (convenience fee, fixed)", "missing"),
        ({"t55": "03"}, "57 (convenience fee, percentage)", "missing"),
        ({"t56": "500"}, "56 (convenience fee, fixed)", "tip indicator 02"),
        ({"t55": "03", "t57": "5", "t56": "500"}, "56 (convenience fee, fixed)", "02"),
        ({"t55": "02", "t56": "500", "t57": "5"}, "57 (convenience fee, percentage)", "03"),
        ({"t55": "01", "t57": "5"}, "57 (convenience fee, percentage)", "03"),
        ({"t55": "02", "t56": "500.5"}, "56 (convenience fee, fixed)", "whole rupiah"),
        ({"t55": "02", "t56": "0"}, "56 (convenience fee, fixed)", "more than 0"),
        ({"t55": "03", "t57": "0"}, "57 (convenience fee, percentage)", "more than 0"),
        ({"t55": "03", "t57": "100.1"}, "57 (convenience fee, percentage)", "at most 100"),
        ({"t55": "03", "t57": "2.555"}, "57 (convenience fee, percentage)", "percentage"),
        ({"t55": "03", "t57": "100.00"}, "57 (convenience fee, percentage)", "5 characters"),
        ({"t55": "03", "t57": "1e2"}, "57 (convenience fee, percentage)", "percentage"),
        ({"t58": "SG"}, "58 (country code)", "ID"),
        ({"t58": None}, "58 (country code)", "missing"),
        ({"t59": "W" * 26}, "59 (merchant name)", "26 characters; at most 25"),
        ({"t59": ""}, "59 (merchant name)", "empty"),
        ({"t59": None}, "59 (merchant name)", "missing"),
        ({"t60": "M" * 16}, "60 (merchant city)", "16 characters; at most 15"),
        ({"t60": None}, "60 (merchant city)", "missing"),
        ({"t61": "9011"}, "61 (postal code)", "5 digits"),
        ({"t61": "9011A"}, "61 (postal code)", "5 digits"),
        ({"t62": "0105ABC"}, "62 (additional data)", "offset"),
        ({"t62": "0126" + "B" * 26}, "62.01 (bill number)", "at most 25"),
        ({"t62": "0226" + "8" * 26}, "62.02 (mobile number)", "at most 25"),
        ({"t62": "0901A0901M"}, "62.09 (additional consumer data request)", "more than once"),
        ({"t62": "0700"}, "62.07 (terminal label)", "empty"),
        ({"t62": ""}, "62 (additional data)", "empty"),
        ({"t64": "0002"}, "64 (merchant information, language template)", "offset"),
        ({"t85": "XYZ"}, "85 (unreserved template)", "offset"),
    ],
)
def test_every_rule_names_its_field(changes: dict[str, str | None], field: str, words: str) -> None:
    found = problems(code(**changes))
    assert field in found, found
    assert words in found[field]


def test_the_payload_format_must_come_first() -> None:
    text = sealed([("01", "11"), ("00", "01"), *BASE[2:]])
    assert problems(text) == {"00 (payload format indicator)": "must be the first data object"}


def test_the_crc_must_match_be_last_and_have_length_4() -> None:
    assert "does not match" in problems(SAMPLE[:-4] + "1E31")["63 (CRC)"]
    assert problems(SAMPLE[:-4]) == {
        "payload": "at offset 119: tag 63 declares 4 character(s) but only 0 remain"
    }
    after = SAMPLE + "6403ABC"
    assert problems(after)["63 (CRC)"] == "must be the last data object"
    short = tlv(BASE) + "6303ABC"
    assert problems(short)["63 (CRC)"] == "must have length 04, not 03"
    assert problems(tlv(BASE))["63 (CRC)"] == "is missing"
    # The checksum is compared without regard to case (hexadecimal digits).
    lower = code(t59="A")
    assert parse_qris(lower[:-4] + lower[-4:].lower()).merchant_name == "A"


def test_a_tag_may_appear_once() -> None:
    text = sealed([*BASE, ("59", "TOKO LAIN")])
    assert problems(text) == {"59 (merchant name)": "appears more than once"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "must be text (str), not NoneType"),
        (b"000201", "must be text (str), not bytes"),
        ("", "is empty"),
        ("0" * 513, "is 513 characters; a QRIS code has at most 512"),
        ("00020101", "at offset 6: 2 character(s) left, but a data object needs a two-digit"),
        ("000201AB01X", "at offset 6: the tag is not two digits"),
        ("0002010102", "at offset 6: tag 01 declares 2 character(s) but only 0 remain"),
        ("000201010311", "at offset 6: tag 01 declares 3 character(s) but only 2 remain"),
        ("000201010x12", "at offset 8: the length of tag 01 is not two digits"),
    ],
)
def test_structure_problems_are_under_payload_with_their_offset(text: object, message: str) -> None:
    found = problems(text)
    assert set(found) == {"payload"}
    assert found["payload"].startswith(message)


def test_control_characters_are_refused() -> None:
    text = code(t59="WARUNG\tLORONG")
    assert problems(text) == {
        "payload": f"has a control or invalid character at offset {text.index(chr(9))}; "
        "a QRIS code is printable text"
    }
    assert "payload" in problems(SAMPLE + "\n")
    assert "payload" in problems(code(t59="A\ud800"))


def test_all_problems_are_reported_at_once() -> None:
    text = code(t52="ABCD", t53="840", t58="SG", t59="N" * 30, t61="1")
    assert set(problems(text)) == {
        "52 (merchant category code)",
        "53 (transaction currency)",
        "58 (country code)",
        "59 (merchant name)",
        "61 (postal code)",
    }


def test_unknown_tags_are_kept_verbatim() -> None:
    acquirer_account = tlv(
        [("00", "ID.CO.BANK.WWW"), ("01", "936" + "0" * 15), ("04", "0499"), ("99", "XX")]
    )
    text = code(
        t02="4000123412341234",
        t62=tlv([("01", "INV-1"), ("07", "T-01"), ("50", "ABCDE"), ("99", "XY")]),
        t64="0002ID0106WARUNG",
        t99="0004TEST",
        t26=acquirer_account,
    )
    payload = parse_qris(text)
    assert payload.other == (
        TlvField("02", "4000123412341234"),
        TlvField("64", "0002ID0106WARUNG"),
        TlvField("99", "0004TEST"),
    )
    assert payload.additional == AdditionalData(
        bill_number="INV-1",
        terminal_label="T-01",
        other=(TlvField("50", "ABCDE"), TlvField("99", "XY")),
    )
    acquirer = payload.accounts[0]
    assert (acquirer.tag, acquirer.guid, acquirer.pan) == ("26", "ID.CO.BANK.WWW", "936" + "0" * 15)
    assert acquirer.other == (TlvField("04", "0499"), TlvField("99", "XX"))  # verbatim
    assert not acquirer.is_national
    assert build_qris(payload) == text


def test_amounts_with_zero_decimals_are_whole_rupiah() -> None:
    payload = parse_qris(code(t01="12", t54="15000.00"))
    assert payload.amount == Rupiah(15000)
    assert payload.is_dynamic
    assert parse_qris(code(t01="12", t54="15000.0")).amount == Rupiah(15000)


def test_tips_and_fees_are_read() -> None:
    assert parse_qris(code(t55="01")).tip is TipIndicator.PROMPT  # allowed on a static code
    fixed = parse_qris(code(t55="02", t56="1000"))
    assert (fixed.tip, fixed.fee_fixed) == (TipIndicator.FIXED, Rupiah(1000))
    for text, value in [("100", "100"), ("2.5", "2.5"), ("0.01", "0.01"), ("99.99", "99.99")]:
        percent = parse_qris(code(t55="03", t57=text))
        assert percent.fee_percent == decimal.Decimal(value)


# --- building -------------------------------------------------------------------------------


def national(**changes: Any) -> MerchantAccount:
    account = MerchantAccount(
        "51", QRIS_GUID, merchant_id="ID1020000000001", criteria=MerchantCriteria.MICRO
    )
    return attrs.evolve(account, **changes)


def sample_payload(**changes: Any) -> QrisPayload:
    return attrs.evolve(parse_qris(SAMPLE), crc=None, **changes)


def test_build_writes_tags_in_ascending_order() -> None:
    payload = sample_payload(
        initiation=InitiationMethod.DYNAMIC,
        accounts=(national(), MerchantAccount("26", "ID.CO.BANK.WWW", pan="9360")),
        amount=Rupiah(5000),
        additional=AdditionalData(terminal_label="K1"),
        other=(TlvField("02", "4111"), TlvField("64", "0002ID")),
    )
    tags = [tag for tag, _ in fields(build_qris(payload))]
    assert tags == [
        "00",
        "01",
        "02",
        "26",
        "51",
        "52",
        "53",
        "54",
        "58",
        "59",
        "60",
        "61",
        "62",
        "64",
        "63",
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"merchant_name": "N" * 26}, "59 (merchant name)"),
        ({"merchant_name": "N" * 120}, "59 (merchant name)"),
        ({"merchant_name": None}, "59 (merchant name)"),
        ({"merchant_city": ""}, "60 (merchant city)"),
        ({"merchant_city": "   "}, "60 (merchant city)"),
        ({"merchant_name": "WARUNG DÉSA"}, "59 (merchant name)"),
        ({"merchant_name": "مطعم"}, "59 (merchant name)"),
        (
            {"amount": Rupiah(10**5000), "initiation": InitiationMethod.DYNAMIC},
            "54 (transaction amount)",
        ),
        (
            {"amount": Rupiah(10**13), "initiation": InitiationMethod.DYNAMIC},
            "54 (transaction amount)",
        ),
        (
            {"tip": TipIndicator.PERCENT, "fee_percent": decimal.Decimal("1E+999999")},
            "57 (convenience fee, percentage)",
        ),
        (
            {"tip": TipIndicator.PERCENT, "fee_percent": decimal.Decimal("1E-999999")},
            "57 (convenience fee, percentage)",
        ),
        (
            {"tip": TipIndicator.PERCENT, "fee_percent": decimal.Decimal("2.555")},
            "57 (convenience fee, percentage)",
        ),
        ({"mcc": 5499}, "52 (merchant category code)"),
        ({"currency": "840"}, "53 (transaction currency)"),
        ({"country": "MY"}, "58 (country code)"),
        ({"amount": Rupiah(15000)}, "54 (transaction amount)"),
        ({"amount": 15000}, "54 (transaction amount)"),
        ({"initiation": InitiationMethod.DYNAMIC}, "54 (transaction amount)"),
        ({"initiation": "13"}, "01 (point of initiation method)"),
        ({"tip": TipIndicator.FIXED}, "56 (convenience fee, fixed)"),
        ({"fee_fixed": Rupiah(100)}, "56 (convenience fee, fixed)"),
        ({"tip": TipIndicator.PERCENT, "fee_percent": 2.5}, "57 (convenience fee, percentage)"),
        (
            {"tip": TipIndicator.PERCENT, "fee_percent": decimal.Decimal("NaN")},
            "57 (convenience fee, percentage)",
        ),
        (
            {"tip": TipIndicator.PERCENT, "fee_percent": decimal.Decimal(120)},
            "57 (convenience fee, percentage)",
        ),
        ({"postal_code": "123"}, "61 (postal code)"),
        ({"accounts": ()}, "51 (national repository account)"),
        ({"accounts": [national()]}, "accounts"),
        ({"accounts": (national(tag="52"),)}, "accounts[0].tag"),
        ({"accounts": ("51",)}, "accounts[0]"),
        ({"accounts": (national(merchant_id="ID12"),)}, "51.02 (merchant ID / NMID)"),
        ({"accounts": (national(guid="ID.CO.X"),)}, "51.00 (globally unique identifier)"),
        ({"accounts": (national(other=(TlvField("02", "x"),)),)}, "accounts[0].other[0]"),
        ({"accounts": (national(), national())}, "51 (national repository account)"),
        ({"additional": AdditionalData()}, "62 (additional data)"),
        ({"additional": AdditionalData(bill_number="B" * 26)}, "62.01 (bill number)"),
        ({"additional": AdditionalData(other=(TlvField("05", "x"),))}, "additional.other[0]"),
        ({"additional": "0103ABC"}, "62 (additional data)"),
        ({"other": (TlvField("59", "X"),)}, "other[0]"),
        ({"other": (TlvField("7", "X"),)}, "other[0]"),
        ({"other": ("64",)}, "other[0]"),
        ({"other": (TlvField("64", "not tlv"),)}, "64 (merchant information, language template)"),
        (
            {
                "other": (
                    TlvField("02", "A" * 99),
                    TlvField("03", "A" * 99),
                    TlvField("04", "A" * 99),
                    TlvField("05", "A" * 99),
                )
            },
            "payload",
        ),
        ({"payload_format": "02"}, "00 (payload format indicator)"),
    ],
)
def test_build_checks_the_same_rules(changes: dict[str, object], field: str) -> None:
    payload = sample_payload(**changes)
    with pytest.raises(ValidationError) as caught:
        build_qris(payload)
    assert field in caught.value.fields, caught.value.fields


def test_build_refuses_something_else() -> None:
    with pytest.raises(ValidationError, match="payload: must be a QrisPayload"):
        build_qris(SAMPLE)  # type: ignore[arg-type]


def test_fee_percent_is_written_without_trailing_zeros() -> None:
    payload = sample_payload(tip=TipIndicator.PERCENT, fee_percent=decimal.Decimal("2.50"))
    assert dict(fields(build_qris(payload)))["57"] == "2.5"
    payload = sample_payload(tip=TipIndicator.PERCENT, fee_percent=decimal.Decimal("1E+2"))
    assert dict(fields(build_qris(payload)))["57"] == "100"


# --- models ---------------------------------------------------------------------------------


def test_the_mobile_number_is_masked_in_reprs_and_errors() -> None:
    data = AdditionalData(mobile_number="081234567890", bill_number="7")
    assert "081234567890" not in repr(data)
    assert "08********90" in repr(data)
    assert "081234567890" not in repr(sample_payload(additional=data))
    assert "None" in repr(AdditionalData())
    short = AdditionalData(mobile_number="0812")
    assert "0812" not in repr(short)
    long_number = "0812345678901234567890123456"
    with pytest.raises(ValidationError) as caught:
        parse_qris(code(t62="02" + str(len(long_number)) + long_number))
    assert long_number not in str(caught.value)


def test_models_are_frozen() -> None:
    payload = parse_qris(SAMPLE)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        payload.merchant_name = "X"  # type: ignore[misc]
    assert payload.nmid == "ID1020000000001"
    no_national = attrs.evolve(payload, accounts=(MerchantAccount("26", "ID.CO.BANK.WWW"),))
    assert no_national.nmid is None


# --- merchants ------------------------------------------------------------------------------


def merchant(**changes: object) -> QrisMerchant:
    values: dict[str, object] = {
        "enterprise": "mks-maricaya-01",
        "nmid": "ID1020000000001",
        "mcc": "5499",
        "name": "WARUNG LORONG",
        "city": "MAKASSAR",
        "postal_code": "90111",
    }
    return QrisMerchant(**{**values, **changes})  # type: ignore[arg-type]


def test_a_merchant_makes_the_sample_static_code() -> None:
    assert merchant().static_payload() == SAMPLE


def test_a_merchant_with_an_acquirer_account() -> None:
    m = merchant(
        merchant_pan="936000140000000001",
        acquirer_guid="ID.CO.BANKSULSELBAR.WWW",
        criteria="UKE",
    )
    assert m.criteria is MerchantCriteria.SMALL
    payload = parse_qris(m.static_payload())
    assert [(a.tag, a.guid, a.pan, a.merchant_id, a.criteria) for a in payload.accounts] == [
        ("26", "ID.CO.BANKSULSELBAR.WWW", "936000140000000001", None, MerchantCriteria.SMALL),
        ("51", QRIS_GUID, None, "ID1020000000001", MerchantCriteria.SMALL),
    ]


def test_a_merchant_makes_dynamic_codes() -> None:
    m = merchant()
    text = m.dynamic_payload(Rupiah(27500), bill_number="41", reference_label="QRS-41")
    payload = parse_qris(text)
    assert payload.is_dynamic
    assert payload.amount == Rupiah(27500)
    assert payload.additional == AdditionalData(bill_number="41", reference_label="QRS-41")
    assert to_static(text) == m.static_payload()
    tipped = parse_qris(
        m.dynamic_payload(Rupiah(1000), tip=TipIndicator.FIXED, fee_fixed=Rupiah(500))
    )
    assert tipped.fee_fixed == Rupiah(500)
    with pytest.raises(ValidationError) as caught:
        m.dynamic_payload(Rupiah(0))
    assert caught.value.fields == ("amount",)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"enterprise": ""}, "enterprise"),
        ({"nmid": "ID123"}, "nmid"),
        ({"nmid": "1020000000001"}, "nmid"),
        ({"nmid": "ID" + "1" * 16}, "nmid"),
        ({"mcc": "549"}, "mcc"),
        ({"mcc": "ABCD"}, "mcc"),
        ({"name": ""}, "name"),
        ({"name": "N" * 26}, "name"),
        ({"name": "WARUNG\nLORONG"}, "name"),
        ({"city": "C" * 16}, "city"),
        ({"city": None}, "city"),
        ({"city": "   "}, "city"),
        ({"name": "  "}, "name"),
        ({"name": "KAFÉ LORONG"}, "name"),
        ({"name": "WARUNG 081234567890"}, "name"),
        ({"city": "budi@mail.co.id"}, "city"),
        ({"postal_code": "9011"}, "postal_code"),
        ({"criteria": "XXX"}, "criteria"),
        ({"criteria": None}, "criteria"),
        ({"merchant_pan": "12AB", "acquirer_guid": "ID.CO.BANK.WWW"}, "merchant_pan"),
        ({"merchant_pan": "1" * 20, "acquirer_guid": "ID.CO.BANK.WWW"}, "merchant_pan"),
        ({"merchant_pan": "9360"}, "acquirer_guid"),
        ({"acquirer_guid": "ID.CO.BANK.WWW"}, "merchant_pan"),
        ({"merchant_pan": "9360", "acquirer_guid": "G" * 33}, "acquirer_guid"),
        ({"merchant_pan": "9360", "acquirer_guid": QRIS_GUID}, "acquirer_guid"),
    ],
)
def test_merchant_data_is_checked(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        merchant(**changes)
    assert caught.value.fields == (field,)


def test_an_enterprise_name_with_accents_prints_without_them() -> None:
    from smartcity_kit.economy import Enterprise  # noqa: PLC0415

    enterprise = Enterprise(
        id="bulo-kafe",
        city="makassar",
        name="Kafé Lorong Daeng",
        address=Address(village=RegionCode.parse("73.71.03.1001"), lorong="Lorong 3"),
        sector="processed_food",
        legal_form="cooperative",
        founded=dt.date(2017, 8, 17),
    )
    m = QrisMerchant.from_enterprise(
        enterprise, nmid="ID1020000000001", mcc="5499", city="MAKASSAR"
    )
    assert m.name == "KAFE LORONG DAENG"


@given(city_st.enterprises())
def test_merchant_from_an_enterprise(enterprise: object) -> None:
    from smartcity_kit.economy import Enterprise  # noqa: PLC0415

    assert isinstance(enterprise, Enterprise)
    name = "".join(
        c
        for c in unicodedata.normalize("NFKD", enterprise.name.upper())
        if not unicodedata.combining(c)
    )
    if len(name) <= 25 and not (name.isascii() and name.strip()):
        with pytest.raises(ValidationError) as caught:
            QrisMerchant.from_enterprise(enterprise, nmid="ID1020000000001", mcc="5499", city="X")
        assert caught.value.fields == ("name",)
        assert "not in Latin letters" in str(caught.value)
        m = QrisMerchant.from_enterprise(
            enterprise, nmid="ID1020000000001", mcc="5499", city="X", name="BULO"
        )
    elif len(name) > 25:
        with pytest.raises(ValidationError) as caught:
            QrisMerchant.from_enterprise(enterprise, nmid="ID1020000000001", mcc="5499", city="X")
        assert caught.value.fields == ("name",)
        assert "shorter name (max 25)" in str(caught.value)
        m = QrisMerchant.from_enterprise(
            enterprise, nmid="ID1020000000001", mcc="5499", city="X", name="BULO"
        )
        assert m.name == "BULO"
    else:
        m = QrisMerchant.from_enterprise(
            enterprise,
            nmid="ID1020000000001",
            mcc="5499",
            city="MAKASSAR",
            criteria=MerchantCriteria.SMALL,
        )
        assert (m.enterprise, m.name, m.criteria) == (
            enterprise.id,
            name,
            MerchantCriteria.SMALL,
        )
    assert m.postal_code == enterprise.address.postal_code
    assert parse_qris(m.static_payload()).postal_code == m.postal_code


def test_merchant_from_something_else() -> None:
    with pytest.raises(ValidationError) as caught:
        QrisMerchant.from_enterprise("bulo", nmid="ID1020000000001", mcc="5499", city="X")  # type: ignore[arg-type]
    assert caught.value.fields == ("enterprise",)
