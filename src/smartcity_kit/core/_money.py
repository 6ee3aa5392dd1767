"""Rupiah: whole rupiah as an int, arithmetic without floats."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import overload

import attrs
import lokal

from smartcity_kit.errors import ValidationError

__all__ = ["Rupiah"]

# "Rp1.500.000", "Rp 1.500.000,00", "-Rp1.500.000", "Rp-1.500.000", "1500000", "IDR 1.500.000"
_AMOUNT = re.compile(
    r"""^(?P<sign1>-)?\s*(?:rp\.?|idr)?\s*(?P<sign2>-)?\s*
        (?P<int>[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)
        (?:,(?P<frac>[0-9]{1,2}))?$""",
    re.IGNORECASE | re.VERBOSE,
)
#: Rupiah.parse reads at most this many digits (the national budget has 16).
_MAX_PARSED_DIGITS = 24


def _check_int(_instance: object, _attribute: object, value: int) -> None:
    if type(value) is not int:
        raise ValidationError.single("amount", "must be a whole number of rupiah (an int)")


@attrs.frozen(order=True, repr=False)
class Rupiah:
    """An amount of Indonesian rupiah, in whole rupiah.

    Rupiah has no minor unit in practice, so an amount is an ``int``; floats are refused
    everywhere, and no operation produces one. Division is :meth:`split` or :meth:`allocate`, which
    hand out every rupiah.

    >>> price = Rupiah(15_000)
    >>> str(price * 3 + Rupiah.parse("Rp2.500"))
    'Rp47.500'
    >>> Rupiah(100).split(3)
    [Rupiah(34), Rupiah(33), Rupiah(33)]

    Attributes:
        amount: Whole rupiah; negative for a debt or a refund.
    """

    amount: int = attrs.field(validator=_check_int)

    @classmethod
    def zero(cls) -> Rupiah:
        """Rp0."""
        return cls(0)

    @classmethod
    def parse(cls, text: str) -> Rupiah:
        """Read ``Rp1.500.000``, ``Rp 1.500.000,00``, ``-Rp250``, ``IDR 1.500.000`` or ``1500000``.

        Dots group thousands and a comma starts decimals, as Indonesian writing does. Decimals
        must be zero: there are no sen.

        Raises:
            ValidationError: The text is not an amount of whole rupiah, or has more than 24
                digits.
        """
        if not isinstance(text, str):
            raise ValidationError.single("amount", "must be text like 'Rp1.500.000'")
        match = _AMOUNT.fullmatch(text.strip())
        if match is None:
            raise ValidationError.single(
                "amount", "is not an amount like 'Rp1.500.000' or '1500000'"
            )
        if match["sign1"] and match["sign2"]:
            raise ValidationError.single("amount", "has two minus signs")
        if match["frac"] and match["frac"].strip("0"):
            raise ValidationError.single("amount", "has sen: use whole rupiah")
        digits = match["int"].replace(".", "").lstrip("0") or "0"
        if len(digits) > _MAX_PARSED_DIGITS:
            raise ValidationError.single(
                "amount", f"has more than {_MAX_PARSED_DIGITS} digits: no amount is that large"
            )
        value = int(digits)
        return cls(-value if match["sign1"] or match["sign2"] else value)

    @classmethod
    def sum(cls, amounts: Iterable[Rupiah]) -> Rupiah:
        """The total of ``amounts`` (Rp0 for none)."""
        total = 0
        for a in amounts:
            total += _amount_of(a)
        return cls(total)

    def __add__(self, other: Rupiah) -> Rupiah:
        if not isinstance(other, Rupiah):
            return NotImplemented
        return Rupiah(self.amount + other.amount)

    def __sub__(self, other: Rupiah) -> Rupiah:
        if not isinstance(other, Rupiah):
            return NotImplemented
        return Rupiah(self.amount - other.amount)

    def __mul__(self, factor: int) -> Rupiah:
        if type(factor) is not int:
            return NotImplemented
        return Rupiah(self.amount * factor)

    __rmul__ = __mul__

    def __neg__(self) -> Rupiah:
        return Rupiah(-self.amount)

    def __abs__(self) -> Rupiah:
        return Rupiah(abs(self.amount))

    def __bool__(self) -> bool:
        return self.amount != 0

    @overload
    def __floordiv__(self, other: int) -> Rupiah: ...
    @overload
    def __floordiv__(self, other: Rupiah) -> int: ...
    def __floordiv__(self, other: int | Rupiah) -> Rupiah | int:
        if isinstance(other, Rupiah):
            return self.amount // other.amount
        if type(other) is not int:
            return NotImplemented
        return Rupiah(self.amount // other)

    def split(self, parts: int) -> list[Rupiah]:
        """Split into ``parts`` amounts that differ by at most Rp1 and add up exactly."""
        if type(parts) is not int or parts < 1:
            raise ValidationError.single("parts", "must be a whole number of at least 1")
        return self.allocate([1] * parts)

    def allocate(self, weights: Sequence[int]) -> list[Rupiah]:
        """Share out in proportion to whole-number ``weights``; the parts add up exactly.

        Each part is rounded down, and the leftover rupiah go one each to the largest remainders
        (earlier parts first on ties). Used for shares such as SHU pools (percentages as weights).

        >>> Rupiah(1_000).allocate([25, 25, 50])
        [Rupiah(250), Rupiah(250), Rupiah(500)]
        >>> Rupiah(10).allocate([1, 1, 1])
        [Rupiah(4), Rupiah(3), Rupiah(3)]
        """
        if not weights or any(type(w) is not int or w < 0 for w in weights):
            raise ValidationError.single("weights", "must be whole numbers of at least 0")
        total_weight = sum(weights)
        if total_weight == 0:
            raise ValidationError.single("weights", "must not all be 0")
        sign = -1 if self.amount < 0 else 1
        whole = abs(self.amount)
        shares = [whole * w // total_weight for w in weights]
        remainders = [whole * w % total_weight for w in weights]
        leftover = whole - sum(shares)
        by_remainder = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
        for i in by_remainder[:leftover]:
            shares[i] += 1
        return [Rupiah(sign * s) for s in shares]

    def format(self, *, symbol: bool = True) -> str:
        """``Rp1.500.000`` (``-Rp1.500.000`` when negative); ``1.500.000`` without the symbol."""
        return lokal.format_rupiah(self.amount, symbol=symbol)

    def words(self) -> str:
        """The amount in Indonesian words (terbilang), as written on receipts.

        >>> Rupiah(1_500_000).words()
        'satu juta lima ratus ribu rupiah'
        """
        text = lokal.terbilang(abs(self.amount))
        return f"{'minus ' if self.amount < 0 else ''}{text} rupiah"

    def __str__(self) -> str:
        return self.format()

    def __repr__(self) -> str:
        return f"Rupiah({self.amount})"

    def __int__(self) -> int:
        return self.amount


def _amount_of(value: object) -> int:
    if not isinstance(value, Rupiah):
        raise ValidationError.single("amount", "must be a Rupiah")
    return value.amount
