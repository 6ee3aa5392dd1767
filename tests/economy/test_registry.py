"""The registry of enterprises and members: what a city office relies on."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import assume, given

from smartcity_kit.core import Address, FixedClock, Nib, Nik, RegionCode, mask_name
from smartcity_kit.economy import (
    Account,
    Books,
    ChartOfAccounts,
    Enterprise,
    EnterpriseRegistry,
    EnterpriseStatus,
    LegalForm,
    Member,
    MemberRole,
    Sector,
)
from smartcity_kit.errors import ConflictError, NotFoundError, ValidationError
from smartcity_kit.storage import AuditLog, Database, upgrade
from smartcity_kit.testing import strategies as city_st

CLOCK = FixedClock(dt.datetime(2026, 3, 1, 1, 0, tzinfo=dt.UTC))
ACTOR = "opd:dkukm/admin"
MARICAYA = RegionCode("73.71.03.1001")  # Kel. Maricaya, Kec. Makassar
FOUNDED = dt.date(2017, 8, 17)
NIK_A = Nik("7371105508950001")
NIK_B = Nik("7371104101900002")


def bulo(enterprise_id: str = "mks-maricaya-01", /, **changes: object) -> Enterprise:
    values: dict[str, object] = {
        "id": enterprise_id,
        "city": "makassar",
        "name": "BULo Lorong Sehati",
        "address": Address(village=MARICAYA, lorong="Lorong 3", rt=3, rw=5),
        "sector": Sector.PROCESSED_FOOD,
        "legal_form": LegalForm.COOPERATIVE,
        "founded": FOUNDED,
    } | changes
    return Enterprise(**values)  # type: ignore[arg-type]


def table_count(db: Database, table: str) -> int:
    with db.reading() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


@pytest.fixture
def registry(db: Database) -> EnterpriseRegistry:
    return EnterpriseRegistry(db, CLOCK)


# --- enterprises -------------------------------------------------------------------------------


def test_register_stores_the_enterprise_with_the_sak_emkm_chart(
    registry: EnterpriseRegistry, db: Database
) -> None:
    enterprise = bulo(nib=Nib("1234567890123"), mentor_agency="Kecamatan Makassar")
    assert registry.register(enterprise, actor=ACTOR) == enterprise
    assert registry.get(enterprise.id) == enterprise
    chart = Books(db).chart(enterprise.id)
    assert chart == ChartOfAccounts.sak_emkm()
    assert len(chart.accounts) == 38
    [entry] = AuditLog(db).entries(subject=f"enterprise:{enterprise.id}")
    assert entry.action == "economy.enterprise.registered"
    assert entry.actor == ACTOR
    assert entry.details == {
        "city": "makassar",
        "district": "73.71.03",
        "sector": "processed_food",
        "legal_form": "cooperative",
    }


def test_register_with_a_chart_of_its_own(registry: EnterpriseRegistry, db: Database) -> None:
    chart = ChartOfAccounts.sak_emkm().with_account(Account("4104", "Penjualan sirup markisa"))
    registry.register(bulo(), actor=ACTOR, chart=chart)
    assert Books(db).chart("mks-maricaya-01") == chart


def test_a_taken_id_is_a_conflict_and_changes_nothing(
    registry: EnterpriseRegistry, db: Database
) -> None:
    registry.register(bulo(), actor=ACTOR)
    head = AuditLog(db).head_seq()
    accounts = table_count(db, "economy_accounts")
    with pytest.raises(ConflictError, match="'mks-maricaya-01' already exists"):
        registry.register(bulo(name="BULo Lain", sector=Sector.CRAFTS), actor=ACTOR)
    assert registry.get("mks-maricaya-01").name == "BULo Lorong Sehati"
    assert AuditLog(db).head_seq() == head
    assert table_count(db, "economy_accounts") == accounts


def test_register_refuses_what_is_not_an_enterprise(registry: EnterpriseRegistry) -> None:
    with pytest.raises(ValidationError) as error:
        registry.register({"id": "mks-maricaya-01"}, actor=ACTOR)  # type: ignore[arg-type]
    assert error.value.fields == ("enterprise",)


def test_an_unknown_enterprise_is_not_found(registry: EnterpriseRegistry) -> None:
    with pytest.raises(NotFoundError, match="no enterprise 'mks-nowhere-01'"):
        registry.get("mks-nowhere-01")
    with pytest.raises(NotFoundError):
        registry.update(bulo("mks-nowhere-01"), actor=ACTOR)
    with pytest.raises(NotFoundError):
        registry.members("mks-nowhere-01")
    with pytest.raises(NotFoundError):
        registry.add_member("mks-nowhere-01", name="Andi", joined=FOUNDED, actor=ACTOR)


def test_enterprises_filters(registry: EnterpriseRegistry) -> None:
    tamalate = RegionCode("73.71.01.1001")
    registry.register(bulo("mks-a-01"), actor=ACTOR)
    registry.register(bulo("mks-b-01", sector=Sector.CRAFTS), actor=ACTOR)
    registry.register(
        bulo("mks-c-01", address=Address(village=tamalate, lorong="Lorong 1")), actor=ACTOR
    )
    registry.register(
        bulo(
            "bau-a-01",
            city="baubau",
            address=Address(village=RegionCode("74.72.02.1001"), lorong="Lorong Wale"),
            sector=Sector.WASTE_BANK,
            status="dormant",
        ),
        actor=ACTOR,
    )

    def ids(**filters: object) -> list[str]:
        return [e.id for e in registry.enterprises(**filters)]  # type: ignore[arg-type]

    assert ids() == ["bau-a-01", "mks-a-01", "mks-b-01", "mks-c-01"]
    assert ids(city="makassar") == ["mks-a-01", "mks-b-01", "mks-c-01"]
    assert ids(city="baubau") == ["bau-a-01"]
    assert ids(district=RegionCode("73.71.03")) == ["mks-a-01", "mks-b-01"]
    assert ids(district="74.72.02") == ["bau-a-01"]
    assert ids(district="73.71.01") == ["mks-c-01"]
    assert ids(sector=Sector.CRAFTS) == ["mks-b-01"]
    assert ids(sector="processed_food") == ["mks-a-01", "mks-c-01"]
    assert ids(status=EnterpriseStatus.DORMANT) == ["bau-a-01"]
    assert ids(status="active", city="makassar", sector="processed_food") == [
        "mks-a-01",
        "mks-c-01",
    ]
    assert ids(city="tual") == []


def test_update_and_set_status(registry: EnterpriseRegistry, db: Database) -> None:
    registry.register(bulo(), actor=ACTOR)
    renamed = bulo(name="BULo Sehati Jaya", mentor_agency="Dinas Koperasi dan UKM")
    registry.update(renamed, actor=ACTOR)
    assert registry.get(renamed.id) == renamed
    dissolved = registry.set_status(renamed.id, EnterpriseStatus.DISSOLVED, actor=ACTOR)
    assert dissolved.status is EnterpriseStatus.DISSOLVED
    assert registry.get(renamed.id) == attrs.evolve(renamed, status=EnterpriseStatus.DISSOLVED)
    actions = [e.action for e in AuditLog(db).entries(subject=f"enterprise:{renamed.id}")]
    assert actions == [
        "economy.enterprise.registered",
        "economy.enterprise.updated",
        "economy.enterprise.updated",
    ]


# --- members -----------------------------------------------------------------------------------


def test_members_are_numbered_1_2_3_within_each_enterprise(
    registry: EnterpriseRegistry, db: Database
) -> None:
    registry.register(bulo("mks-a-01"), actor=ACTOR)
    registry.register(bulo("mks-b-01"), actor=ACTOR)
    numbers = [
        registry.add_member("mks-a-01", name=name, joined=FOUNDED, actor=ACTOR).number
        for name in ("Andi Nurhaliza", "Budi Santoso", "Citra Lestari")
    ]
    assert numbers == [1, 2, 3]
    assert registry.add_member("mks-b-01", name="Dewi", joined=FOUNDED, actor=ACTOR).number == 1
    assert [m.number for m in registry.members("mks-a-01")] == [1, 2, 3]
    assert registry.member("mks-a-01", 2).name == "Budi Santoso"
    [entry] = AuditLog(db).entries(subject="member:mks-a-01/2")
    assert entry.action == "economy.member.joined"
    assert entry.details == {"role": "member", "joined": "2017-08-17"}


def test_add_member_stores_every_field(registry: EnterpriseRegistry) -> None:
    registry.register(bulo(), actor=ACTOR)
    added = registry.add_member(
        "mks-maricaya-01",
        name="Andi Nurhaliza",
        nik=NIK_A,
        joined=dt.date(2020, 1, 6),
        role="treasurer",
        actor=ACTOR,
    )
    assert added == Member(
        enterprise="mks-maricaya-01",
        number=1,
        name="Andi Nurhaliza",
        nik=NIK_A,
        joined=dt.date(2020, 1, 6),
        role=MemberRole.TREASURER,
    )
    assert registry.member("mks-maricaya-01", 1) == added


def test_a_nik_twice_in_one_enterprise_is_a_conflict_showing_it_masked(
    registry: EnterpriseRegistry, db: Database
) -> None:
    registry.register(bulo("mks-a-01"), actor=ACTOR)
    registry.register(bulo("mks-b-01"), actor=ACTOR)
    registry.add_member("mks-a-01", name="Andi", nik=NIK_A, joined=FOUNDED, actor=ACTOR)
    head = AuditLog(db).head_seq()
    with pytest.raises(ConflictError) as error:
        registry.add_member("mks-a-01", name="Andi N", nik=NIK_A, joined=FOUNDED, actor=ACTOR)
    message = str(error.value)
    assert NIK_A.masked() in message
    assert NIK_A.reveal() not in message
    assert "member 1" in message
    assert AuditLog(db).head_seq() == head
    assert len(registry.members("mks-a-01")) == 1
    # The next member still gets number 2, and the NIK may belong to another enterprise.
    assert registry.add_member("mks-a-01", name="Budi", joined=FOUNDED, actor=ACTOR).number == 2
    other = registry.add_member("mks-b-01", name="Andi", nik=NIK_A, joined=FOUNDED, actor=ACTOR)
    assert other.number == 1


def test_joining_before_the_founding_is_refused(registry: EnterpriseRegistry, db: Database) -> None:
    registry.register(bulo(), actor=ACTOR)
    head = AuditLog(db).head_seq()
    with pytest.raises(ValidationError, match="2017-08-17") as error:
        registry.add_member(
            "mks-maricaya-01", name="Andi", joined=FOUNDED - dt.timedelta(days=1), actor=ACTOR
        )
    assert error.value.fields == ("joined",)
    assert registry.members("mks-maricaya-01") == []
    assert AuditLog(db).head_seq() == head


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"joined": "2020-01-01"}, "joined"),
        ({"nik": "7371105508950001"}, "nik"),
    ],
)
def test_add_member_checks_fields(
    registry: EnterpriseRegistry, db: Database, kwargs: dict[str, object], field: str
) -> None:
    registry.register(bulo(), actor=ACTOR)
    values: dict[str, object] = {"name": "Andi", "joined": FOUNDED} | kwargs
    head = AuditLog(db).head_seq()
    with pytest.raises(ValidationError) as error:
        registry.add_member("mks-maricaya-01", actor=ACTOR, **values)  # type: ignore[arg-type]
    assert error.value.fields == (field,)
    assert "7371105508950001" not in str(error.value)
    assert AuditLog(db).head_seq() == head


def test_change_member_role_and_leaving(registry: EnterpriseRegistry, db: Database) -> None:
    registry.register(bulo(), actor=ACTOR)
    registry.add_member("mks-maricaya-01", name="Andi", joined=dt.date(2020, 1, 6), actor=ACTOR)
    registry.add_member("mks-maricaya-01", name="Budi", joined=dt.date(2021, 1, 6), actor=ACTOR)
    chair = registry.change_member("mks-maricaya-01", 1, role="chair", actor=ACTOR)
    assert (chair.role, chair.left) == (MemberRole.CHAIR, None)
    left = registry.change_member("mks-maricaya-01", 1, left=dt.date(2025, 6, 30), actor=ACTOR)
    assert (left.role, left.left) == (MemberRole.CHAIR, dt.date(2025, 6, 30))
    assert registry.member("mks-maricaya-01", 1) == left
    on = registry.members
    assert [m.number for m in on("mks-maricaya-01", active_on=dt.date(2020, 6, 1))] == [1]
    assert [m.number for m in on("mks-maricaya-01", active_on=dt.date(2025, 6, 30))] == [1, 2]
    assert [m.number for m in on("mks-maricaya-01", active_on=dt.date(2025, 7, 1))] == [2]
    details = [e.details for e in AuditLog(db).entries(action="economy.member.changed")]
    assert details == [{"role": "chair"}, {"role": "chair", "left": "2025-06-30"}]


def test_change_member_refuses_leaving_before_joining(
    registry: EnterpriseRegistry, db: Database
) -> None:
    registry.register(bulo(), actor=ACTOR)
    registry.add_member("mks-maricaya-01", name="Andi", joined=dt.date(2020, 1, 6), actor=ACTOR)
    head = AuditLog(db).head_seq()
    with pytest.raises(ValidationError, match="joining date") as error:
        registry.change_member("mks-maricaya-01", 1, left=dt.date(2020, 1, 5), actor=ACTOR)
    assert error.value.fields == ("left",)
    assert registry.member("mks-maricaya-01", 1).left is None
    assert AuditLog(db).head_seq() == head


def test_an_unknown_member_is_not_found(registry: EnterpriseRegistry) -> None:
    registry.register(bulo(), actor=ACTOR)
    with pytest.raises(NotFoundError, match="no member 4"):
        registry.member("mks-maricaya-01", 4)
    with pytest.raises(NotFoundError, match="no member 4"):
        registry.change_member("mks-maricaya-01", 4, role="chair", actor=ACTOR)


def test_names_and_niks_stay_out_of_the_audit_log(
    registry: EnterpriseRegistry, db: Database
) -> None:
    registry.register(bulo(), actor=ACTOR)
    for name, nik in (("Andi Nurhaliza", NIK_A), ("Budi Santoso", NIK_B)):
        registry.add_member("mks-maricaya-01", name=name, nik=nik, joined=FOUNDED, actor=ACTOR)
    registry.change_member("mks-maricaya-01", 2, role="secretary", actor=ACTOR)
    text = "\n".join(
        f"{e.actor} {e.subject} {json.dumps(e.details, ensure_ascii=False)}"
        for e in AuditLog(db).entries()
    )
    for secret in ("Andi", "Nurhaliza", "Budi", "Santoso", NIK_A.reveal(), NIK_B.reveal()):
        assert secret not in text


# --- the models' validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": "X"}, "id"),
        ({"id": "Mks-Maricaya-01"}, "id"),
        ({"id": "mks maricaya"}, "id"),
        ({"id": "-mks-01"}, "id"),
        ({"id": "a" * 65}, "id"),
        ({"city": ""}, "city"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"address": "Lorong 3, Maricaya"}, "address"),
        ({"address": Address(village=MARICAYA)}, "address.lorong"),
        ({"founded": "2017-08-17"}, "founded"),
        ({"founded": dt.datetime(2017, 8, 17, tzinfo=dt.UTC)}, "founded"),
        ({"nib": "1234567890123"}, "nib"),
        ({"mentor_agency": ""}, "mentor_agency"),
    ],
)
def test_enterprise_validation_names_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        bulo(**changes)
    assert error.value.fields == (field,)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"sector": "bogus"}, "sector"), ({"legal_form": "pt"}, "legal_form")],
)
def test_enterprise_enum_fields_are_validation_errors(
    changes: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        bulo(**changes)
    assert error.value.fields == (field,)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"enterprise": "X"}, "id"),
        ({"number": -1}, "number"),
        ({"number": True}, "number"),
        ({"name": ""}, "name"),
        ({"nik": "7371105508950001"}, "nik"),
        ({"joined": None}, "joined"),
        ({"left": dt.date(2019, 12, 31)}, "left"),
        ({"left": "2021-01-01"}, "left"),
    ],
)
def test_member_validation_names_the_field(changes: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "enterprise": "mks-maricaya-01",
        "number": 1,
        "name": "Andi Nurhaliza",
        "nik": NIK_A,
        "joined": dt.date(2020, 1, 1),
    } | changes
    with pytest.raises(ValidationError) as error:
        Member(**values)  # type: ignore[arg-type]
    assert error.value.fields == (field,)
    assert "Nurhaliza" not in str(error.value)
    assert NIK_A.reveal() not in str(error.value)


def test_member_active_on() -> None:
    member = Member(
        enterprise="mks-maricaya-01",
        number=1,
        name="Andi",
        nik=None,
        joined=dt.date(2020, 1, 6),
        left=dt.date(2024, 12, 31),
    )
    assert not member.active_on(dt.date(2020, 1, 5))
    assert member.active_on(dt.date(2020, 1, 6))
    assert member.active_on(dt.date(2024, 12, 31))
    assert not member.active_on(dt.date(2025, 1, 1))


@given(city_st.person_names(), city_st.niks())
def test_member_repr_masks_the_name_and_nik(name: str, nik: Nik) -> None:
    member = Member(
        enterprise="mks-maricaya-01",
        number=12,
        name=name,
        nik=nik,
        joined=dt.date(2020, 1, 6),
        role=MemberRole.MEMBER,
    )
    shown = repr(member)
    assert f"name={mask_name(name)!r}" in shown
    assert f"nik=Nik({nik.masked()!r})" in shown
    assert nik.reveal() not in shown
    # The fixed text of the repr may hold a short name by chance ("Mem" in "Member").
    fixed = shown.replace(mask_name(name), "")
    assume(name not in fixed)
    assert name not in shown
    assert not any(word in mask_name(name) for word in name.split())


# --- drawn enterprises round-trip through the registry -----------------------------------------


@pytest.fixture(scope="module")
def memory_registry() -> Iterator[EnterpriseRegistry]:
    database = Database("sqlite://")
    upgrade(database)
    yield EnterpriseRegistry(database, CLOCK)
    database.dispose()


_SUFFIX = itertools.count()


@given(city_st.enterprises(within=RegionCode("73.71"), status=None))
def test_any_valid_enterprise_round_trips(
    memory_registry: EnterpriseRegistry, enterprise: Enterprise
) -> None:
    # One database for every example: a suffix keeps the ids apart.
    stored = attrs.evolve(enterprise, id=f"{enterprise.id[:50]}-{next(_SUFFIX)}")
    memory_registry.register(stored, actor=ACTOR)
    assert memory_registry.get(stored.id) == stored
    assert stored in memory_registry.enterprises(
        city=stored.city, district=stored.district, sector=stored.sector, status=stored.status
    )
