from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity_kit.core import Rupiah
from smartcity_kit.economy._shu import (
    MemberShare,
    RoundingAdjustment,
    ShuDistribution,
    ShuPool,
    ShuSplit,
    distribute_surplus,
)
from smartcity_kit.errors import ValidationError

OTHER_POOLS = [p for p in ShuPool if p not in {ShuPool.MEMBER_BUSINESS, ShuPool.MEMBER_CAPITAL}]


# --- strategies -----------------------------------------------------------------------------


@st.composite
def splits(draw: st.DrawFn) -> ShuSplit:
    """Any valid split: eight shares of at least 0 basis points adding up to 10 000."""
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=7, max_size=7)))
    bounds = [0, *cuts, 10_000]
    shares = [bounds[i + 1] - bounds[i] for i in range(8)]
    return ShuSplit(dict(zip(ShuPool, draw(st.permutations(shares)), strict=True)))


surpluses = st.integers(1, 10**12).map(Rupiah)
amounts = st.integers(0, 10**9).map(Rupiah)
member_amounts = st.dictionaries(st.integers(1, 300), amounts, max_size=8)


def adjustments_of(result: ShuDistribution, stage: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for a in result.adjustments:
        if a.stage == stage:
            found[a.recipient] = found.get(a.recipient, 0) + a.rupiah
    return found


# --- a worked example -----------------------------------------------------------------------


def test_textbook_example() -> None:
    # Surplus Rp10.000.001 with the default split. Members did Rp10.000.000 of business (VUK),
    # non-members Rp2.500.000: the members' part is 10.000.001 x 10/12.5 = 8.000.000,8 and the
    # non-members' 2.000.000,2; rounded down 8.000.000 + 2.000.000, the leftover rupiah goes to
    # the larger remainder (0,8): members 8.000.001, non-members 2.000.000.
    #
    # Member surplus 8.000.001 over the pools (40/25/15/5/5/5/2.5/2.5%): 3.200.000,4 /
    # 2.000.000,25 / 1.200.000,15 / 400.000,05 x3 / 200.000,025 x2; the floors add up to
    # 8.000.000 and the leftover rupiah goes to the reserve (0,4).
    # Non-member surplus 2.000.000 over the other pools (weights 4000/500/500/500/250/250 of
    # 6000): 1.333.333,33 / 166.666,67 x3 / 83.333,33 x2; the floors add up to 1.999.997 and the
    # three leftover rupiah go to management, employees and education (0,67 each).
    # Pools: reserve 3.200.001 + 1.333.333 = 4.533.334; JUA 2.000.000; JMA 1.200.000;
    # management, employees, education 400.000 + 166.667 = 566.667; social, area 200.000 +
    # 83.333 = 283.333. Total 10.000.001.
    #
    # JUA 2.000.000 by Va 3.333.333 / 3.333.333 / 3.333.334 / 0 of 10.000.000: 666.666,6 /
    # 666.666,6 / 666.666,8 / 0; floors 1.999.998, the two rupiah go to member 3 (0,8) and then
    # member 1 (0,6; tied with member 2, the lower number first).
    # JMA 1.200.000 by Sa 700.000 / 200.000 / 0 / 0 of 900.000: 933.333,33 / 266.666,67; the
    # leftover rupiah goes to member 2 (0,67).
    result = distribute_surplus(
        Rupiah(10_000_001),
        ShuSplit.default(),
        member_transactions={
            3: Rupiah(3_333_334),
            1: Rupiah(3_333_333),
            2: Rupiah(3_333_333),
            4: Rupiah(0),
        },
        member_savings={1: Rupiah(700_000), 2: Rupiah(200_000), 4: Rupiah(0)},
        non_member_transactions=Rupiah(2_500_000),
    )
    assert result.member_surplus == Rupiah(8_000_001)
    assert result.non_member_surplus == Rupiah(2_000_000)
    assert {p.value: a.amount for p, a in result.pools.items()} == {
        "reserve": 4_533_334,
        "member_business": 2_000_000,
        "member_capital": 1_200_000,
        "management": 566_667,
        "employees": 566_667,
        "education": 566_667,
        "social": 283_333,
        "area_development": 283_333,
    }
    assert result.members == (
        MemberShare(1, Rupiah(3_333_333), Rupiah(700_000), Rupiah(666_667), Rupiah(933_333)),
        MemberShare(2, Rupiah(3_333_333), Rupiah(200_000), Rupiah(666_666), Rupiah(266_667)),
        MemberShare(3, Rupiah(3_333_334), Rupiah(0), Rupiah(666_667), Rupiah(0)),
        MemberShare(4, Rupiah(0), Rupiah(0), Rupiah(0), Rupiah(0)),
    )
    assert [m.total for m in result.members] == [
        Rupiah(1_600_000),
        Rupiah(933_333),
        Rupiah(666_667),
        Rupiah(0),
    ]
    assert result.adjustments == (
        RoundingAdjustment("member_surplus", "members", 1),
        RoundingAdjustment("pools", "reserve", 1),
        RoundingAdjustment("pools", "management", 1),
        RoundingAdjustment("pools", "employees", 1),
        RoundingAdjustment("pools", "education", 1),
        RoundingAdjustment("member_business", "member:1", 1),
        RoundingAdjustment("member_business", "member:3", 1),
        RoundingAdjustment("member_capital", "member:2", 1),
    )
    json = result.to_json()
    assert json["surplus"] == 10_000_001
    assert json["split"]["social"] == "2.5"
    assert json["pools"]["reserve"] == 4_533_334
    assert json["members"][0] == {
        "member": 1,
        "transactions": 3_333_333,
        "savings": 700_000,
        "business": 666_667,
        "capital": 933_333,
        "total": 1_600_000,
    }
    assert json["adjustments"][0] == {
        "stage": "member_surplus",
        "recipient": "members",
        "rupiah": 1,
    }


def test_without_member_transactions_jua_goes_to_the_reserve() -> None:
    result = distribute_surplus(
        Rupiah(1_000_000),
        ShuSplit.default(),
        member_transactions={1: Rupiah(0)},
        member_savings={1: Rupiah(100), 2: Rupiah(300)},
    )
    assert result.member_surplus == Rupiah(1_000_000)
    assert result.pools[ShuPool.MEMBER_BUSINESS] == Rupiah(0)
    assert result.pools[ShuPool.RESERVE] == Rupiah(400_000 + 250_000)
    assert [m.capital for m in result.members] == [Rupiah(37_500), Rupiah(112_500)]
    assert [m.business for m in result.members] == [Rupiah(0), Rupiah(0)]


def test_without_member_savings_jma_goes_to_the_reserve() -> None:
    result = distribute_surplus(
        Rupiah(1_000_000),
        ShuSplit.default(),
        member_transactions={5: Rupiah(1)},
        member_savings={},
    )
    assert result.pools[ShuPool.MEMBER_CAPITAL] == Rupiah(0)
    assert result.pools[ShuPool.RESERVE] == Rupiah(400_000 + 150_000)
    assert result.members == (MemberShare(5, Rupiah(1), Rupiah(0), Rupiah(250_000), Rupiah(0)),)


def test_without_any_members_the_members_pools_go_to_the_reserve() -> None:
    result = distribute_surplus(
        Rupiah(1_000), ShuSplit.default(), member_transactions={}, member_savings={}
    )
    assert result.members == ()
    assert result.member_surplus == Rupiah(1_000)
    assert result.pools[ShuPool.RESERVE] == Rupiah(800)


def test_non_member_surplus_goes_to_the_reserve_when_the_other_pools_have_no_share() -> None:
    split = ShuSplit.from_percent({"member_business": "60", "member_capital": "40"})
    result = distribute_surplus(
        Rupiah(1_001),
        split,
        member_transactions={1: Rupiah(50)},
        member_savings={1: Rupiah(10)},
        non_member_transactions=Rupiah(50),
    )
    assert result.member_surplus == Rupiah(501)
    assert result.non_member_surplus == Rupiah(500)
    assert result.pools[ShuPool.RESERVE] == Rupiah(500)
    assert result.members[0].total == Rupiah(501)


# --- properties -----------------------------------------------------------------------------


@given(surpluses, splits(), member_amounts, member_amounts, amounts)
def test_pools_add_up_to_the_surplus(
    surplus: Rupiah,
    split: ShuSplit,
    transactions: dict[int, Rupiah],
    savings: dict[int, Rupiah],
    non_member: Rupiah,
) -> None:
    result = distribute_surplus(
        surplus,
        split,
        member_transactions=transactions,
        member_savings=savings,
        non_member_transactions=non_member,
    )
    assert list(result.pools) == list(ShuPool)
    assert Rupiah.sum(result.pools.values()) == surplus
    assert result.member_surplus + result.non_member_surplus == surplus
    assert all(amount >= Rupiah(0) for amount in result.pools.values())


@given(surpluses, splits(), member_amounts, member_amounts, amounts)
def test_members_parts_add_up_to_the_members_pools(
    surplus: Rupiah,
    split: ShuSplit,
    transactions: dict[int, Rupiah],
    savings: dict[int, Rupiah],
    non_member: Rupiah,
) -> None:
    result = distribute_surplus(
        surplus,
        split,
        member_transactions=transactions,
        member_savings=savings,
        non_member_transactions=non_member,
    )
    numbers = sorted(transactions.keys() | savings.keys())
    assert [m.member for m in result.members] == numbers
    jua, jma = result.pools[ShuPool.MEMBER_BUSINESS], result.pools[ShuPool.MEMBER_CAPITAL]
    assert Rupiah.sum(m.business for m in result.members) == jua
    assert Rupiah.sum(m.capital for m in result.members) == jma
    for m in result.members:
        assert m.business >= Rupiah(0)
        assert m.capital >= Rupiah(0)
        assert m.transactions == transactions.get(m.member, Rupiah(0))
        assert m.savings == savings.get(m.member, Rupiah(0))


@given(surpluses, splits(), member_amounts, member_amounts, amounts)
def test_non_member_surplus_never_reaches_members(
    surplus: Rupiah,
    split: ShuSplit,
    transactions: dict[int, Rupiah],
    savings: dict[int, Rupiah],
    non_member: Rupiah,
) -> None:
    result = distribute_surplus(
        surplus,
        split,
        member_transactions=transactions,
        member_savings=savings,
        non_member_transactions=non_member,
    )
    from_members = dict(
        zip(
            ShuPool, result.member_surplus.allocate([split.shares[p] for p in ShuPool]), strict=True
        )
    )
    jua, jma = from_members[ShuPool.MEMBER_BUSINESS], from_members[ShuPool.MEMBER_CAPITAL]
    assert result.pools[ShuPool.MEMBER_BUSINESS] <= jua
    assert result.pools[ShuPool.MEMBER_CAPITAL] <= jma
    assert Rupiah.sum(m.total for m in result.members) <= jua + jma


@given(
    surpluses,
    splits(),
    st.lists(st.integers(1, 300), max_size=8, unique=True),
    st.integers(1, 10**9).map(Rupiah),
)
def test_members_without_transactions_or_savings_get_nothing(
    surplus: Rupiah, split: ShuSplit, numbers: list[int], non_member: Rupiah
) -> None:
    zeros = dict.fromkeys(numbers, Rupiah(0))
    result = distribute_surplus(
        surplus,
        split,
        member_transactions=zeros,
        member_savings=zeros,
        non_member_transactions=non_member,
    )
    assert result.member_surplus == Rupiah(0)
    assert result.non_member_surplus == surplus
    assert all(m.total == Rupiah(0) for m in result.members)
    assert result.pools[ShuPool.MEMBER_BUSINESS] == Rupiah(0)
    assert result.pools[ShuPool.MEMBER_CAPITAL] == Rupiah(0)


def _floors(total: Rupiah, weights: list[int]) -> list[int]:
    return [total.amount * w // sum(weights) for w in weights]


@given(surpluses, splits(), member_amounts, member_amounts, amounts)
def test_rounding_neither_creates_nor_loses_a_rupiah(
    surplus: Rupiah,
    split: ShuSplit,
    transactions: dict[int, Rupiah],
    savings: dict[int, Rupiah],
    non_member: Rupiah,
) -> None:
    result = distribute_surplus(
        surplus,
        split,
        member_transactions=transactions,
        member_savings=savings,
        non_member_transactions=non_member,
    )
    assert all(a.rupiah == 1 for a in result.adjustments)
    numbers = sorted(transactions.keys() | savings.keys())
    va = [transactions.get(n, Rupiah(0)).amount for n in numbers]
    sa = [savings.get(n, Rupiah(0)).amount for n in numbers]

    # member_surplus: members against non-members.
    extra = adjustments_of(result, "member_surplus")
    if sum(va) + non_member.amount == 0:
        assert extra == {}
        assert result.member_surplus == surplus
    else:
        m_floor, n_floor = _floors(surplus, [sum(va), non_member.amount])
        assert result.member_surplus.amount == m_floor + extra.get("members", 0)
        assert result.non_member_surplus.amount == n_floor + extra.get("non_members", 0)
        assert m_floor + n_floor + sum(extra.values()) == surplus.amount

    # pools: the member surplus over every pool, the non-member surplus over the others.
    extra = adjustments_of(result, "pools")
    floors = _floors(result.member_surplus, [split.shares[p] for p in ShuPool])
    other_weights = [split.shares[p] for p in OTHER_POOLS]
    if result.non_member_surplus and sum(other_weights):
        floors += _floors(result.non_member_surplus, other_weights)
    else:
        floors.append(result.non_member_surplus.amount)  # unrounded, or all to the reserve
    assert sum(floors) + sum(extra.values()) == surplus.amount

    # members: JUA by transactions, JMA by savings.
    for stage, weights, pool, part in (
        ("member_business", va, ShuPool.MEMBER_BUSINESS, "business"),
        ("member_capital", sa, ShuPool.MEMBER_CAPITAL, "capital"),
    ):
        extra = adjustments_of(result, stage)
        if sum(weights) == 0:
            assert extra == {}
            continue
        floors = _floors(result.pools[pool], weights)
        assert sum(floors) + sum(extra.values()) == result.pools[pool].amount
        for member, floor in zip(result.members, floors, strict=True):
            got = getattr(member, part)
            assert got.amount == floor + extra.get(f"member:{member.member}", 0)


@given(
    surpluses,
    splits(),
    member_amounts,
    st.tuples(st.integers(0, 10**9), st.integers(1, 10**9)),
    st.tuples(amounts, amounts),
)
def test_more_transactions_never_get_a_smaller_business_share(
    surplus: Rupiah,
    split: ShuSplit,
    others: dict[int, Rupiah],
    less_and_more_by: tuple[int, int],
    savings_and_non_member: tuple[Rupiah, Rupiah],
) -> None:
    less, more_by = less_and_more_by
    savings, non_member = savings_and_non_member
    transactions = {**others, 1001: Rupiah(less + more_by), 1002: Rupiah(less)}
    transactions_reversed = {**others, 1001: Rupiah(less), 1002: Rupiah(less + more_by)}
    for va in (transactions, transactions_reversed):
        result = distribute_surplus(
            surplus,
            split,
            member_transactions=va,
            member_savings={1001: savings, 1002: savings},
            non_member_transactions=non_member,
        )
        share = {m.member: m for m in result.members}
        rich, poor = (1001, 1002) if va[1001] > va[1002] else (1002, 1001)
        assert share[rich].business >= share[poor].business
        assert abs(share[rich].capital - share[poor].capital) <= Rupiah(1)


# --- input validation -----------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, -1, -5_000_000])
def test_a_loss_or_zero_is_not_distributed(amount: int) -> None:
    with pytest.raises(ValidationError) as caught:
        distribute_surplus(
            Rupiah(amount), ShuSplit.default(), member_transactions={}, member_savings={}
        )
    assert caught.value.fields == ("surplus",)


def test_negative_amounts_name_the_member() -> None:
    with pytest.raises(ValidationError) as caught:
        distribute_surplus(
            Rupiah(0),
            ShuSplit.default(),
            member_transactions={12: Rupiah(-1), 13: Rupiah(5)},
            member_savings={14: Rupiah(-2)},
            non_member_transactions=Rupiah(-3),
        )
    assert caught.value.fields == (
        "surplus",
        "member_transactions[12]",
        "member_savings[14]",
        "non_member_transactions",
    )


def test_member_numbers_must_be_positive_whole_numbers() -> None:
    with pytest.raises(ValidationError) as caught:
        distribute_surplus(
            Rupiah(1),
            ShuSplit.default(),
            member_transactions={0: Rupiah(1)},
            member_savings={"7": Rupiah(1)},  # type: ignore[dict-item]
        )
    assert caught.value.fields == ("member_transactions[0]", "member_savings['7']")


def test_distribution_refuses_amounts_that_do_not_add_up() -> None:
    good = distribute_surplus(
        Rupiah(100),
        ShuSplit.default(),
        member_transactions={1: Rupiah(1)},
        member_savings={1: Rupiah(1)},
    )
    pools = dict(good.pools)
    pools[ShuPool.RESERVE] += Rupiah(1)
    with pytest.raises(ValidationError) as caught:
        ShuDistribution(
            surplus=good.surplus,
            member_surplus=good.member_surplus,
            non_member_surplus=good.non_member_surplus,
            split=good.split,
            pools=pools,
            members=good.members,
            adjustments=good.adjustments,
        )
    assert caught.value.fields == ("pools",)


# --- the split ------------------------------------------------------------------------------


def test_default_split() -> None:
    split = ShuSplit.default()
    assert split.to_json() == {
        "reserve": "40",
        "member_business": "25",
        "member_capital": "15",
        "management": "5",
        "employees": "5",
        "education": "5",
        "social": "2.5",
        "area_development": "2.5",
    }
    assert sum(split.shares.values()) == 10_000
    assert ShuSplit.from_percent(split.to_json()) == split


def test_labels_are_indonesian() -> None:
    assert ShuPool.RESERVE.label_id == "Cadangan"
    assert ShuPool.MEMBER_BUSINESS.label_id == "Jasa usaha anggota"
    assert ShuPool.AREA_DEVELOPMENT.label_id == "Dana pembangunan daerah kerja"
    assert len({p.label_id for p in ShuPool}) == len(ShuPool)


def test_missing_pools_are_zero() -> None:
    split = ShuSplit({ShuPool.RESERVE: 10_000})
    assert list(split.shares) == list(ShuPool)
    assert split.shares[ShuPool.SOCIAL] == 0
    assert split.percent(ShuPool.SOCIAL) == "0"


@pytest.mark.parametrize(
    ("percent", "basis_points", "text"),
    [
        ("40", 4_000, "40"),
        (40, 4_000, "40"),
        ("2.5", 250, "2.5"),
        ("2.50", 250, "2.5"),
        ("2.25", 225, "2.25"),
        ("0.05", 5, "0.05"),
        (" 7.1 ", 710, "7.1"),
    ],
)
def test_percentages(percent: str | int, basis_points: int, text: str) -> None:
    rest = 10_000 - basis_points
    split = ShuSplit.from_percent({"social": percent, "reserve": f"{rest // 100}.{rest % 100:02d}"})
    assert split.shares[ShuPool.SOCIAL] == basis_points
    assert split.percent(ShuPool.SOCIAL) == text


@pytest.mark.parametrize(
    ("percents", "field", "rule"),
    [
        ({"reserve": "60", "social": "30"}, "split", "add up to 90%"),
        ({"reserve": "100.5"}, "split", "add up to 100.5%"),
        ({"reserve": "110", "social": "-10"}, "split.social", "at least 0"),
        ({"reserve": "96.125", "social": "3"}, "split.reserve", "at most 2 decimals"),
        ({"reserve": "90", "sports": "10"}, "split.sports", "is not a pool"),
        ({"reserve": "ninety", "social": "10"}, "split.reserve", "not a percentage"),
        ({"reserve": 99.5, "social": "0.5"}, "split.reserve", "percentage as text"),
        ({"reserve": True}, "split.reserve", "percentage as text"),
    ],
)
def test_bad_splits_name_the_field(percents: Mapping[str, object], field: str, rule: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ShuSplit.from_percent(percents)  # type: ignore[arg-type]
    assert caught.value.fields == (field,)
    assert rule in str(caught.value)


def test_bad_shares_name_the_field() -> None:
    with pytest.raises(ValidationError) as caught:
        ShuSplit({ShuPool.RESERVE: 10_500, ShuPool.SOCIAL: -500})
    assert caught.value.fields == ("split.social",)
    with pytest.raises(ValidationError) as caught:
        ShuSplit({ShuPool.RESERVE: 9_999})
    assert caught.value.fields == ("split",)
    assert "99.99%" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        ShuSplit({"bonus": 10_000})  # type: ignore[dict-item]
    assert caught.value.fields == ("split.bonus",)


@given(splits())
def test_percent_text_round_trips(split: ShuSplit) -> None:
    assert ShuSplit.from_percent(split.to_json()) == split
    for pool in ShuPool:
        assert "." not in split.percent(pool) or not split.percent(pool).endswith("0")
