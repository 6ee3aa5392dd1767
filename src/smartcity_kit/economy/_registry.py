"""The registry of enterprises and their members (use case over the store)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from smartcity_kit.core import Address, Clock, Nib, Nik, RegionCode, SystemClock
from smartcity_kit.economy import _store as store
from smartcity_kit.economy._enterprises import (
    Enterprise,
    EnterpriseStatus,
    Member,
    MemberRole,
    Sector,
    choice,
)
from smartcity_kit.economy._ledger import ChartOfAccounts
from smartcity_kit.errors import ConflictError, NotFoundError, ValidationError
from smartcity_kit.storage import AuditLog, Database

# The QRIS sales table (``economy.qris._store``), named here without importing the QRIS
# package, which imports this module.
_QRIS_SALES = sa.table("economy_qris_sales", sa.column("enterprise_id"), sa.column("status"))

__all__ = ["EnterpriseRegistry", "enterprise_from_row", "member_from_row"]


def enterprise_from_row(row: RowMapping) -> Enterprise:
    """An :class:`Enterprise` from a row of ``economy_enterprises``."""
    return Enterprise(
        id=row["id"],
        city=row["city"],
        name=row["name"],
        address=Address(
            village=RegionCode(row["village"]),
            street=row["street"],
            lorong=row["lorong"],
            rt=row["rt"],
            rw=row["rw"],
            postal_code=row["postal_code"],
        ),
        sector=row["sector"],
        legal_form=row["legal_form"],
        founded=row["founded"],
        nib=Nib(row["nib"]) if row["nib"] else None,
        mentor_agency=row["mentor_agency"],
        status=row["status"],
    )


def member_from_row(row: RowMapping) -> Member:
    """A :class:`Member` from a row of ``economy_members``."""
    return Member(
        enterprise=row["enterprise"],
        number=row["number"],
        name=row["name"],
        nik=Nik(row["nik"]) if row["nik"] else None,
        joined=row["joined"],
        role=row["role"],
        left=row["left"],
    )


def _enterprise_values(enterprise: Enterprise) -> dict[str, Any]:
    address = enterprise.address
    return {
        "city": enterprise.city,
        "name": enterprise.name,
        "sector": str(enterprise.sector),
        "legal_form": str(enterprise.legal_form),
        "village": str(address.village),
        "district": str(address.district),
        "lorong": address.lorong,
        "street": address.street,
        "rt": address.rt,
        "rw": address.rw,
        "postal_code": address.postal_code,
        "founded": enterprise.founded,
        "nib": enterprise.nib.value if enterprise.nib else None,
        "mentor_agency": enterprise.mentor_agency,
        "status": str(enterprise.status),
    }


def _subject(enterprise_id: str) -> str:
    return f"enterprise:{enterprise_id}"


class EnterpriseRegistry:
    """Register neighbourhood enterprises (BULo) and their members.

    Every change is written to the audit log in the same transaction; names and NIKs never go
    there.

    >>> import datetime as dt
    >>> from smartcity_kit.core import Address, FixedClock, RegionCode
    >>> from smartcity_kit.storage import Database, upgrade
    >>> db = Database("sqlite://")
    >>> _ = upgrade(db)
    >>> registry = EnterpriseRegistry(db)
    >>> bulo = registry.register(
    ...     Enterprise(
    ...         id="mks-maricaya-01",
    ...         city="makassar",
    ...         name="BULo Lorong Sehati",
    ...         address=Address(village=RegionCode.parse("73.71.03.1001"), lorong="Lorong 3"),
    ...         sector="processed_food",
    ...         legal_form="cooperative",
    ...         founded=dt.date(2017, 8, 17),
    ...     ),
    ...     actor="opd:dkukm/admin",
    ... )
    >>> registry.add_member(
    ...     "mks-maricaya-01",
    ...     name="Andi Nurhaliza",
    ...     joined=dt.date(2017, 8, 17),
    ...     role="chair",
    ...     actor="opd:dkukm/admin",
    ... ).number
    1
    """

    def __init__(self, db: Database, clock: Clock | None = None) -> None:
        self._db = db
        self._clock: Clock = clock or SystemClock()
        self._audit = AuditLog(db, self._clock)

    @property
    def database(self) -> Database:
        """The database the registry writes to."""
        return self._db

    def register(
        self, enterprise: Enterprise, *, actor: str, chart: ChartOfAccounts | None = None
    ) -> Enterprise:
        """Store a new enterprise with its chart of accounts (the SAK EMKM template by default).

        Raises:
            ConflictError: The id is taken.
        """
        if not isinstance(enterprise, Enterprise):
            raise ValidationError.single("enterprise", "must be an Enterprise")
        chart = chart or ChartOfAccounts.sak_emkm()
        with self._db.transaction() as conn:
            taken = conn.execute(
                sa.select(store.enterprises.c.id).where(store.enterprises.c.id == enterprise.id)
            ).first()
            if taken:
                raise ConflictError(f"an enterprise with id {enterprise.id!r} already exists")
            try:
                with conn.begin_nested():
                    conn.execute(
                        store.enterprises.insert().values(
                            id=enterprise.id,
                            **_enterprise_values(enterprise),
                            closed_through=None,
                            next_member=1,
                            version=1,
                        )
                    )
            except sa.exc.IntegrityError:
                # Registered by someone else between the check and the insert.
                raise ConflictError(
                    f"an enterprise with id {enterprise.id!r} already exists"
                ) from None
            conn.execute(
                store.accounts.insert(),
                [
                    {
                        "enterprise": enterprise.id,
                        "code": a.code,
                        "name": a.name,
                        "contra": a.contra,
                        "savings": str(a.savings) if a.savings else None,
                    }
                    for a in chart.accounts
                ],
            )
            self._audit.append(
                conn,
                actor=actor,
                action="economy.enterprise.registered",
                subject=_subject(enterprise.id),
                details={
                    "city": enterprise.city,
                    "district": str(enterprise.district),
                    "sector": str(enterprise.sector),
                    "legal_form": str(enterprise.legal_form),
                },
            )
        return enterprise

    def update(self, enterprise: Enterprise, *, actor: str) -> Enterprise:
        """Replace an enterprise's details (name, address, sector, NIB, mentor, status).

        Raises:
            NotFoundError: No such enterprise.
            ConflictError: The enterprise is dissolved while QRIS sales wait for payment
                (cancel them first: a dissolved enterprise's books take no more sales).
        """
        with self._db.transaction() as conn:
            self._row(conn, enterprise.id, lock=True)
            if enterprise.status == EnterpriseStatus.DISSOLVED:
                pending = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(_QRIS_SALES)
                    .where(
                        _QRIS_SALES.c.enterprise_id == enterprise.id,
                        _QRIS_SALES.c.status == "pending",
                    )
                ).scalar_one()
                if pending:
                    raise ConflictError(
                        f"{enterprise.id} has {pending} QRIS sale(s) waiting for payment: "
                        "cancel them before dissolving it"
                    )
            conn.execute(
                store.enterprises.update()
                .where(store.enterprises.c.id == enterprise.id)
                .values(**_enterprise_values(enterprise), version=store.enterprises.c.version + 1)
            )
            self._audit.append(
                conn,
                actor=actor,
                action="economy.enterprise.updated",
                subject=_subject(enterprise.id),
                details={"status": str(enterprise.status), "sector": str(enterprise.sector)},
            )
        return enterprise

    def set_status(self, enterprise_id: str, status: EnterpriseStatus, *, actor: str) -> Enterprise:
        """Mark an enterprise active, dormant or dissolved (a dissolved one refuses postings).

        Raises:
            NotFoundError: No such enterprise.
            ConflictError: Dissolving an enterprise with QRIS sales waiting for payment.
        """
        status = choice(EnterpriseStatus, "status", status)
        current = self.get(enterprise_id)
        return self.update(attrs.evolve(current, status=status), actor=actor)

    def get(self, enterprise_id: str) -> Enterprise:
        """The enterprise with ``enterprise_id``.

        Raises:
            NotFoundError: No such enterprise.
        """
        with self._db.reading() as conn:
            return enterprise_from_row(self._row(conn, enterprise_id))

    def enterprises(
        self,
        *,
        city: str | None = None,
        district: RegionCode | str | None = None,
        sector: Sector | str | None = None,
        status: EnterpriseStatus | str | None = None,
    ) -> list[Enterprise]:
        """The enterprises matching every filter given, by id."""
        table = store.enterprises
        query = sa.select(table).order_by(table.c.id)
        if city is not None:
            query = query.where(table.c.city == city)
        if district is not None:
            query = query.where(table.c.district == str(RegionCode.parse(str(district))))
        if sector is not None:
            query = query.where(table.c.sector == str(choice(Sector, "sector", sector)))
        if status is not None:
            query = query.where(table.c.status == str(choice(EnterpriseStatus, "status", status)))
        with self._db.reading() as conn:
            return [enterprise_from_row(r) for r in conn.execute(query).mappings()]

    def add_member(  # noqa: PLR0913 - the fields of a member
        self,
        enterprise_id: str,
        *,
        name: str,
        joined: dt.date,
        nik: Nik | None = None,
        role: MemberRole | str = MemberRole.MEMBER,
        actor: str,
    ) -> Member:
        """Enrol a resident; the member number is the next one of the enterprise.

        Raises:
            NotFoundError: No such enterprise.
            ValidationError: A field is wrong, or the joining date is before the founding.
            ConflictError: The NIK already belongs to a member of this enterprise.
        """
        draft = Member(
            enterprise=enterprise_id, number=0, name=name, nik=nik, joined=joined, role=role
        )
        with self._db.transaction() as conn:
            row = self._row(conn, enterprise_id, lock=True)
            if draft.joined < row["founded"]:
                raise ValidationError.single(
                    "joined", f"must not be before the founding date {row['founded'].isoformat()}"
                )
            if nik is not None:
                same = conn.execute(
                    sa.select(store.members.c.number).where(
                        store.members.c.enterprise == enterprise_id,
                        store.members.c.nik == nik.reveal(),
                    )
                ).first()
                if same:
                    raise ConflictError(
                        f"NIK {nik.masked()} is already member {same[0]} of {enterprise_id}"
                    )
            number = int(row["next_member"])
            member = Member(
                enterprise=enterprise_id,
                number=number,
                name=draft.name,
                nik=nik,
                joined=draft.joined,
                role=draft.role,
            )
            conn.execute(
                store.members.insert().values(
                    enterprise=enterprise_id,
                    number=number,
                    name=member.name,
                    nik=nik.reveal() if nik else None,
                    joined=member.joined,
                    left=None,
                    role=str(member.role),
                )
            )
            conn.execute(
                store.enterprises.update()
                .where(store.enterprises.c.id == enterprise_id)
                .values(next_member=number + 1)
            )
            self._audit.append(
                conn,
                actor=actor,
                action="economy.member.joined",
                subject=f"member:{enterprise_id}/{number}",
                details={"role": str(member.role), "joined": member.joined.isoformat()},
            )
        return member

    def member(self, enterprise_id: str, number: int) -> Member:
        """One member.

        Raises:
            NotFoundError: No such member.
        """
        with self._db.reading() as conn:
            return member_from_row(self._member_row(conn, enterprise_id, number))

    def members(self, enterprise_id: str, *, active_on: dt.date | None = None) -> list[Member]:
        """The enterprise's members by number (only those belonging on ``active_on``, if given).

        Raises:
            NotFoundError: No such enterprise.
        """
        with self._db.reading() as conn:
            self._row(conn, enterprise_id)
            rows = conn.execute(
                sa.select(store.members)
                .where(store.members.c.enterprise == enterprise_id)
                .order_by(store.members.c.number)
            ).mappings()
            found = [member_from_row(r) for r in rows]
        if active_on is not None:
            found = [m for m in found if m.active_on(active_on)]
        return found

    def change_member(
        self,
        enterprise_id: str,
        number: int,
        *,
        role: MemberRole | str | None = None,
        left: dt.date | None = None,
        actor: str,
    ) -> Member:
        """Give a member another office, or record that they left (``left``).

        Savings are not paid out by leaving: withdraw them with
        :meth:`Books.withdraw_savings` on or after the leaving date.
        """
        with self._db.transaction() as conn:
            current = member_from_row(self._member_row(conn, enterprise_id, number))
            changed = Member(
                enterprise=enterprise_id,
                number=number,
                name=current.name,
                nik=current.nik,
                joined=current.joined,
                role=current.role if role is None else role,
                left=current.left if left is None else left,
            )
            conn.execute(
                store.members.update()
                .where(
                    store.members.c.enterprise == enterprise_id,
                    store.members.c.number == number,
                )
                .values(role=str(changed.role), left=changed.left)
            )
            details: dict[str, Any] = {"role": str(changed.role)}
            if changed.left:
                details["left"] = changed.left.isoformat()
            self._audit.append(
                conn,
                actor=actor,
                action="economy.member.changed",
                subject=f"member:{enterprise_id}/{number}",
                details=details,
            )
        return changed

    @staticmethod
    def _row(conn: Connection, enterprise_id: str, *, lock: bool = False) -> RowMapping:
        query = sa.select(store.enterprises).where(store.enterprises.c.id == enterprise_id)
        if lock:
            query = query.with_for_update()
        row = conn.execute(query).mappings().first()
        if row is None:
            raise NotFoundError(f"no enterprise {enterprise_id!r}")
        return row

    @staticmethod
    def _member_row(conn: Connection, enterprise_id: str, number: int) -> RowMapping:
        row = (
            conn.execute(
                sa.select(store.members).where(
                    store.members.c.enterprise == enterprise_id,
                    store.members.c.number == number,
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFoundError(f"{enterprise_id!r} has no member {number}")
        return row
