"""``smartcity-kit cctv``: organisations, accounts, agreements, grants, checks, access reports."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from smartcity_kit.cli import main
from smartcity_kit.security import AccessPolicy, CameraRegistry
from smartcity_kit.storage import ApiKeys, AuditLog, Database

CASE = "LP/B/1234/XI/2026/SPKT"
# Two city cameras close together on Pantai Losari, one far away, one of Dishub.
LOSARI = (-5.1430, 119.4077)
CAMERAS = [
    ("MKS-0001", "diskominfo", "Dinas Komunikasi dan Informatika", -5.1430, 119.4077),
    ("MKS-0002", "diskominfo", "Dinas Komunikasi dan Informatika", -5.1440, 119.4080),
    ("MKS-0003", "diskominfo", "Dinas Komunikasi dan Informatika", -5.1800, 119.4500),
    ("MKS-0101", "dishub", "Dinas Perhubungan", -5.1431, 119.4078),
]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SMARTCITY_SECRET_KEY", "SMARTCITY_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def url(database_url: str) -> str:
    upgraded = run("db", "upgrade", "--db", database_url)
    assert upgraded.exit_code == 0, upgraded.output
    return database_url


@pytest.fixture
def database(url: str) -> Iterator[Database]:
    """The database the commands use, opened by the test."""
    opened = Database(url)
    yield opened
    opened.dispose()


def ok(*args: str, url: str) -> Result:
    result = run(*args, "--db", url)
    assert result.exit_code == 0, result.output
    return result


def head(database: Database) -> str:
    return str(AuditLog(database).head())


@pytest.fixture
def world(url: str, database: Database) -> str:
    """Orgs, accounts and cameras of Makassar; returns the URL."""
    orgs = [
        ("diskominfo", "city", "Dinas Komunikasi dan Informatika"),
        ("dishub", "city", "Dinas Perhubungan"),
        ("polrestabes", "police", "Polrestabes Makassar"),
        ("polsek-tamalate", "police", "Polsek Tamalate"),
    ]
    for code, kind, name in orgs:
        ok("cctv", "org", "add", code, "--kind", kind, "--name", name, "--city", "makassar",
           url=url)  # fmt: skip
    accounts = [
        ("diskominfo.admin-01", "diskominfo", "admin", "Andi Nurhaliza"),
        ("diskominfo.operator-01", "diskominfo", "viewer", "Rahmat Hidayat"),
        ("polrestabes.admin-01", "polrestabes", "admin", "Citra Dewi"),
        ("polrestabes.reskrim-01", "polrestabes", "viewer", "Budi Santoso"),
        ("polrestabes.propam-01", "polrestabes", "auditor", "Dewi Lestari"),
        ("polsek-tamalate.reskrim-01", "polsek-tamalate", "viewer", "Eko Prasetyo"),
    ]
    for account_id, org, role, name in accounts:
        ok("cctv", "account", "add", account_id, "--org", org, "--role", role, "--name", name,
           url=url)  # fmt: skip
    rows = [
        {
            "id": camera_id,
            "name": f"Kamera {camera_id}",
            "city": "makassar",
            "owner_kind": "city",
            "owner_code": owner,
            "owner_name": owner_name,
            "protocol": "onvif",
            "host": f"10.20.0.{n + 2}",
            "kecamatan": "73.71.10",
            "lat": str(lat),
            "lon": str(lon),
            "main_rtsp": f"rtsp://10.20.0.{n + 2}:554/Streaming/Channels/101",
        }
        for n, (camera_id, owner, owner_name, lat, lon) in enumerate(CAMERAS)
    ]
    CameraRegistry(database).import_rows(rows, actor="test")
    return url


def days_ago(days: int) -> str:
    return (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).date().isoformat()


def add_agreement(url: str, *extra: str, rights: str = "live,snapshot") -> Result:
    return ok(
        "cctv", "agreement", "add", "PKS-2026-007", "--owner", "diskominfo",
        "--grantee", "polrestabes", "--by", "diskominfo.admin-01",
        "--legal-basis", "PKS 007/2026 Diskominfo-Polrestabes", "--rights", rights,
        "--cameras", "MKS-0001,MKS-0003", "--from", days_ago(30), *extra, url=url,
    )  # fmt: skip


def add_grant(url: str, *extra: str) -> Result:
    return ok(
        "cctv", "grant", "add", "--case", CASE, "--reason", "Pencurian sepeda motor",
        "--owner", "diskominfo", "--org", "polsek-tamalate",
        "--requested-by", "polsek-tamalate.reskrim-01", "--approved-by", "diskominfo.admin-01",
        f"--near={LOSARI[0]},{LOSARI[1]}", "--radius", "300",
        "--footage-from", "2026-11-22T20:00+08:00", "--footage-until", "2026-11-22T23:00+08:00",
        *extra, url=url,
    )  # fmt: skip


# --- organisations and accounts -------------------------------------------------------------


def test_organisations_are_added_and_listed(world: str) -> None:
    listed = ok("cctv", "org", "list", url=world).stdout.splitlines()
    assert listed[0].split() == ["ID", "KIND", "CITY", "NAME"]
    assert [line.split()[0] for line in listed[1:]] == [
        "dishub", "diskominfo", "polrestabes", "polsek-tamalate"
    ]  # fmt: skip
    assert listed[3].split() == ["polrestabes", "police", "makassar", "Polrestabes", "Makassar"]
    as_json = json.loads(ok("cctv", "org", "list", "--json", url=world).stdout)
    assert as_json[1] == {
        "id": "diskominfo",
        "city": "makassar",
        "name": "Dinas Komunikasi dan Informatika",
        "kind": "city",
    }
    elsewhere = ok("cctv", "org", "list", "--city", "baubau", "--json", url=world)
    assert json.loads(elsewhere.stdout) == []


def test_an_organisation_is_changed_only_with_update(world: str, database: Database) -> None:
    before = head(database)
    again = run("cctv", "org", "add", "dishub", "--city", "makassar", "--kind", "city",
                "--name", "Dishub Kota Makassar", "--db", world)  # fmt: skip
    assert again.exit_code == 2
    assert again.stderr == "Error: organisation dishub already exists (add --update to change it)\n"
    assert head(database) == before
    changed = ok("cctv", "org", "add", "dishub", "--city", "makassar", "--kind", "city",
                 "--name", "Dishub Kota Makassar", "--update", url=world)  # fmt: skip
    assert changed.stdout == "Organisation dishub (city, makassar) updated.\n"
    assert "Dishub Kota Makassar" in ok("cctv", "org", "list", url=world).stdout


def test_accounts_are_listed_with_masked_names(world: str) -> None:
    result = ok("cctv", "account", "list", "--org", "polrestabes", url=world)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "ORGANISATION", "ROLE", "STATE", "KEY", "NAME"]
    assert lines[1].split() == ["polrestabes.admin-01", "polrestabes", "admin", "active", "-",
                                "C***", "D***"]  # fmt: skip
    assert [line.split()[0] for line in lines[1:]] == [
        "polrestabes.admin-01", "polrestabes.propam-01", "polrestabes.reskrim-01"
    ]  # fmt: skip
    everyone = ok("cctv", "account", "list", url=world).stdout
    as_json = ok("cctv", "account", "list", "--json", url=world).stdout
    for name in ("Andi", "Nurhaliza", "Budi Santoso", "Citra", "Lestari"):
        assert name not in everyone
        assert name not in as_json
    first = json.loads(as_json)[0]
    assert first == {
        "id": "diskominfo.admin-01",
        "organisation": "diskominfo",
        "role": "admin",
        "name": "A*** N***",
        "key_id": None,
        "active": True,
    }


def test_adding_an_account_does_not_echo_the_name(url: str) -> None:
    ok("cctv", "org", "add", "diskominfo", "--city", "makassar", "--kind", "city",
       "--name", "Diskominfo", url=url)  # fmt: skip
    added = ok("cctv", "account", "add", "diskominfo.admin-01", "--org", "diskominfo",
               "--role", "admin", "--name", "Andi Nurhaliza", url=url)  # fmt: skip
    assert added.output == "Account diskominfo.admin-01 (admin) added to diskominfo.\n"


def test_an_account_is_disabled_and_enabled(world: str) -> None:
    add_agreement(world)
    check = ("cctv", "check", "polrestabes.reskrim-01", "MKS-0001", "live", "--db", world)
    assert run(*check).exit_code == 0
    disabled = ok("cctv", "account", "disable", "polrestabes.reskrim-01", url=world)
    assert disabled.stdout == "Account polrestabes.reskrim-01 is disabled.\n"
    denied = run(*check)
    assert denied.exit_code == 1
    assert denied.stdout == "DENIED: account polrestabes.reskrim-01 is disabled\n"
    listed = ok("cctv", "account", "list", "--org", "polrestabes", url=world).stdout
    assert ["polrestabes.reskrim-01", "polrestabes", "viewer", "disabled", "-", "B***", "S***"] in [
        line.split() for line in listed.splitlines()
    ]
    ok("cctv", "account", "enable", "polrestabes.reskrim-01", url=world)
    assert run(*check).exit_code == 0
    unknown = run("cctv", "account", "disable", "nobody", "--db", world)
    assert (unknown.exit_code, unknown.stderr) == (2, "Error: no account nobody\n")


def test_an_account_gets_an_existing_api_key(world: str, database: Database) -> None:
    created = ok("keys", "create", "--name", "Reskrim Polrestabes", "--role", "auditor", url=world)
    assert created.exit_code == 0
    (key,) = ApiKeys(database).list()
    added = ok("cctv", "account", "add", "polrestabes.reskrim-02", "--org", "polrestabes",
               "--role", "viewer", "--name", "Fajar Nugroho", "--key-id", key.key_id,
               url=world)  # fmt: skip
    assert "added to polrestabes" in added.stdout
    assert AccessPolicy(database).account_for_key(key.key_id) is not None
    listed = ok("cctv", "account", "list", "--org", "polrestabes", url=world).stdout
    assert ["polrestabes.reskrim-02", "polrestabes", "viewer", "active", key.key_id, "F***",
            "N***"] in [line.split() for line in listed.splitlines()]  # fmt: skip
    before = head(database)
    taken = run("cctv", "account", "add", "polrestabes.reskrim-03", "--org", "polrestabes",
                "--role", "viewer", "--name", "Gita", "--key-id", key.key_id,
                "--db", world)  # fmt: skip
    assert taken.exit_code == 2
    assert taken.stderr == f"Error: API key {key.key_id} already belongs to an account\n"
    unknown = run("cctv", "account", "add", "polrestabes.reskrim-03", "--org", "polrestabes",
                  "--role", "viewer", "--name", "Gita", "--key-id", "sck_000000000000",
                  "--db", world)  # fmt: skip
    assert unknown.exit_code == 2
    assert unknown.stderr.startswith("Error: there is no API key sck_000000000000")
    assert head(database) == before


# --- agreements -----------------------------------------------------------------------------


def test_an_agreement_is_added_listed_and_revoked(world: str, database: Database) -> None:
    added = add_agreement(world)
    assert added.stdout == (
        "Agreement PKS-2026-007 added: diskominfo shares cameras MKS-0001,MKS-0003 with "
        f"polrestabes (live,snapshot) from {days_ago(30)}T00:00+08:00 until revoked.\n"
    )
    lines = ok("cctv", "agreement", "list", url=world).stdout.splitlines()
    assert lines[0].split() == ["ID", "OWNER", "GRANTEE", "RIGHTS", "FROM", "UNTIL", "STATE",
                                "SCOPE"]  # fmt: skip
    assert lines[1].split() == ["PKS-2026-007", "diskominfo", "polrestabes", "live,snapshot",
                                f"{days_ago(30)}T00:00+08:00", "-", "in", "force", "cameras",
                                "MKS-0001,MKS-0003"]  # fmt: skip
    (as_json,) = json.loads(ok("cctv", "agreement", "list", "--json", url=world).stdout)
    midnight = dt.datetime.fromisoformat(f"{days_ago(30)}T00:00+08:00")
    assert as_json["valid_from"] == midnight.astimezone(dt.UTC).isoformat()
    assert as_json["scope"]["cameras"] == ["MKS-0001", "MKS-0003"]
    assert (as_json["rights"], as_json["state"]) == (["live", "snapshot"], "in force")

    live = ("cctv", "check", "polrestabes.reskrim-01", "MKS-0001", "live", "--db", world)
    allowed = run(*live)
    assert (allowed.exit_code, allowed.stdout) == (
        0,
        "ALLOWED: agreement PKS-2026-007 (PKS 007/2026 Diskominfo-Polrestabes) covers live\n",
    )
    export = run("cctv", "check", "polrestabes.reskrim-01", "MKS-0001", "export", "--db", world)
    assert export.exit_code == 1
    assert export.stdout.startswith("DENIED: no agreement or grant in force gives polrestabes")
    assert "agreement PKS-2026-007 does not include export" in export.stdout
    elsewhere = run("cctv", "check", "polrestabes.reskrim-01", "MKS-0002", "live", "--db", world)
    assert elsewhere.exit_code == 1

    before = head(database)
    revoked = ok("cctv", "agreement", "revoke", "PKS-2026-007", "--by", "polrestabes.admin-01",
                 "--reason", "PKS diganti", url=world)  # fmt: skip
    assert revoked.stdout == "Agreement PKS-2026-007 is revoked.\n"
    assert head(database) != before
    after = run(*live)
    assert after.exit_code == 1
    assert "agreement PKS-2026-007 was revoked" in after.stdout
    assert ok("cctv", "agreement", "list", "--in-force", url=world).stdout.count("\n") == 1
    assert "revoked" in ok("cctv", "agreement", "list", "--org", "polrestabes", url=world).stdout
    assert ok("cctv", "agreement", "list", "--org", "dishub", url=world).stdout.count("\n") == 1
    again = ok("cctv", "agreement", "revoke", "PKS-2026-007", "--by", "diskominfo.admin-01",
               "--reason", "again", url=world)  # fmt: skip
    assert again.stdout.startswith("Agreement PKS-2026-007 was already revoked at ")
    assert again.stdout.rstrip().endswith("by polrestabes.admin-01.")


def test_an_agreement_with_an_end_and_a_wider_scope(world: str) -> None:
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat(timespec="seconds")
    ok("cctv", "agreement", "add", "PKS-2026-008", "--owner", "diskominfo",
       "--grantee", "polsek-tamalate", "--by", "diskominfo.admin-01",
       "--legal-basis", "MoU 2026", "--rights", "live, playback", "--districts", "73.71.10",
       "--purposes", "traffic", "--from", "2026-01-01T00:00Z", "--until", until,
       url=world)  # fmt: skip
    (found,) = json.loads(ok("cctv", "agreement", "list", "--json", url=world).stdout)
    assert found["scope"]["districts"] == ["73.71.10"]
    assert found["scope"]["purposes"] == ["traffic"]
    assert found["rights"] == ["live", "playback"]
    assert found["valid_from"] == "2026-01-01T00:00:00+00:00"
    assert found["valid_until"] == dt.datetime.fromisoformat(until).isoformat()
    assert run("cctv", "check", "polsek-tamalate.reskrim-01", "MKS-0002", "playback",
               "--db", world).exit_code == 0  # fmt: skip
    # Before it started, and after it ends.
    for at in ("2025-12-31T23:00Z", "2099-01-01"):
        early = run("cctv", "check", "polsek-tamalate.reskrim-01", "MKS-0002", "live",
                    "--at", at, "--db", world)  # fmt: skip
        assert early.exit_code == 1, early.output
        assert "agreement PKS-2026-008 " in early.stdout


def test_a_date_alone_is_midnight_in_the_city(world: str) -> None:
    add_agreement(world)
    start = f"{days_ago(30)}T00:00+08:00"
    # 23:30 WITA the evening before is outside, midnight WITA inside.
    day_before = dt.datetime.fromisoformat(start) - dt.timedelta(minutes=30)
    before = run("cctv", "check", "polrestabes.reskrim-01", "MKS-0001", "live",
                 "--at", day_before.isoformat(), "--db", world)  # fmt: skip
    assert before.exit_code == 1
    at_start = run("cctv", "check", "polrestabes.reskrim-01", "MKS-0001", "live",
                   "--at", days_ago(30), "--db", world)  # fmt: skip
    assert at_start.exit_code == 0, at_start.output


# --- incident grants ------------------------------------------------------------------------


def test_a_grant_is_added_listed_and_revoked(world: str, database: Database) -> None:
    added = add_grant(world)
    assert added.stdout.startswith(
        f"Grant 1 added for case {CASE}: polsek-tamalate may use diskominfo's cameras "
        f"(300 m around {LOSARI[0]},{LOSARI[1]}) for live,playback,snapshot,export until "
    )
    (found,) = json.loads(ok("cctv", "grant", "list", "--json", url=world).stdout)
    assert found["id"] == 1
    assert found["center"] == {"lat": LOSARI[0], "lon": LOSARI[1]}
    assert found["footage_from"] == "2026-11-22T12:00:00+00:00"
    expires = dt.datetime.fromisoformat(found["expires_at"])
    granted = dt.datetime.fromisoformat(found["granted_at"])
    assert expires - granted == dt.timedelta(hours=72)
    assert found["state"] == "in force"
    lines = ok("cctv", "grant", "list", url=world).stdout.splitlines()
    assert lines[0].split() == ["N", "OWNER", "ORGANISATION", "RIGHTS", "EXPIRES", "STATE",
                                "COVERS", "CASE"]  # fmt: skip
    assert lines[1].split()[:4] == ["1", "diskominfo", "polsek-tamalate",
                                    "live,playback,snapshot,export"]  # fmt: skip
    assert lines[1].endswith(f"in force  300 m around {LOSARI[0]},{LOSARI[1]}  {CASE}")
    for args in (("--case", CASE), ("--org", "polsek-tamalate"), ("--in-force",)):
        assert ok("cctv", "grant", "list", *args, url=world).stdout == "\n".join(lines) + "\n"
    assert ok("cctv", "grant", "list", "--case", "LP/other", url=world).stdout.count("\n") == 1

    export = ("cctv", "check", "polsek-tamalate.reskrim-01", "MKS-0002", "export", "--db", world)
    allowed = run(*export)
    assert (allowed.exit_code, allowed.stdout) == (
        0,
        f"ALLOWED: incident grant 1 ({CASE}) covers export\n",
    )
    far = run("cctv", "check", "polsek-tamalate.reskrim-01", "MKS-0003", "export", "--db", world)
    assert far.exit_code == 1
    assert f"grant 1 ({CASE}) does not cover this camera" in far.stdout
    assert run(*export[:-2], "--grant", "1", "--db", world).exit_code == 0
    assert run(*export[:-2], "--grant", "2", "--db", world).exit_code == 1

    before = head(database)
    not_admin = run("cctv", "grant", "revoke", "1", "--by", "polsek-tamalate.reskrim-01",
                    "--reason", "selesai", "--db", world)  # fmt: skip
    assert not_admin.exit_code == 2
    assert not_admin.stderr.startswith("Error: only an active admin of diskominfo or ")
    assert head(database) == before
    revoked = ok("cctv", "grant", "revoke", "1", "--by", "diskominfo.admin-01",
                 "--reason", "Kasus selesai", url=world)  # fmt: skip
    assert revoked.stdout == f"Grant 1 ({CASE}) is revoked.\n"
    assert run(*export).exit_code == 1
    assert ok("cctv", "grant", "list", "--in-force", url=world).stdout.count("\n") == 1
    assert "revoked" in ok("cctv", "grant", "list", url=world).stdout
    missing = run("cctv", "grant", "revoke", "7", "--by", "diskominfo.admin-01",
                  "--reason", "x", "--db", world)  # fmt: skip
    assert (missing.exit_code, missing.stderr) == (2, "Error: no grant 7\n")


def test_a_grant_for_named_cameras_until_a_time(world: str) -> None:
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=5)).replace(microsecond=0)
    added = ok(
        "cctv", "grant", "add", "--case", CASE, "--reason", "Tawuran",
        "--owner", "diskominfo", "--org", "polrestabes",
        "--requested-by", "polrestabes.reskrim-01", "--approved-by", "diskominfo.admin-01",
        "--cameras", "MKS-0003", "--rights", "playback", "--footage-from", "2026-11-20",
        "--footage-until", "2026-11-21", "--until", until.isoformat(), url=world,
    )  # fmt: skip
    assert "(cameras MKS-0003) for playback until " in added.stdout
    (found,) = json.loads(ok("cctv", "grant", "list", "--json", url=world).stdout)
    assert found["center"] is None
    assert found["cameras"] == ["MKS-0003"]
    assert found["rights"] == ["playback"]
    assert found["footage_from"] == "2026-11-19T16:00:00+00:00"  # midnight WITA
    assert found["expires_at"] == until.isoformat()
    hours = ok(
        "cctv", "grant", "add", "--case", "LP/2", "--reason", "Tawuran",
        "--owner", "diskominfo", "--org", "polrestabes",
        "--requested-by", "polrestabes.reskrim-01", "--approved-by", "diskominfo.admin-01",
        "--cameras", "MKS-0003", "--footage-from", "2026-11-20",
        "--footage-until", "2026-11-21", "--hours", "2", url=world,
    )  # fmt: skip
    assert hours.stdout.startswith("Grant 2 added for case LP/2:")
    second = json.loads(ok("cctv", "grant", "list", "--case", "LP/2", "--json", url=world).stdout)
    span = dt.datetime.fromisoformat(second[0]["expires_at"]) - dt.datetime.fromisoformat(
        second[0]["granted_at"]
    )
    assert span == dt.timedelta(hours=2)


# --- errors ---------------------------------------------------------------------------------

GRANT = (
    "cctv", "grant", "add", "--case", CASE, "--reason", "Pencurian",
    "--owner", "diskominfo", "--org", "polsek-tamalate",
    "--requested-by", "polsek-tamalate.reskrim-01", "--approved-by", "diskominfo.admin-01",
    "--footage-from", "2026-11-22T20:00+08:00", "--footage-until", "2026-11-22T23:00+08:00",
)  # fmt: skip
TIME_HELP = (
    "must be an ISO 8601 date-time with an offset (2026-11-23T08:00+08:00, 2026-11-23T00:00Z) "
    "or a date (2026-11-23: midnight in the city's time zone)"
)
AGREEMENT = (
    "cctv", "agreement", "add", "PKS-9", "--grantee", "polrestabes",
    "--legal-basis", "PKS 9", "--from", "2026-01-01",
)  # fmt: skip


@pytest.mark.parametrize(
    ("args", "errors"),
    [
        pytest.param(
            (*AGREEMENT, "--owner", "diskominfo", "--by", "diskominfo.admin-01",
             "--rights", "live,fly", "--all-cameras"),
            ["rights: must be among live, playback, snapshot, export, ptz"],
            id="bad-rights",
        ),
        pytest.param(
            (*AGREEMENT, "--owner", "diskominfo", "--by", "diskominfo.admin-01",
             "--rights", "", "--all-cameras"),
            ["rights: must name at least one right"],
            id="no-rights",
        ),
        pytest.param(
            (*AGREEMENT, "--owner", "kominfo", "--by", "diskominfo.admin-01",
             "--rights", "live", "--all-cameras"),
            ["no organisation kominfo"],
            id="unknown-owner",
        ),
        pytest.param(
            ("cctv", "agreement", "add", "PKS-9", "--owner", "diskominfo",
             "--grantee", "polres", "--legal-basis", "PKS 9", "--from", "2026-01-01",
             "--by", "diskominfo.admin-01", "--rights", "live", "--all-cameras"),
            ["no organisation polres"],
            id="unknown-grantee",
        ),
        pytest.param(
            (*AGREEMENT, "--owner", "diskominfo", "--by", "diskominfo.operator-01",
             "--rights", "live", "--all-cameras"),
            [("only an active admin of diskominfo may make agreements for this; "
              "diskominfo.operator-01 is not one")],
            id="not-an-admin",
        ),
        pytest.param(
            (*AGREEMENT, "--owner", "diskominfo", "--by", "polrestabes.admin-01",
             "--rights", "live", "--all-cameras"),
            [("only an active admin of diskominfo may make agreements for this; "
              "polrestabes.admin-01 is not one")],
            id="admin-of-the-grantee",
        ),
        pytest.param(
            (*AGREEMENT, "--owner", "diskominfo", "--by", "diskominfo.admin-01",
             "--rights", "live"),
            ["scope: name cameras, sites, districts or purposes (or everything)"],
            id="no-scope",
        ),
        pytest.param(
            (*AGREEMENT, "--owner", "diskominfo", "--by", "diskominfo.admin-01",
             "--rights", "live", "--all-cameras", "--until", "2025-06-01"),
            ["valid_until: must be after valid_from"],
            id="ends-before-it-starts",
        ),
        pytest.param(
            (*AGREEMENT[:-2], "--from", "1 Januari 2026", "--owner", "diskominfo",
             "--by", "diskominfo.admin-01", "--rights", "live", "--all-cameras"),
            [f"--from: {TIME_HELP}"],
            id="bad-time",
        ),
        pytest.param(
            (*AGREEMENT[:-2], "--from", "2026-11-23T08:00", "--owner", "diskominfo",
             "--by", "diskominfo.admin-01", "--rights", "live", "--all-cameras"),
            [f"--from: {TIME_HELP}"],
            id="time-without-offset",
        ),
        pytest.param(
            (*AGREEMENT[:-2], "--from", "2026-02-30", "--owner", "diskominfo",
             "--by", "diskominfo.admin-01", "--rights", "live", "--all-cameras"),
            ["--from: 2026-02-30 is not a date"],
            id="not-a-date",
        ),
        pytest.param(
            (*GRANT, "--near=-5.14,119.41", "--rights", "live,watch"),
            ["rights: must be among live, playback, snapshot, export, ptz"],
            id="grant-bad-rights",
        ),
        pytest.param(
            (*GRANT, "--near", "Pantai Losari"),
            ["near: must be 'latitude,longitude'"],
            id="grant-bad-place",
        ),
        pytest.param(
            (*GRANT, "--near=-5.14,119.41", "--radius", "50000"),
            ["radius_m: must be whole metres from 1 to 5000"],
            id="grant-too-wide",
        ),
        pytest.param(
            GRANT,
            ["give the incident's place (--near LAT,LON) or the cameras (--cameras A,B)"],
            id="grant-nowhere",
        ),
        pytest.param(
            (*GRANT, "--cameras", "MKS-0101"),
            ["cameras: MKS-0101 is not a camera of diskominfo"],
            id="grant-camera-of-another-owner",
        ),
        pytest.param(
            (*GRANT, "--cameras", "MKS-0001", "--hours", "2", "--until", "2099-01-01"),
            ["give --hours or --until, not both"],
            id="grant-hours-and-until",
        ),
        pytest.param(
            (*GRANT, "--cameras", "MKS-0001", "--until", "2020-01-01"),
            ["expires_at: must be after granted_at"],
            id="grant-ends-in-the-past",
        ),
        pytest.param(
            (*GRANT[:3], "--case", CASE, "--reason", "Pencurian", "--owner", "diskominfo",
             "--org", "polsek-tamalate", "--requested-by", "polrestabes.reskrim-01",
             "--approved-by", "diskominfo.admin-01", "--cameras", "MKS-0001",
             "--footage-from", "2026-11-22", "--footage-until", "2026-11-23"),
            ["requested_by: must be an active viewer or admin of polsek-tamalate"],
            id="grant-requested-by-another-org",
        ),
        pytest.param(
            (*GRANT[:3], "--case", CASE, "--reason", "Pencurian", "--owner", "diskominfo",
             "--org", "polsek-tamalate", "--requested-by", "polsek-tamalate.reskrim-01",
             "--approved-by", "polrestabes.admin-01", "--cameras", "MKS-0001",
             "--footage-from", "2026-11-22", "--footage-until", "2026-11-23"),
            [("only an active admin of diskominfo may approve grants for this; "
              "polrestabes.admin-01 is not one")],
            id="grant-approved-by-another-org",
        ),
        pytest.param(
            (*GRANT, "--cameras", "MKS-0001", "--footage-until", "2026-11-22T19:00+08:00"),
            ["footage_until: must be after footage_from"],
            id="grant-footage-backwards",
        ),
        pytest.param(
            ("cctv", "account", "add", "x.01", "--org", "kominfo", "--role", "viewer",
             "--name", "Andi"),
            ["organisation: there is no organisation kominfo"],
            id="account-of-unknown-org",
        ),
        pytest.param(
            ("cctv", "account", "add", "polrestabes.reskrim-01", "--org", "polrestabes",
             "--role", "viewer", "--name", "Andi"),
            ["account polrestabes.reskrim-01 already exists"],
            id="account-exists",
        ),
        pytest.param(
            ("cctv", "account", "add", "Andi Nurhaliza", "--org", "polrestabes",
             "--role", "viewer", "--name", "  "),
            ["id: must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
             ],
            id="account-bad-id",
        ),
        pytest.param(
            ("cctv", "agreement", "revoke", "PKS-404", "--by", "diskominfo.admin-01",
             "--reason", "x"),
            ["no agreement PKS-404"],
            id="revoke-unknown-agreement",
        ),
        pytest.param(
            ("cctv", "check", "polrestabes.reskrim-01", "MKS-0404", "live"),
            ["no camera MKS-0404"],
            id="check-unknown-camera",
        ),
        pytest.param(
            ("cctv", "check", "polrestabes.reskrim-01", "MKS-0001", "live", "--at", "kemarin"),
            [f"--at: {TIME_HELP}"],
            id="check-bad-time",
        ),
        pytest.param(
            ("cctv", "access-report"),
            ["give at least one of --camera, --org, --incident or --account"],
            id="report-without-filter",
        ),
        pytest.param(
            ("cctv", "access-report", "--camera", "MKS-0001", "--since", "yesterday"),
            [f"--since: {TIME_HELP}"],
            id="report-bad-time",
        ),
        pytest.param(
            ("cctv", "access-report", "--account", "nobody", "--since", "2026-11-01"),
            [("--since: 2026-11-01 is a date, and no city is known here; give a date-time "
              "with an offset, such as 2026-11-01T00:00+08:00")],
            id="report-date-without-city",
        ),
        pytest.param(
            ("cctv", "access-report", "--camera", "MKS-0001", "--until", "9999-01-01T00:00Z"),
            ["--until: must be between 1900 and 2999"],
            id="report-far-future",
        ),
    ],
)  # fmt: skip
def test_errors_are_one_line_each_and_change_nothing(
    args: tuple[str, ...], errors: list[str], world: str, database: Database
) -> None:
    before = head(database)
    result = run(*args, "--db", world)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [f"Error: {e}" for e in errors]
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert head(database) == before


def test_an_organisation_outside_the_built_in_cities_needs_offsets(world: str) -> None:
    ok("cctv", "org", "add", "dishub-gowa", "--city", "gowa", "--kind", "city",
       "--name", "Dishub Gowa", url=world)  # fmt: skip
    ok("cctv", "account", "add", "dishub-gowa.admin-01", "--org", "dishub-gowa",
       "--role", "admin", "--name", "Hasan", url=world)  # fmt: skip
    base = ("cctv", "agreement", "add", "PKS-G1", "--owner", "dishub-gowa",
            "--grantee", "polrestabes", "--by", "dishub-gowa.admin-01", "--legal-basis", "PKS",
            "--rights", "live", "--all-cameras")  # fmt: skip
    dated = run(*base, "--from", "2026-01-01", "--db", world)
    assert dated.exit_code == 2
    assert dated.stderr == (
        "Error: --from: 2026-01-01 is a date, and city gowa has no known time zone; give a "
        "date-time with an offset, such as 2026-01-01T00:00+08:00\n"
    )
    added = ok(*base, "--from", "2026-01-01T00:00+08:00", url=world)
    assert "from 2025-12-31T16:00+00:00 until revoked" in added.stdout  # shown in UTC


def test_a_missing_database_is_one_line() -> None:
    result = run("cctv", "org", "list", "--db", "sqlite:///does-not-exist/city.db")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.splitlines()) == 1


# --- the access report ----------------------------------------------------------------------


@pytest.fixture
def decisions(world: str, database: Database) -> AccessPolicy:
    """An agreement, a grant, and decisions recorded by the library as the web API records them."""
    add_agreement(world)
    add_grant(world)
    policy = AccessPolicy(database)
    policy.stream_uri("polrestabes.reskrim-01", "MKS-0001")  # agreement: seq n
    policy.authorize("polrestabes.reskrim-01", "MKS-0001", "export")  # denied
    policy.authorize("polsek-tamalate.reskrim-01", "MKS-0002", "export")  # grant 1
    policy.authorize("polsek-tamalate.reskrim-01", "MKS-0003", "live")  # denied: too far
    policy.authorize("diskominfo.operator-01", "MKS-0001", "ptz")  # owner
    policy.authorize("polrestabes.propam-01", "MKS-0001", "live")  # auditor: denied
    return policy


def report(url: str, *args: str) -> list[list[str]]:
    result = ok("cctv", "access-report", *args, url=url)
    return [line.split() for line in result.stdout.splitlines()]


def test_the_access_report_by_camera(decisions: AccessPolicy, world: str) -> None:
    records = decisions.access_report(camera="MKS-0001")
    first = records[0].audit_seq
    lines = report(world, "--camera", "MKS-0001")
    assert lines[0] == ["TIME", "(UTC)", "ACCOUNT", "ORGANISATION", "CAMERA", "RIGHT",
                        "DECISION", "BASIS", "AUDIT", "SEQ"]  # fmt: skip
    rows = [line[2:] for line in lines[1:-1]]  # without the date and the time
    assert rows == [
        ["polrestabes.reskrim-01", "polrestabes", "MKS-0001", "live", "ALLOWED", "PKS-2026-007",
         str(first)],
        ["polrestabes.reskrim-01", "polrestabes", "MKS-0001", "export", "DENIED", "-",
         str(first + 1)],
        ["diskominfo.operator-01", "diskominfo", "MKS-0001", "ptz", "ALLOWED", "owner",
         str(first + 4)],
        ["polrestabes.propam-01", "polrestabes", "MKS-0001", "live", "DENIED", "-",
         str(first + 5)],
    ]  # fmt: skip
    assert lines[-1] == ["4", "decision(s):", "2", "allowed,", "2", "denied"]
    stamp = " ".join(lines[1][:2])
    assert stamp == f"{records[0].at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}Z"
    denied = report(world, "--camera", "MKS-0001", "--denied-only")
    assert [line[5] for line in denied[1:-1]] == ["export", "live"]
    assert denied[-1] == ["2", "decision(s):", "0", "allowed,", "2", "denied"]


@pytest.mark.usefixtures("decisions")
def test_the_access_report_by_organisation_incident_and_account(world: str) -> None:
    police = report(world, "--org", "polrestabes")
    assert [(line[3], line[4], line[5], line[6]) for line in police[1:-1]] == [
        ("polrestabes", "MKS-0001", "live", "ALLOWED"),
        ("polrestabes", "MKS-0001", "export", "DENIED"),
        ("polrestabes", "MKS-0001", "live", "DENIED"),
    ]
    by_number = report(world, "--incident", "1")
    by_case = report(world, "--incident", CASE)
    assert by_number == by_case
    (row,) = by_number[1:-1]
    assert row[2:9] == ["polsek-tamalate.reskrim-01", "polsek-tamalate", "MKS-0002", "export",
                        "ALLOWED", "grant", "1"]  # fmt: skip
    assert row[9] == f"({CASE})"
    assert by_number[-1] == ["1", "decision(s):", "1", "allowed,", "0", "denied"]
    tamalate = report(world, "--account", "polsek-tamalate.reskrim-01")
    assert [line[4] for line in tamalate[1:-1]] == ["MKS-0002", "MKS-0003"]
    both = report(world, "--account", "polsek-tamalate.reskrim-01", "--camera", "MKS-0003")
    assert both[-1] == ["1", "decision(s):", "0", "allowed,", "1", "denied"]
    nothing = report(world, "--incident", "99999999999")
    assert nothing[-1] == ["0", "decision(s):", "0", "allowed,", "0", "denied"]
    assert len(nothing) == 2  # the header and the summary


def test_the_access_report_between_times(decisions: AccessPolicy, world: str) -> None:
    today = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    tomorrow = today + dt.timedelta(days=1)
    everything = report(world, "--camera", "MKS-0001", "--since", today.isoformat(),
                        "--until", tomorrow.isoformat())  # fmt: skip
    assert everything[-1][0] == "4"
    later = report(world, "--org", "polrestabes", "--since", tomorrow.isoformat())
    assert later[-1][0] == "0"
    (last,) = decisions.access_report(camera="MKS-0001")[-1:]
    since = last.at.isoformat()
    assert report(world, "--camera", "MKS-0001", "--since", since)[-1][0] == "1"
    assert report(world, "--camera", "MKS-0001", "--until", since)[-1][0] == "3"
    by_case = report(world, "--incident", CASE, "--since", today.isoformat())
    assert by_case[-1][0] == "1"


def test_the_access_report_as_json(decisions: AccessPolicy, world: str) -> None:
    result = ok("cctv", "access-report", "--incident", "1", "--json", url=world)
    (record,) = json.loads(result.stdout)
    (expected,) = decisions.access_report(incident=1)
    assert record == {
        "audit_seq": expected.audit_seq,
        "at": expected.at.isoformat(),
        "account": "polsek-tamalate.reskrim-01",
        "organisation": "polsek-tamalate",
        "camera": "MKS-0002",
        "right": "export",
        "allowed": True,
        "basis": "grant",
        "agreement": None,
        "grant": 1,
        "case_number": CASE,
        "reason": f"incident grant 1 ({CASE}) covers export",
    }
    args = ("cctv", "access-report", "--org", "polrestabes", "--denied-only", "--json")
    denied = json.loads(ok(*args, url=world).stdout)
    assert [r["reason"] for r in denied][1] == (
        "auditor accounts read access reports; they do not use cameras"
    )
    assert all(r["allowed"] is False and r["basis"] is None for r in denied)


def test_checks_and_reports_record_nothing(decisions: AccessPolicy, world: str) -> None:
    database = Database(world)
    try:
        before = head(database)
        run("cctv", "check", "polrestabes.reskrim-01", "MKS-0001", "live", "--db", world)
        run("cctv", "check", "polrestabes.reskrim-01", "MKS-0001", "ptz", "--db", world)
        report(world, "--camera", "MKS-0001")
        ok("cctv", "access-report", "--org", "polrestabes", "--json", url=world)
        assert head(database) == before
    finally:
        database.dispose()
    assert len(decisions.access_report(camera="MKS-0001")) == 4


def test_help_on_every_command() -> None:
    commands = [
        ("org", "add"), ("org", "list"), ("account", "add"), ("account", "list"),
        ("account", "disable"), ("account", "enable"), ("agreement", "add"),
        ("agreement", "list"), ("agreement", "revoke"), ("grant", "add"), ("grant", "list"),
        ("grant", "revoke"), ("check",), ("access-report",),
    ]  # fmt: skip
    top = run("cctv", "--help")
    assert top.exit_code == 0
    for command in commands:
        result = run("cctv", *command, "--help")
        assert result.exit_code == 0, result.output
        assert "Usage: " in result.stdout
        assert "--db URL" in result.stdout
