from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity_kit.egov.open311 import (
    Discovery,
    Endpoint,
    Note,
    RequestCreated,
    RequestUpdate,
    WireAttribute,
    WireDefinition,
    WireError,
    WireRequest,
    WireService,
    WireValue,
    decode_created,
    decode_definition,
    decode_discovery,
    decode_errors,
    decode_requests,
    decode_services,
    decode_updates,
    encode_created,
    encode_definition,
    encode_discovery,
    encode_errors,
    encode_requests,
    encode_services,
    encode_updates,
)
from smartcity_kit.errors import ValidationError

FORMATS = ["xml", "json"]
# Text as it survives XML 1.0: no control characters, no surrogates, no leading/trailing blanks.
text = (
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)
codes = st.from_regex(r"\A[0-9A-Za-z][0-9A-Za-z_\-]{0,10}\Z")
maybe = st.none() | text
instants = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from(
        [dt.UTC, dt.timezone(dt.timedelta(hours=8)), dt.timezone(dt.timedelta(hours=7))]
    ),
)
services = st.builds(
    WireService,
    service_code=codes,
    service_name=text,
    description=maybe,
    metadata=st.booleans(),
    type=st.sampled_from(["realtime", "batch", "blackbox"]),
    keywords=st.lists(text.filter(lambda t: "," not in t), max_size=3).map(tuple),
    group=maybe,
)
attributes = st.builds(
    WireAttribute,
    code=codes,
    datatype=st.sampled_from(["string", "number", "singlevaluelist"]),
    description=text,
    order=st.integers(min_value=1, max_value=99),
    variable=st.booleans(),
    required=st.booleans(),
    datatype_description=maybe,
    values=st.lists(st.builds(WireValue, key=codes, name=text), max_size=3).map(tuple),
)
coordinate = st.floats(min_value=-90, max_value=90, allow_nan=False)
requests = st.builds(
    WireRequest,
    service_request_id=st.integers(min_value=1, max_value=10**9).map(str),
    status=st.sampled_from(["open", "closed"]),
    service_code=codes,
    service_name=maybe,
    status_notes=maybe,
    description=maybe,
    agency_responsible=maybe,
    service_notice=maybe,
    requested_datetime=st.none() | instants,
    updated_datetime=st.none() | instants,
    expected_datetime=st.none() | instants,
    address=maybe,
    address_id=maybe,
    zipcode=st.none() | st.from_regex(r"\A[0-9]{5}\Z"),
    lat=st.none() | coordinate,
    long=st.none() | coordinate,
    media_url=st.none() | st.just("https://foto.example/1.jpg"),
    notes=st.none()
    | st.lists(
        st.builds(Note, datetime=instants, description=text, type=codes), min_size=1, max_size=3
    ).map(tuple),
)


@pytest.mark.parametrize("fmt", FORMATS)
@given(items=st.lists(services, max_size=4))
def test_services_round_trip(fmt: str, items: list[WireService]) -> None:
    assert decode_services(encode_services(items, fmt), fmt) == items  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMATS)
@given(code=codes, items=st.lists(attributes, max_size=3))
def test_definitions_round_trip(fmt: str, code: str, items: list[WireAttribute]) -> None:
    definition = WireDefinition(service_code=code, attributes=tuple(items))
    assert decode_definition(encode_definition(definition, fmt), fmt) == definition  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMATS)
@given(items=st.lists(requests, max_size=3))
def test_requests_round_trip(fmt: str, items: list[WireRequest]) -> None:
    assert decode_requests(encode_requests(items, fmt), fmt) == items  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMATS)
@given(rid=st.integers(min_value=1).map(str), notice=maybe, account=maybe, token=st.booleans())
def test_created_round_trip(
    fmt: str, rid: str, notice: str | None, account: str | None, token: bool
) -> None:
    created = RequestCreated(
        service_request_id=None if token else rid,
        token=rid if token else None,
        service_notice=notice,
        account_id=account,
    )
    assert decode_created(encode_created([created], fmt), fmt) == [created]  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMATS)
@given(
    st.lists(
        st.builds(WireError, code=st.sampled_from([400, 403, 404]), description=text), max_size=3
    )
)
def test_errors_round_trip(fmt: str, items: list[WireError]) -> None:
    assert decode_errors(encode_errors(items, fmt), fmt) == items  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_and_updates_round_trip(fmt: str) -> None:
    at = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    discovery = Discovery(
        changeset=at,
        contact="Diskominfo Kota Makassar",
        key_service="Minta kunci ke Diskominfo",
        endpoints=(Endpoint(url="https://makassarkota.go.id/open311/v2", changeset=at),),
    )
    assert decode_discovery(encode_discovery(discovery, fmt), fmt) == discovery  # type: ignore[arg-type]
    updates = [RequestUpdate("1-2", "1", "verified", at, "Sudah dicek", None)]
    assert decode_updates(encode_updates(updates, fmt), fmt) == updates  # type: ignore[arg-type]


def test_xml_is_exactly_the_spec_shape() -> None:
    body = encode_services(
        [WireService("001", "Jalan rusak", metadata=True, keywords=("a", "b"))], "xml"
    )
    assert body == (
        b"<?xml version='1.0' encoding='utf-8'?>\n"
        b"<services><service><service_code>001</service_code>"
        b"<service_name>Jalan rusak</service_name><description /><metadata>true</metadata>"
        b"<type>realtime</type><keywords>a, b</keywords><group /></service></services>"
    )
    assert encode_errors([WireError(404, "x")], "json") == b'[{"code":404,"description":"x"}]'


def test_reads_real_world_variants() -> None:
    namespaced = (
        b'<?xml version="1.0"?><o:services xmlns:o="http://open311.org/v2">'
        b"<o:service><o:service_code>7</o:service_code><o:service_name>Lampu</o:service_name>"
        b"<o:metadata>TRUE</o:metadata></o:service></o:services>"
    )
    assert decode_services(namespaced, "xml") == [WireService("7", "Lampu", metadata=True)]
    single = b'{"service_code": 7, "service_name": ["Lampu"], "metadata": "false"}'
    assert decode_services(single, "json") == [WireService("7", "Lampu")]
    envelope = b'{"services": [{"service_code": "7", "service_name": "Lampu"}]}'
    assert decode_services(envelope, "json") == [WireService("7", "Lampu")]
    error_object = b'{"code": 404, "description": "not found"}'
    assert decode_errors(error_object, "json") == [WireError(404, "not found")]
    one_request = (
        b"<service_requests><request><service_request_id>5</service_request_id>"
        b"<lat>-5.1</lat><long>119.4</long>"
        b"<requested_datetime>2026-11-23T01:00:00Z</requested_datetime>"
        b"</request></service_requests>"
    )
    (request,) = decode_requests(one_request, "xml")
    assert (request.lat, request.long, request.requested_datetime) == (
        -5.1,
        119.4,
        dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize(
    ("body", "fmt", "message"),
    [
        (
            b"<services><service><service_name>x</service_name></service></services>",
            "xml",
            r"\[0\]\.service_code: is required",
        ),
        (
            b'[{"service_code": "1", "service_name": "x", "metadata": "maybe"}]',
            "json",
            "true or false",
        ),
        (
            b"<requests><request><service_request_id>1</service_request_id><lat>north</lat></request></requests>",
            "xml",
            "lat: must be a number",
        ),
        (
            b'[{"service_request_id": "1", "requested_datetime": "2026-11-23 09:00"}]',
            "json",
            "UTC offset",
        ),
        (b"<other/>", "xml", "XML root"),
        (b"{", "json", "not valid JSON"),
        (b"<services>", "xml", "not valid"),
        (b'"text"', "json", "must be a list"),
    ],
)
def test_malformed_bodies_are_validation_errors(body: bytes, fmt: str, message: str) -> None:
    decoder = decode_requests if b"request" in body else decode_services
    with pytest.raises(ValidationError, match=message):
        decoder(body, fmt)  # type: ignore[arg-type]


def test_entity_attacks_are_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;">]><services>&b;</services>'
    )
    external = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b"<services>&e;</services>"
    )
    for body in (laughs, external):
        with pytest.raises(ValidationError, match="not allowed"):
            decode_services(body, "xml")


@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_give_a_list_or_a_validation_error(body: bytes) -> None:
    for fmt in FORMATS:
        for decoder in (
            decode_services,
            decode_requests,
            decode_errors,
            decode_created,
            decode_updates,
        ):
            with contextlib.suppress(ValidationError):
                assert isinstance(decoder(body, fmt), list)  # type: ignore[arg-type]
        for single in (decode_definition, decode_discovery):
            with contextlib.suppress(ValidationError):
                single(body, fmt)  # type: ignore[arg-type]


def test_deeply_nested_xml_is_a_validation_error() -> None:
    deep = b"<services>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</services>"
    with pytest.raises(ValidationError, match="not valid"):
        decode_services(deep, "xml")
