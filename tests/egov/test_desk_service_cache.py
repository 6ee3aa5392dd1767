"""A desk reuses a service definition for SERVICE_CACHE_SECONDS when it takes requests: a change
saved through the same desk applies at once, one saved by another desk within that window."""

from __future__ import annotations

import datetime as dt
import types

import pytest

from smartcity_kit.core import CityProfile, FixedClock, GeoPoint
from smartcity_kit.egov import (
    Agency,
    AttributeValue,
    Datatype,
    Location,
    Service,
    ServiceAttribute,
    ServiceDesk,
    ServiceStandard,
)
from smartcity_kit.egov._desk import SERVICE_CACHE_SECONDS
from smartcity_kit.errors import NotFoundError, ValidationError
from smartcity_kit.storage import Database

MAKASSAR = CityProfile.builtin("makassar")
HERE = Location(point=GeoPoint(-5.1354, 119.4238))
SIZE = ServiceAttribute(
    code="ukuran",
    datatype=Datatype.SINGLEVALUELIST,
    description="Seberapa besar lubangnya?",
    order=1,
    required=True,
    values=(AttributeValue("kecil", "Kecil"), AttributeValue("besar", "Besar")),
)


def road(*attributes: ServiceAttribute, working_days: int = 10, code: str = "001") -> Service:
    return Service(
        city="makassar",
        code=code,
        name="Jalan rusak",
        description="Jalan berlubang",
        group="Infrastruktur",
        agency="dpu",
        standard=ServiceStandard(working_days=working_days),
        attributes=attributes,
    )


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def ticker(monkeypatch: pytest.MonkeyPatch) -> Ticker:
    ticker = Ticker()
    monkeypatch.setattr(
        "smartcity_kit.egov._desk.time", types.SimpleNamespace(monotonic=ticker.monotonic)
    )
    return ticker


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC))


@pytest.fixture
def admin_desk(db: Database, clock: FixedClock) -> ServiceDesk:
    desk = ServiceDesk(db, MAKASSAR, clock)
    desk.save_agency(Agency(city="makassar", code="dpu", name="Dinas PU"), actor="admin")
    desk.save_service(road(), actor="admin")
    return desk


def test_a_change_saved_through_the_same_desk_applies_at_once(
    admin_desk: ServiceDesk, ticker: Ticker
) -> None:
    first = admin_desk.submit("001", location=HERE, description="Lubang")
    assert first.attributes == {}
    admin_desk.save_service(road(SIZE, working_days=5), actor="admin")
    assert ticker.now == 1000.0  # no time has passed
    with pytest.raises(ValidationError) as missing:
        admin_desk.submit("001", location=HERE, description="Lubang")
    assert [e.path for e in missing.value.errors] == ["attribute[ukuran]"]
    second = admin_desk.submit(
        "001", location=HERE, description="Lubang", attributes={"ukuran": "besar"}
    )
    assert second.attributes == {"ukuran": "besar"}
    # The new standard's deadline too: 5 working days, not 10.
    assert second.complete_due < first.complete_due


def test_another_desk_sees_the_change_within_the_window(
    db: Database, admin_desk: ServiceDesk, clock: FixedClock, ticker: Ticker
) -> None:
    public = ServiceDesk(db, MAKASSAR, clock)  # another process's desk, say
    assert public.submit("001", location=HERE, description="Lubang").attributes == {}
    admin_desk.save_service(road(SIZE), actor="admin")
    # Within the second, the definition read a moment ago may still be used...
    ticker.now += SERVICE_CACHE_SECONDS / 2
    assert public.submit("001", location=HERE, description="Lubang").attributes == {}
    # ...and not after: the request is checked against the new one.
    ticker.now += SERVICE_CACHE_SECONDS / 2 + 0.01
    with pytest.raises(ValidationError, match="ukuran"):
        public.submit("001", location=HERE, description="Lubang")
    taken = public.submit("001", location=HERE, description="L", attributes={"ukuran": "kecil"})
    assert taken.attributes == {"ukuran": "kecil"}


def test_without_the_window_every_request_reads_the_service(
    db: Database, admin_desk: ServiceDesk, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("smartcity_kit.egov._desk.SERVICE_CACHE_SECONDS", 0)
    public = ServiceDesk(db, MAKASSAR, clock)
    assert public.submit("001", location=HERE, description="Lubang").attributes == {}
    admin_desk.save_service(road(SIZE), actor="admin")
    with pytest.raises(ValidationError, match="ukuran"):
        public.submit("001", location=HERE, description="Lubang")


def test_an_unknown_service_is_not_remembered(
    db: Database, admin_desk: ServiceDesk, clock: FixedClock, ticker: Ticker
) -> None:
    public = ServiceDesk(db, MAKASSAR, clock)
    with pytest.raises(NotFoundError):
        public.submit("002", location=HERE, description="Sampah")
    admin_desk.save_service(road(code="002"), actor="admin")
    assert ticker.now == 1000.0
    assert public.submit("002", location=HERE, description="Sampah").service_code == "002"


def test_a_refused_request_changes_nothing(
    db: Database, admin_desk: ServiceDesk, clock: FixedClock, ticker: Ticker
) -> None:
    admin_desk.save_service(road(SIZE), actor="admin")
    public = ServiceDesk(db, MAKASSAR, clock)
    with pytest.raises(ValidationError):
        public.submit("001", location=HERE, description="Lubang", attributes={"ukuran": "x"})
    ticker.now += 0.1
    assert public.search() == []
