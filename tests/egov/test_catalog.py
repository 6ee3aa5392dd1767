from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity_kit.core import Rupiah
from smartcity_kit.egov import (
    Agency,
    AttributeValue,
    Datatype,
    Service,
    ServiceAttribute,
    ServiceStandard,
)
from smartcity_kit.errors import ValidationError

SIZES = (AttributeValue("kecil", "Kecil"), AttributeValue("besar", "Besar"))


def attribute(datatype: str, **kw: object) -> ServiceAttribute:
    values = SIZES if datatype.endswith("valuelist") else ()
    return ServiceAttribute(
        code=str(kw.pop("code", "q")),
        datatype=Datatype(datatype),
        description="Pertanyaan",
        order=int(kw.pop("order", 1)),  # type: ignore[call-overload]
        values=values,
        **kw,  # type: ignore[arg-type]
    )


def service(*attributes: ServiceAttribute) -> Service:
    return Service(
        city="makassar",
        code="001",
        name="Jalan rusak",
        description="",
        group="Infrastruktur",
        agency="dpu",
        standard=ServiceStandard(working_days=10),
        attributes=attributes,
    )


@pytest.mark.parametrize(
    ("datatype", "raw", "expected"),
    [
        ("string", " jalan ", "jalan"),
        ("text", "panjang " * 10, ("panjang " * 10).strip()),
        ("number", "12", 12),
        ("number", "-3.50", "-3.50"),
        ("singlevaluelist", "besar", "besar"),
        ("multivaluelist", ["kecil", "besar", "kecil"], ("kecil", "besar")),
        ("multivaluelist", "kecil", ("kecil",)),
        (
            "datetime",
            "2026-11-23T09:00:00+08:00",
            dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC),
        ),
    ],
)
def test_answers_are_typed(datatype: str, raw: str | list[str], expected: object) -> None:
    assert attribute(datatype).parse(raw) == expected


@pytest.mark.parametrize(
    ("datatype", "raw", "message"),
    [
        ("number", "dua belas", "must be a number"),
        ("number", "1e5", "must be a number"),
        ("singlevaluelist", "sedang", "must be one of besar, kecil"),
        ("singlevaluelist", ["besar"], "single value"),
        ("multivaluelist", ["besar", "x"], "must be among"),
        ("multivaluelist", [], "must be among"),
        ("datetime", "2026-11-23 09:00", "with an offset"),
        ("datetime", "besok", "with an offset"),
        ("string", "x" * 256, "at most 255"),
        ("text", "x" * 4001, "at most 4000"),
        ("string", "<script>alert(1)</script>", "not HTML"),
        ("text", "a &amp; b", "not HTML"),
    ],
)
def test_bad_answers_name_the_attribute(datatype: str, raw: str | list[str], message: str) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        attribute(datatype).parse(raw)
    assert info.value.fields == ("attribute[q]",)


def test_attribute_shape_is_checked() -> None:
    with pytest.raises(ValidationError, match="needs values"):
        ServiceAttribute(code="q", datatype=Datatype.SINGLEVALUELIST, description="d", order=1)
    with pytest.raises(ValidationError, match="takes no values"):
        ServiceAttribute(code="q", datatype=Datatype.STRING, description="d", order=1, values=SIZES)
    with pytest.raises(ValidationError, match="positive"):
        ServiceAttribute(code="q", datatype=Datatype.STRING, description="d", order=0)
    with pytest.raises(ValidationError, match="unique"):
        ServiceAttribute(
            code="q",
            datatype="singlevaluelist",
            description="d",
            order=1,
            values=(SIZES[0], SIZES[0]),
        )
    with pytest.raises(ValueError, match="'colour' is not a valid Datatype"):
        ServiceAttribute(code="q", datatype="colour", description="d", order=1)


def test_service_checks_its_attributes() -> None:
    with pytest.raises(ValidationError, match="codes must be unique"):
        service(attribute("string", code="a"), attribute("number", code="a", order=2))
    with pytest.raises(ValidationError, match="orders must be unique"):
        service(attribute("string", code="a"), attribute("number", code="b"))


def test_service_codes_are_strings_with_leading_zeros() -> None:
    assert service().code == "001"
    with pytest.raises(ValidationError, match="service_code"):
        Service(
            city="makassar",
            code="",
            name="x",
            description="",
            group="",
            agency="dpu",
            standard=ServiceStandard(working_days=1),
        )


def test_parse_attributes_reports_every_problem() -> None:
    s = service(
        attribute("singlevaluelist", code="size", required=True),
        attribute("number", code="depth", order=2),
        attribute("string", code="note", order=3, required=True),
    )
    with pytest.raises(ValidationError) as info:
        s.parse_attributes({"depth": "dalam", "colour": "red"})
    assert [(e.path, e.message) for e in info.value.errors] == [
        ("attribute[colour]", "is not an attribute of this service"),
        ("attribute[size]", "is required"),
        ("attribute[depth]", "must be a number like 12 or 3.5"),
        ("attribute[note]", "is required"),
    ]
    assert s.parse_attributes({"size": "besar", "note": "awas", "depth": ""}) == {
        "size": "besar",
        "note": "awas",
    }
    assert s.metadata


def test_informational_attributes_take_no_answer() -> None:
    s = service(attribute("string", code="info", variable=False))
    with pytest.raises(ValidationError, match="not an attribute"):
        s.parse_attributes({"info": "x"})


def test_standard() -> None:
    standard = ServiceStandard(
        working_days=14,
        fee=Rupiah(0),
        requirements=("KTP",),
        procedure=("Isi formulir", "Verifikasi"),
        output="Surat keterangan",
        complaint_channel="Pengaduan: lapor.go.id",
        legal_basis=("UU 25/2009",),
    )
    assert standard.fee == Rupiah.zero()
    with pytest.raises(ValidationError, match="1 to 365"):
        ServiceStandard(working_days=0)
    with pytest.raises(ValidationError, match="at least Rp0"):
        ServiceStandard(working_days=1, fee=Rupiah(-1))


def test_agency() -> None:
    with pytest.raises(ValidationError, match="name"):
        Agency(city="makassar", code="dpu", name=" ")
    with pytest.raises(ValidationError, match="code"):
        Agency(city="makassar", code="d p u", name="Dinas")


@given(st.text(max_size=300))
def test_string_answers_never_raise_anything_but_validation_errors(raw: str) -> None:
    for datatype in Datatype:
        problems: tuple[str, ...] = ()
        try:
            attribute(datatype.value).parse(raw)
        except ValidationError as e:
            problems = tuple(e.fields)
        assert problems in ((), ("attribute[q]",))
