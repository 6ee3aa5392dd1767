"""ApiKeys.authenticate reuses a key it accepted for AUTH_CACHE_SECONDS, never longer, and never
for another secret."""

from __future__ import annotations

import types

import pytest

from smartcity_kit.storage import ApiKeys, Database, Role
from smartcity_kit.storage._keys import AUTH_CACHE_SECONDS


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
        "smartcity_kit.storage._keys.time", types.SimpleNamespace(monotonic=ticker.monotonic)
    )
    return ticker


def test_a_key_revoked_through_the_same_keys_stops_at_once(db: Database, ticker: Ticker) -> None:
    keys = ApiKeys(db)
    record, key = keys.create("kiosk kantor camat", Role.OPEN311_CLIENT)
    assert keys.authenticate(key) == record
    keys.revoke(record.key_id, actor="admin:rina")
    assert ticker.now == 1000.0  # no time has passed
    assert keys.authenticate(key) is None


def test_a_key_revoked_elsewhere_stops_within_the_window(db: Database, ticker: Ticker) -> None:
    server = ApiKeys(db)  # what a serving process holds
    record, key = server.create("aplikasi warga", Role.OPEN311_CLIENT)
    assert server.authenticate(key) == record
    ApiKeys(db).revoke(record.key_id, actor="admin:rina")  # `smartcity-kit keys revoke`
    # Used again and again inside the window, the remembered key does not stay fresh...
    for _ in range(5):
        ticker.now += AUTH_CACHE_SECONDS / 5 - 0.001
        assert server.authenticate(key) == record
    # ...and once the second is over it is read again, and refused.
    ticker.now += 0.01
    assert server.authenticate(key) is None
    assert server.authenticate(key) is None


def test_without_the_window_every_call_reads_the_key(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("smartcity_kit.storage._keys.AUTH_CACHE_SECONDS", -1.0)
    server = ApiKeys(db)
    record, key = server.create("kiosk", Role.OPEN311_CLIENT)
    assert server.authenticate(key) == record
    ApiKeys(db).revoke(record.key_id)
    assert server.authenticate(key) is None


def test_a_wrong_secret_for_a_remembered_key_is_refused(db: Database, ticker: Ticker) -> None:
    keys = ApiKeys(db)
    record, key = keys.create("kiosk", Role.OPEN311_CLIENT)
    assert keys.authenticate(key) == record
    forged = f"{key[:-1]}{'A' if key[-1] != 'A' else 'B'}"  # the secret's last letter changed
    assert keys.authenticate(forged) is None
    ticker.now += AUTH_CACHE_SECONDS / 2
    assert keys.authenticate(forged) is None
    assert keys.authenticate(key) == record


def test_many_keys_do_not_grow_the_memory_without_bound(
    db: Database, ticker: Ticker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("smartcity_kit.storage._keys._AUTH_CACHE_ENTRIES", 3)
    keys = ApiKeys(db)
    made = [keys.create(f"kiosk {n}", Role.OPEN311_CLIENT) for n in range(5)]
    for record, key in made:
        assert keys.authenticate(key) == record
    assert len(keys._accepted) <= 3
    assert ticker.now == 1000.0
