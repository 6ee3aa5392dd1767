"""The GET cache of the Open311 handler: one thread makes an answer, the others wait or reuse it."""

from __future__ import annotations

import datetime as dt
import json
import threading
import types
from collections.abc import Iterator
from typing import Any

import pytest

import smartcity_kit.egov.open311._handler as handler_module
from smartcity_kit.core import CityProfile, FixedClock, GeoPoint
from smartcity_kit.egov import Agency, Location, Service, ServiceDesk, ServiceStandard
from smartcity_kit.egov.open311 import Open311Handler
from smartcity_kit.storage import Database, upgrade

NOW = dt.datetime(2026, 11, 20, 13, 0, tzinfo=dt.UTC)
PAGE = {"page": ["1"], "page_size": ["50"]}


class _Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def monotonic(monkeypatch: pytest.MonkeyPatch) -> _Clock:
    clock = _Clock()
    monkeypatch.setattr(handler_module, "time", types.SimpleNamespace(monotonic=clock.monotonic))
    return clock


@pytest.fixture
def desk() -> Iterator[ServiceDesk]:
    db = Database("sqlite://")
    upgrade(db)
    clock = FixedClock(NOW)
    desk = ServiceDesk(db, CityProfile.builtin("makassar"), clock)
    desk.save_agency(Agency(city="makassar", code="dlh", name="Dinas Lingkungan Hidup"), actor="a")
    desk.save_service(
        Service(
            city="makassar",
            code="003",
            name="Sampah tidak diangkut",
            description="Sampah belum diangkut",
            group="Kebersihan",
            agency="dlh",
            standard=ServiceStandard(working_days=3),
        ),
        actor="a",
    )
    for n in range(3):
        desk.submit(
            "003", location=Location(point=GeoPoint(-5.14, 119.42)), description=f"laporan {n}"
        )
    yield desk
    db.dispose()


class _Counted:
    """Wraps ``desk.search``: counts the calls and can hold them until told to go on."""

    def __init__(self, desk: ServiceDesk, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        self.entered = threading.Event()
        self.go_on = threading.Event()
        self.go_on.set()
        self.fail = False
        original = desk.search

        def search(**kwargs: Any) -> Any:
            self.calls += 1
            self.entered.set()
            assert self.go_on.wait(10)
            if self.fail:
                raise RuntimeError("the database went away")
            return original(**kwargs)

        monkeypatch.setattr(desk, "search", search)


def _handler(desk: ServiceDesk, version: list[int]) -> Open311Handler:
    return Open311Handler(
        [desk],
        authorize=lambda _key, _city: None,
        clock=FixedClock(NOW),
        data_version=lambda: version[0],
        cache_seconds=5,
    )


def _ids(body: bytes) -> list[str]:
    return [r["service_request_id"] for r in json.loads(body)]


def _in_threads(count: int, call: Any) -> tuple[list[threading.Thread], list[Any]]:
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    return threads, results


def _let_go(counted: _Counted, threads: list[threading.Thread]) -> None:
    """Once one thread is making the answer, let it finish, and wait for every thread."""
    assert counted.entered.wait(10)
    counted.go_on.set()
    for thread in threads:
        thread.join(10)


@pytest.mark.usefixtures("monotonic")
def test_readers_arriving_together_wait_for_one_answer(
    desk: ServiceDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted = _Counted(desk, monkeypatch)
    handler = _handler(desk, [1])
    counted.go_on.clear()
    threads, results = _in_threads(8, lambda: handler.handle("GET", "requests.json", PAGE))
    _let_go(counted, threads)
    assert counted.calls == 1  # made once, for all eight
    assert {r.status for r in results} == {200}
    assert len({r.body for r in results}) == 1
    assert _ids(results[0].body) == ["3", "2", "1"]


def test_an_expired_answer_is_given_while_one_thread_makes_it_again(
    desk: ServiceDesk, monotonic: _Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted = _Counted(desk, monkeypatch)
    handler = _handler(desk, [1])
    first = handler.handle("GET", "requests.json", PAGE)
    assert counted.calls == 1
    monotonic.now += 6  # older than the cache time
    counted.entered.clear()
    counted.go_on.clear()
    threads, results = _in_threads(1, lambda: handler.handle("GET", "requests.json", PAGE))
    assert counted.entered.wait(10)  # that reader makes it again, and is held there
    others = [handler.handle("GET", "requests.json", PAGE) for _ in range(3)]
    assert [o.body for o in others] == [first.body] * 3  # the others do not wait
    assert counted.calls == 2
    counted.go_on.set()
    threads[0].join(10)
    assert results[0].body == first.body
    handler.handle("GET", "requests.json", PAGE)
    assert counted.calls == 2  # the fresh one is kept


@pytest.mark.usefixtures("monotonic")
def test_a_new_data_version_is_never_answered_from_the_old(
    desk: ServiceDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted = _Counted(desk, monkeypatch)
    version = [1]
    handler = _handler(desk, version)
    before = handler.handle("GET", "requests.json", PAGE)
    desk.submit("003", location=Location(point=GeoPoint(-5.14, 119.42)), description="baru")
    version[0] = 2
    counted.go_on.clear()
    threads, results = _in_threads(4, lambda: handler.handle("GET", "requests.json", PAGE))
    _let_go(counted, threads)
    assert _ids(before.body) == ["3", "2", "1"]
    assert [_ids(r.body) for r in results] == [["4", "3", "2", "1"]] * 4
    assert counted.calls == 2


@pytest.mark.usefixtures("monotonic")
def test_when_making_the_answer_fails_the_waiting_readers_go_on(
    desk: ServiceDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted = _Counted(desk, monkeypatch)
    handler = _handler(desk, [1])
    counted.fail = True
    counted.go_on.clear()
    errors: list[BaseException] = []

    def read() -> Any:
        try:
            return handler.handle("GET", "requests.json", PAGE)
        except RuntimeError as e:
            errors.append(e)
            return None

    threads, _ = _in_threads(3, read)
    _let_go(counted, threads)
    assert not any(t.is_alive() for t in threads)
    # Nothing was kept: each waiting reader made it itself, got the error, and none hung.
    assert len(errors) == 3
    assert counted.calls == 3
    counted.fail = False
    assert handler.handle("GET", "requests.json", PAGE).status == 200


@pytest.mark.usefixtures("monotonic")
def test_errors_are_not_kept(desk: ServiceDesk) -> None:
    handler = _handler(desk, [1])
    for _ in range(2):
        answer = handler.handle("GET", "requests.json", {"page_size": ["nope"]})
        assert answer.status == 400
    assert handler.handle("GET", "requests.json", PAGE).status == 200


def test_an_answer_long_expired_is_not_given_even_while_it_is_made_again(
    desk: ServiceDesk, monotonic: _Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted = _Counted(desk, monkeypatch)
    handler = _handler(desk, [1])
    handler.handle("GET", "requests.json", PAGE)
    desk.submit("003", location=Location(point=GeoPoint(-5.14, 119.42)), description="diam")
    monotonic.now += 11  # more than twice the cache time: too old to give, even meanwhile
    counted.entered.clear()
    counted.go_on.clear()
    threads, results = _in_threads(3, lambda: handler.handle("GET", "requests.json", PAGE))
    _let_go(counted, threads)
    assert counted.calls == 2  # one of the three made it, the two others waited for it
    assert [_ids(r.body) for r in results] == [["4", "3", "2", "1"]] * 3
