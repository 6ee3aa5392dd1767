"""Cooperative surplus (SHU, Sisa Hasil Usaha; UU 25/1992 art. 45): split it into pools and members.

SHU is what is left of a year's income after costs, depreciation and obligations (tax included).
The members' meeting (rapat anggota) and the articles (AD/ART) set how it is split, as percentages
per pool (:class:`ShuSplit`): a reserve (cadangan), the members' share (jasa anggota) in two parts,
one paid by each member's business with the enterprise (jasa usaha anggota, JUA) and one by each
member's savings (jasa modal anggota, JMA), and funds for management, employees, education, social
purposes and the area's development.

:func:`distribute_surplus` follows these rules, all in whole rupiah with ``int`` arithmetic:

1. Only a positive surplus is distributed: a loss or zero is refused. Transactions and savings
   must not be negative.
2. The surplus is split into the part earned from members' business and the part earned from
   non-members', in proportion to the total member transactions (VUK) and the non-member
   transactions of the same year. With no transactions at all, everything is member surplus.
3. The member surplus is split over every pool by the split's shares. The non-member surplus is
   split over the pools other than JUA and JMA, in proportion to their shares (all to the reserve
   when those shares are all 0): surplus from non-member business is never paid to members.
4. With no member transactions (VUK = 0) the JUA pool goes to the reserve, and with no member
   savings (TMS = 0) the JMA pool does, since there is nobody to pay it to. These moves are not
   rounding and are not recorded as :class:`RoundingAdjustment`.
5. Each member gets ``Va / VUK x JUA + Sa / TMS x JMA``: the JUA pool is shared by transactions
   (Va) and the JMA pool by savings (Sa).

Every division is :meth:`Rupiah.allocate <smartcity_kit.core.Rupiah.allocate>`: each part is
rounded down and the rupiah left over go one each to the largest remainders (the earlier pool, or
the lower member number, on ties). No rupiah is created or lost, and every rupiah handed out by
rounding is recorded as a :class:`RoundingAdjustment`, so that the books can show where it went.

>>> from smartcity_kit.core import Rupiah
>>> result = distribute_surplus(
...     Rupiah(10_000_000),
...     ShuSplit.default(),
...     member_transactions={1: Rupiah(3_000_000), 2: Rupiah(1_000_000)},
...     member_savings={1: Rupiah(500_000), 2: Rupiah(1_500_000)},
... )
>>> result.pools[ShuPool.RESERVE], result.pools[ShuPool.MEMBER_BUSINESS]
(Rupiah(4000000), Rupiah(2500000))
>>> [(m.member, m.business, m.capital) for m in result.members]
[(1, Rupiah(1875000), Rupiah(375000)), (2, Rupiah(625000), Rupiah(1125000))]
"""

from __future__ import annotations

import enum
import re
import types
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

from smartcity_kit.core import Rupiah
from smartcity_kit.errors import FieldError, ValidationError

__all__ = [
    "MemberShare",
    "RoundingAdjustment",
    "ShuDistribution",
    "ShuPool",
    "ShuSplit",
    "distribute_surplus",
]

_WHOLE: Final = 10_000  # basis points in 100%
_PERCENT: Final = re.compile(r"(?P<sign>-)?(?P<int>[0-9]+)(?:\.(?P<frac>[0-9]+))?")
_STAGES: Final = frozenset({"member_surplus", "pools", "member_business", "member_capital"})


class ShuPool(enum.StrEnum):
    """A pool the surplus is split into (the uses of SHU in UU 25/1992 art. 45 and the AD/ART)."""

    RESERVE = "reserve"
    """Cadangan: the reserve, kept by the enterprise."""
    MEMBER_BUSINESS = "member_business"
    """Jasa usaha anggota (JUA): shared by the members' transactions."""
    MEMBER_CAPITAL = "member_capital"
    """Jasa modal anggota (JMA): shared by the members' savings."""
    MANAGEMENT = "management"
    """Dana pengurus: for the management board."""
    EMPLOYEES = "employees"
    """Dana karyawan: for the employees."""
    EDUCATION = "education"
    """Dana pendidikan: for cooperative education."""
    SOCIAL = "social"
    """Dana sosial: for social purposes."""
    AREA_DEVELOPMENT = "area_development"
    """Dana pembangunan daerah kerja: for the development of the area the enterprise works in."""

    @property
    def label_id(self) -> str:
        """The Indonesian name of the pool, as written in an SHU report (``"Cadangan"``)."""
        return _LABELS_ID[self]


_LABELS_ID: Final[Mapping[ShuPool, str]] = types.MappingProxyType(
    {
        ShuPool.RESERVE: "Cadangan",
        ShuPool.MEMBER_BUSINESS: "Jasa usaha anggota",
        ShuPool.MEMBER_CAPITAL: "Jasa modal anggota",
        ShuPool.MANAGEMENT: "Dana pengurus",
        ShuPool.EMPLOYEES: "Dana karyawan",
        ShuPool.EDUCATION: "Dana pendidikan",
        ShuPool.SOCIAL: "Dana sosial",
        ShuPool.AREA_DEVELOPMENT: "Dana pembangunan daerah kerja",
    }
)
_MEMBER_POOLS: Final = (ShuPool.MEMBER_BUSINESS, ShuPool.MEMBER_CAPITAL)
_OTHER_POOLS: Final = tuple(p for p in ShuPool if p not in _MEMBER_POOLS)


def _pool(key: object, field: str) -> ShuPool:
    if isinstance(key, ShuPool):
        return key
    if isinstance(key, str):
        try:
            return ShuPool(key)
        except ValueError:
            pass
    known = ", ".join(p.value for p in ShuPool)
    raise ValidationError.single(f"{field}.{key}", f"is not a pool; the pools are {known}")


def _to_shares(value: Mapping[ShuPool, int]) -> Mapping[ShuPool, int]:
    """Every pool in :class:`ShuPool` order, missing ones as 0; pool names may be text."""
    if not isinstance(value, Mapping):
        raise ValidationError.single("split", "must map pools to basis points")
    given = {_pool(key, "split"): share for key, share in value.items()}
    return types.MappingProxyType({pool: given.get(pool, 0) for pool in ShuPool})


def _percent_text(basis_points: int) -> str:
    whole, hundredths = divmod(abs(basis_points), 100)
    sign = "-" if basis_points < 0 else ""
    if hundredths == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{hundredths:02d}".rstrip("0")


def _check_shares(_instance: object, _attribute: object, value: Mapping[ShuPool, int]) -> None:
    problems = [
        FieldError(f"split.{pool}", "must be a whole number of basis points of at least 0")
        for pool, share in value.items()
        if type(share) is not int or share < 0
    ]
    if problems:
        raise ValidationError(problems)
    total = sum(value.values())
    if total != _WHOLE:
        raise ValidationError.single(
            "split", f"the shares add up to {_percent_text(total)}%; they must add up to 100%"
        )


@attrs.frozen
class ShuSplit:
    """Percentages per pool set by the members' meeting (rapat anggota) and the articles (AD/ART).

    Shares are basis points (hundredths of a percent) so that a split like 2.5% needs no floats.

    >>> split = ShuSplit.from_percent({"reserve": "50", "member_business": 30, "social": "20"})
    >>> split.percent(ShuPool.MEMBER_BUSINESS), split.shares[ShuPool.EDUCATION]
    ('30', 0)
    >>> ShuSplit.from_percent({"reserve": "60"})
    Traceback (most recent call last):
    smartcity_kit.errors.ValidationError: split: the shares add up to 60%; they must add up to 100%

    Attributes:
        shares: Basis points per pool, for every pool (missing ones are 0), each at least 0,
            adding up to exactly 10 000 (100%).
    """

    shares: Mapping[ShuPool, int] = attrs.field(
        converter=_to_shares, validator=_check_shares, hash=False
    )

    @classmethod
    def default(cls) -> ShuSplit:
        """A common split: reserve 40%, members 40% (JUA 25%, JMA 15%), 5% for the others.

        Management, employees and education get 5% each; the social fund and area development
        share the last 5% (2.5% each).
        """
        return cls(
            {
                ShuPool.RESERVE: 4_000,
                ShuPool.MEMBER_BUSINESS: 2_500,
                ShuPool.MEMBER_CAPITAL: 1_500,
                ShuPool.MANAGEMENT: 500,
                ShuPool.EMPLOYEES: 500,
                ShuPool.EDUCATION: 500,
                ShuPool.SOCIAL: 250,
                ShuPool.AREA_DEVELOPMENT: 250,
            }
        )

    @classmethod
    def from_percent(cls, percents: Mapping[str, str | int]) -> ShuSplit:
        """A split from percentages per pool, as a members' meeting writes them.

        Args:
            percents: Pool name (a :class:`ShuPool` value) to a percentage: text with at most two
                decimals (``"40"``, ``"2.5"``, ``"2.25"``) or a whole number (``40``). Pools left
                out get 0%.

        Raises:
            ValidationError: An unknown pool, a percentage that is not a number with at most two
                decimals or is negative (field ``split.<pool>``), or percentages that do not add up
                to 100% (field ``split``).
        """
        if not isinstance(percents, Mapping):
            raise ValidationError.single("split", "must map pools to percentages")
        problems: list[FieldError] = []
        shares: dict[ShuPool, int] = {}
        for key, percent in percents.items():
            pool = _pool(key, "split")
            try:
                shares[pool] = _basis_points(percent)
            except ValueError as e:
                problems.append(FieldError(f"split.{pool}", str(e)))
        if problems:
            raise ValidationError(problems)
        return cls(shares)

    def percent(self, pool: ShuPool) -> str:
        """The pool's share as a percentage without trailing zeros: ``"40"``, ``"2.5"``."""
        return _percent_text(self.shares[pool])

    def to_json(self) -> dict[str, str]:
        """Pool name to percentage text, every pool; :meth:`from_percent` reads it back."""
        return {pool.value: self.percent(pool) for pool in ShuPool}


def _basis_points(percent: object) -> int:
    if type(percent) is int:
        return percent * 100
    if not isinstance(percent, str):
        msg = "must be a percentage as text (like '2.5') or a whole number"
        raise ValueError(msg)  # noqa: TRY004 - the caller turns it into a ValidationError
    match = _PERCENT.fullmatch(percent.strip())
    if match is None:
        msg = "is not a percentage like '40' or '2.5'"
        raise ValueError(msg)
    frac = match["frac"] or ""
    if len(frac) > 2:
        msg = "may have at most 2 decimals"
        raise ValueError(msg)
    value = int(match["int"]) * 100 + int(frac.ljust(2, "0"))
    return -value if match["sign"] else value


def _check_amount(field: str) -> Any:
    def check(_instance: object, _attribute: object, value: Rupiah) -> None:
        if not isinstance(value, Rupiah) or value.amount < 0:
            raise ValidationError.single(field, "must be a Rupiah of at least Rp0")

    return check


def _check_member(_instance: object, _attribute: object, value: int) -> None:
    if type(value) is not int or value < 1:
        raise ValidationError.single("member", "must be a member number (a whole number >= 1)")


@attrs.frozen
class MemberShare:
    """One member's part of the surplus.

    Attributes:
        member: The member number within the enterprise.
        transactions: The member's business with the enterprise in the year (Va).
        savings: The member's savings in the enterprise (Sa).
        business: The member's share of the JUA pool (by transactions).
        capital: The member's share of the JMA pool (by savings).
    """

    member: int = attrs.field(validator=_check_member)
    transactions: Rupiah = attrs.field(validator=_check_amount("transactions"))
    savings: Rupiah = attrs.field(validator=_check_amount("savings"))
    business: Rupiah = attrs.field(validator=_check_amount("business"))
    capital: Rupiah = attrs.field(validator=_check_amount("capital"))

    @property
    def total(self) -> Rupiah:
        """What the member is paid: business plus capital."""
        return self.business + self.capital


def _check_stage(_instance: object, _attribute: object, value: str) -> None:
    if value not in _STAGES:
        raise ValidationError.single("stage", f"must be one of {', '.join(sorted(_STAGES))}")


def _check_rupiah(_instance: object, _attribute: object, value: int) -> None:
    if type(value) is not int or value < 1:
        raise ValidationError.single("rupiah", "must be a whole number of at least 1")


@attrs.frozen
class RoundingAdjustment:
    """A whole rupiah handed to a recipient by largest-remainder rounding.

    Each part of a division is first rounded down; the rupiah left over go one each to the
    recipients with the largest remainders. This records who got them.

    Attributes:
        stage: Which division: ``"member_surplus"`` (members' against non-members' business),
            ``"pools"``, ``"member_business"`` (JUA over members) or ``"member_capital"`` (JMA).
        recipient: Who got it: ``"members"`` or ``"non_members"``, a pool name, or ``"member:12"``.
        rupiah: How many rupiah it got on top of its rounded-down share (1 with this rounding).
    """

    stage: str = attrs.field(validator=_check_stage)
    recipient: str = attrs.field(validator=attrs.validators.instance_of(str))
    rupiah: int = attrs.field(validator=_check_rupiah)


def _to_pools(value: Mapping[ShuPool, Rupiah]) -> Mapping[ShuPool, Rupiah]:
    if not isinstance(value, Mapping):
        raise ValidationError.single("pools", "must map pools to amounts")
    given = {_pool(key, "pools"): amount for key, amount in value.items()}
    missing = [p.value for p in ShuPool if p not in given]
    if missing:
        raise ValidationError.single("pools", f"must hold every pool; missing {', '.join(missing)}")
    return types.MappingProxyType({pool: given[pool] for pool in ShuPool})


def _check_pools(_instance: object, _attribute: object, value: Mapping[ShuPool, Rupiah]) -> None:
    for pool, amount in value.items():
        _check_amount(f"pools.{pool}")(None, None, amount)


def _members(value: Sequence[MemberShare]) -> tuple[MemberShare, ...]:
    return tuple(value)


def _adjustments(value: Sequence[RoundingAdjustment]) -> tuple[RoundingAdjustment, ...]:
    return tuple(value)


@attrs.frozen
class ShuDistribution:
    """How one year's surplus was distributed: to pools, and the members' pools to members.

    The amounts always add up: the pools to the surplus, the members' business parts to the JUA
    pool and their capital parts to the JMA pool; building one that does not is refused.

    Attributes:
        surplus: The distributable surplus.
        member_surplus: The part earned from members' business.
        non_member_surplus: The part earned from non-members' business; never paid to members.
        split: The split the pools were computed with.
        pools: Every pool's amount, adding up exactly to ``surplus``.
        members: Each member's part, by member number.
        adjustments: The rupiah handed out by rounding, stage by stage.
    """

    surplus: Rupiah = attrs.field(validator=_check_amount("surplus"))
    member_surplus: Rupiah = attrs.field(validator=_check_amount("member_surplus"))
    non_member_surplus: Rupiah = attrs.field(validator=_check_amount("non_member_surplus"))
    split: ShuSplit = attrs.field(validator=attrs.validators.instance_of(ShuSplit))
    pools: Mapping[ShuPool, Rupiah] = attrs.field(
        converter=_to_pools, validator=_check_pools, hash=False
    )
    members: tuple[MemberShare, ...] = attrs.field(converter=_members)
    adjustments: tuple[RoundingAdjustment, ...] = attrs.field(converter=_adjustments)

    def __attrs_post_init__(self) -> None:
        problems: list[FieldError] = []
        if self.member_surplus + self.non_member_surplus != self.surplus:
            problems.append(
                FieldError("member_surplus", "and non_member_surplus must add up to the surplus")
            )
        if Rupiah.sum(self.pools.values()) != self.surplus:
            problems.append(FieldError("pools", "must add up to the surplus"))
        numbers = [m.member for m in self.members]
        if numbers != sorted(set(numbers)):
            problems.append(FieldError("members", "must be in member order, each once"))
        if Rupiah.sum(m.business for m in self.members) != self.pools[ShuPool.MEMBER_BUSINESS]:
            problems.append(FieldError("members", "business parts must add up to the JUA pool"))
        if Rupiah.sum(m.capital for m in self.members) != self.pools[ShuPool.MEMBER_CAPITAL]:
            problems.append(FieldError("members", "capital parts must add up to the JMA pool"))
        if problems:
            raise ValidationError(problems)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: amounts as ints, the split as :meth:`ShuSplit.to_json`."""
        return {
            "surplus": self.surplus.amount,
            "member_surplus": self.member_surplus.amount,
            "non_member_surplus": self.non_member_surplus.amount,
            "split": self.split.to_json(),
            "pools": {pool.value: amount.amount for pool, amount in self.pools.items()},
            "members": [
                {
                    "member": m.member,
                    "transactions": m.transactions.amount,
                    "savings": m.savings.amount,
                    "business": m.business.amount,
                    "capital": m.capital.amount,
                    "total": m.total.amount,
                }
                for m in self.members
            ],
            "adjustments": [
                {"stage": a.stage, "recipient": a.recipient, "rupiah": a.rupiah}
                for a in self.adjustments
            ],
        }


def _allocate(
    total: Rupiah,
    weights: Sequence[int],
    recipients: Sequence[str],
    stage: str,
    adjustments: list[RoundingAdjustment],
) -> list[Rupiah]:
    """``total.allocate(weights)``, recording each rupiah above the rounded-down share."""
    parts = total.allocate(weights)
    total_weight = sum(weights)
    for part, weight, recipient in zip(parts, weights, recipients, strict=True):
        extra = part.amount - total.amount * weight // total_weight
        if extra:
            adjustments.append(RoundingAdjustment(stage, recipient, extra))
    return parts


def _amounts(name: str, value: object, problems: list[FieldError]) -> dict[int, Rupiah]:
    if not isinstance(value, Mapping):
        problems.append(FieldError(name, "must map member numbers to amounts"))
        return {}
    good: dict[int, Rupiah] = {}
    for member, amount in value.items():
        if type(member) is not int or member < 1:
            problems.append(FieldError(f"{name}[{member!r}]", "must be keyed by a member number"))
        elif not isinstance(amount, Rupiah) or amount.amount < 0:
            problems.append(FieldError(f"{name}[{member}]", "must be a Rupiah of at least Rp0"))
        else:
            good[member] = amount
    return good


def _check_inputs(
    surplus: object,
    split: object,
    member_transactions: object,
    member_savings: object,
    non_member_transactions: object,
) -> tuple[dict[int, Rupiah], dict[int, Rupiah]]:
    """Every problem with the input of :func:`distribute_surplus` at once, or the amounts."""
    problems: list[FieldError] = []
    if not isinstance(surplus, Rupiah) or surplus.amount <= 0:
        problems.append(FieldError("surplus", "must be more than Rp0: a loss is not distributed"))
    if not isinstance(split, ShuSplit):
        problems.append(FieldError("split", "must be a ShuSplit"))
    transactions = _amounts("member_transactions", member_transactions, problems)
    savings = _amounts("member_savings", member_savings, problems)
    if not isinstance(non_member_transactions, Rupiah) or non_member_transactions.amount < 0:
        problems.append(FieldError("non_member_transactions", "must be a Rupiah of at least Rp0"))
    if problems:
        raise ValidationError(problems)
    return transactions, savings


def _pools(
    split: ShuSplit,
    member_surplus: Rupiah,
    non_member_surplus: Rupiah,
    adjustments: list[RoundingAdjustment],
) -> dict[ShuPool, Rupiah]:
    """The member surplus over every pool, the non-member surplus over the others (rule 3)."""
    pools = dict(
        zip(
            ShuPool,
            _allocate(
                member_surplus,
                [split.shares[p] for p in ShuPool],
                [p.value for p in ShuPool],
                "pools",
                adjustments,
            ),
            strict=True,
        )
    )
    if not non_member_surplus:
        return pools
    weights = [split.shares[p] for p in _OTHER_POOLS]
    if sum(weights) == 0:
        pools[ShuPool.RESERVE] += non_member_surplus
        return pools
    parts = _allocate(
        non_member_surplus, weights, [p.value for p in _OTHER_POOLS], "pools", adjustments
    )
    for pool, part in zip(_OTHER_POOLS, parts, strict=True):
        pools[pool] += part
    return pools


def distribute_surplus(
    surplus: Rupiah,
    split: ShuSplit,
    *,
    member_transactions: Mapping[int, Rupiah],
    member_savings: Mapping[int, Rupiah],
    non_member_transactions: Rupiah = Rupiah(0),  # noqa: B008 - Rupiah is immutable
) -> ShuDistribution:
    """Distribute a year's surplus over the pools of ``split`` and the members.

    The rules are those of the module: the surplus is split between members' and non-members'
    business in proportion to the transactions; the member surplus goes to every pool and the
    non-member surplus only to the pools other than JUA and JMA (so it never reaches a member);
    a JUA pool with no member transactions, or a JMA pool with no member savings, goes to the
    reserve; JUA is shared by transactions and JMA by savings. Every division rounds down and
    hands the rupiah left over to the largest remainders, each recorded in ``adjustments``.

    >>> from smartcity_kit.core import Rupiah
    >>> result = distribute_surplus(
    ...     Rupiah(1_000_000),
    ...     ShuSplit.default(),
    ...     member_transactions={7: Rupiah(2_000), 9: Rupiah(1_000)},
    ...     member_savings={},
    ...     non_member_transactions=Rupiah(1_000),
    ... )
    >>> result.member_surplus, result.non_member_surplus
    (Rupiah(750000), Rupiah(250000))
    >>> result.pools[ShuPool.MEMBER_CAPITAL], [m.business for m in result.members]
    (Rupiah(0), [Rupiah(125000), Rupiah(62500)])

    Args:
        surplus: The year's distributable surplus; must be more than Rp0.
        split: The pools' shares.
        member_transactions: Each member's business with the enterprise in the year (Va), by
            member number; Rp0 is allowed.
        member_savings: Each member's savings (Sa), by member number. A member found in only one
            of the two mappings has Rp0 in the other.
        non_member_transactions: The business with non-members in the same year.

    Returns:
        The pools, each member's part (in member order) and the rounding adjustments.

    Raises:
        ValidationError: The surplus is not more than Rp0 (field ``surplus``), or an amount is
            negative or not a Rupiah (fields such as ``member_transactions[12]``).
    """
    transactions, savings = _check_inputs(
        surplus, split, member_transactions, member_savings, non_member_transactions
    )
    adjustments: list[RoundingAdjustment] = []
    numbers = sorted(transactions.keys() | savings.keys())
    va = [transactions.get(n, Rupiah(0)).amount for n in numbers]
    sa = [savings.get(n, Rupiah(0)).amount for n in numbers]
    vuk, tms = sum(va), sum(sa)

    # Rule 2: members' against non-members' business.
    if vuk == 0 and non_member_transactions.amount == 0:
        member_surplus, non_member_surplus = surplus, Rupiah(0)
    else:
        member_surplus, non_member_surplus = _allocate(
            surplus,
            [vuk, non_member_transactions.amount],
            ["members", "non_members"],
            "member_surplus",
            adjustments,
        )

    # Rule 3: the member surplus over every pool, the non-member surplus over the others.
    pools = _pools(split, member_surplus, non_member_surplus, adjustments)

    # Rule 4: a members' pool nobody can be paid from goes to the reserve.
    for members_pool, basis in ((ShuPool.MEMBER_BUSINESS, vuk), (ShuPool.MEMBER_CAPITAL, tms)):
        if basis == 0:
            pools[ShuPool.RESERVE] += pools[members_pool]
            pools[members_pool] = Rupiah(0)

    # Rule 5: JUA by transactions, JMA by savings.
    recipients = [f"member:{n}" for n in numbers]
    business = [Rupiah(0)] * len(numbers)
    capital = [Rupiah(0)] * len(numbers)
    if vuk:
        business = _allocate(
            pools[ShuPool.MEMBER_BUSINESS], va, recipients, "member_business", adjustments
        )
    if tms:
        capital = _allocate(
            pools[ShuPool.MEMBER_CAPITAL], sa, recipients, "member_capital", adjustments
        )

    return ShuDistribution(
        surplus=surplus,
        member_surplus=member_surplus,
        non_member_surplus=non_member_surplus,
        split=split,
        pools=pools,
        members=tuple(
            MemberShare(n, Rupiah(v), Rupiah(s), b, c)
            for n, v, s, b, c in zip(numbers, va, sa, business, capital, strict=True)
        ),
        adjustments=adjustments,
    )
