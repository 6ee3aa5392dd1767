"""The project's one cattrs converter: JSON-ready, strict, with readable errors."""

from __future__ import annotations

import datetime as dt
import enum
from collections import abc
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, get_args, get_origin

from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.preconf.json import JsonConverter, configure_converter

from smartcity_kit.core._geo import GeoPoint
from smartcity_kit.core._ids import Nib, Nik, Nkk, Npwp, PhoneNumber
from smartcity_kit.core._money import Rupiah
from smartcity_kit.core._regions import RegionCode
from smartcity_kit.errors import FieldError, ValidationError

__all__ = ["Converter", "make_converter"]

T = TypeVar("T")


class Converter(JsonConverter):
    """A cattrs JSON converter whose :meth:`structure` raises our :class:`ValidationError`.

    Make one with :func:`make_converter`.
    """

    def structure(self, obj: Any, cl: type[T]) -> T:
        """Turn JSON-ready data into ``cl``.

        Raises:
            ValidationError: Listing every bad field with its path (``address.rt``,
                ``items[2].amount``); personal data in the input is never repeated.
        """
        try:
            return super().structure(obj, cl)
        except (
            BaseValidationError,
            ValidationError,
            ValueError,
            TypeError,
            KeyError,
            AttributeError,
        ) as e:
            raise ValidationError(_field_errors(e, "")) from None


def _join(path: str, part: str) -> str:
    if not part:
        return path
    if not path:
        return part
    return f"{path}{part}" if part.startswith("[") else f"{path}.{part}"


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _field_errors(  # noqa: C901 - one branch per kind of cattrs error
    exc: BaseException, path: str, expected: Any = None
) -> Iterator[FieldError]:
    if isinstance(exc, ClassValidationError | IterableValidationError):
        noted, other = exc.group_exceptions()
        for sub, note in noted:
            if isinstance(note, AttributeValidationNote):
                yield from _field_errors(sub, _join(path, note.name), note.type)
            elif isinstance(note, IterableValidationNote):
                yield from _field_errors(sub, _join(path, f"[{note.index!r}]"), note.type)
        for sub in other:
            yield from _field_errors(sub, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        unknown = ", ".join(sorted(exc.extra_fields))
        yield FieldError(path, f"unknown field(s): {unknown}")
    elif isinstance(exc, ValidationError):
        for err in exc.errors:
            yield FieldError(_join(path, err.path), err.message)
    elif isinstance(exc, KeyError):
        yield FieldError(path, "is required")
    elif isinstance(exc, AttributeError):
        yield FieldError(path, "must be an object (a JSON mapping)")
    elif expected is not None:
        # The messages of ValueError/TypeError may quote the input: never pass them on.
        yield FieldError(path, f"must be a valid {_type_name(expected)}")
    else:
        yield FieldError(path, "has an invalid value")


def _value_hook(parse: Callable[[Any], T]) -> Callable[[Any, Any], T]:
    """A structure hook for a value type: its errors belong to the field it sits in."""

    def hook(value: Any, _: Any) -> T:
        try:
            return parse(value)
        except ValidationError as e:
            raise ValidationError(FieldError("", err.message) for err in e.errors) from None

    return hook


def _strict_str(value: Any, _: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError.single("", "must be text")
    return value


def _strict_int(value: Any, _: Any) -> int:
    if type(value) is not int:
        raise ValidationError.single("", "must be a whole number")
    return value


def _strict_float(value: Any, _: Any) -> float:
    if type(value) not in (int, float):
        raise ValidationError.single("", "must be a number")
    return float(value)


def _strict_bool(value: Any, _: Any) -> bool:
    if type(value) is not bool:
        raise ValidationError.single("", "must be true or false")
    return bool(value)


def _structure_enum(value: Any, cls: Any) -> Any:
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in cls)
        raise ValidationError.single("", f"must be one of {choices}") from None


def _is_set(tp: Any) -> bool:
    return get_origin(tp) in (set, frozenset, abc.Set) or tp in (set, frozenset)


def _unstructure_set_factory(tp: Any, converter: Any) -> Callable[[Any], list[Any]]:
    args = get_args(tp)
    item = converter.get_unstructure_hook(args[0]) if args else converter.unstructure

    def unstructure(value: Any) -> list[Any]:
        items = [item(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items

    return unstructure


def _structure_rupiah(value: Any) -> Rupiah:
    if type(value) is int:
        return Rupiah(value)
    if isinstance(value, str):
        return Rupiah.parse(value)
    raise ValidationError.single("", "must be whole rupiah as an integer (no floats)")


def _structure_datetime(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise ValidationError.single("", "must be an ISO 8601 date-time string with an offset")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError.single(
            "", "must be an ISO 8601 date-time like 2026-11-23T09:00:00+08:00"
        ) from None
    if parsed.tzinfo is None:
        raise ValidationError.single("", "must have a UTC offset (Z, +07:00, +08:00, +09:00)")
    return parsed


def _structure_date(value: Any) -> dt.date:
    if not isinstance(value, str) or len(value) != 10:
        raise ValidationError.single("", "must be an ISO 8601 date like 2026-11-23")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError.single("", "is not a real date (YYYY-MM-DD)") from None


def _unstructure_datetime(value: dt.datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError.single("", "a date-time without a time zone cannot be written")
    return value.isoformat()


def make_converter(*, reveal_personal_data: bool = False) -> Converter:
    """Make the project's converter.

    - Value types become JSON strings (``Nik``, ``Nkk``, ``Npwp``, ``PhoneNumber``, ``Nib``,
      ``RegionCode``), except ``Rupiah`` (an integer of whole rupiah: exact in JSON, never a
      float) and ``GeoPoint`` (a GeoJSON Point).
    - Personal numbers are written masked unless ``reveal_personal_data=True``; use that only for
      storage and for callers allowed to see them. Reading always expects full values.
    - Date-times are ISO 8601 with an offset; a naive one is refused both ways. Dates are ISO 8601.
    - Plain fields are strict: a number is not read as text, ``3.9`` or ``"3"`` is not an int.
      Sets are written as sorted JSON arrays.
    - Unknown keys are refused, and every structuring error becomes one
      :class:`~smartcity_kit.errors.ValidationError` that lists each bad field by path.

    Region codes are read by shape only, so that data stored before a region split still loads;
    check :attr:`RegionCode.exists` where new input must name a current region.

    >>> from smartcity_kit.core import Rupiah
    >>> conv = make_converter()
    >>> conv.unstructure(Rupiah(15_000))
    15000
    >>> conv.structure("7371105508950001", Nik)
    Nik('737110******0001')
    >>> conv.unstructure(Nik.parse("7371105508950001"))
    '737110******0001'
    """
    converter = Converter(forbid_extra_keys=True)
    configure_converter(converter)

    personal: tuple[type[Nik | Nkk | Npwp | PhoneNumber], ...] = (Nik, Nkk, Npwp, PhoneNumber)
    for cls in personal:
        if reveal_personal_data:
            converter.register_unstructure_hook(cls, lambda v: v.reveal())
        else:
            converter.register_unstructure_hook(cls, lambda v: v.masked())
    converter.register_structure_hook(Nik, _value_hook(Nik.parse))
    converter.register_structure_hook(Nkk, _value_hook(Nkk.parse))
    converter.register_structure_hook(Npwp, _value_hook(Npwp.parse))
    converter.register_structure_hook(PhoneNumber, _value_hook(PhoneNumber.parse))

    converter.register_unstructure_hook(Nib, str)
    converter.register_structure_hook(Nib, _value_hook(Nib.parse))
    converter.register_unstructure_hook(RegionCode, str)
    converter.register_structure_hook(
        RegionCode, _value_hook(lambda v: RegionCode.parse(v, must_exist=False))
    )
    converter.register_unstructure_hook(Rupiah, lambda v: v.amount)
    converter.register_structure_hook(Rupiah, _value_hook(_structure_rupiah))
    converter.register_unstructure_hook(GeoPoint, lambda v: v.to_geojson())
    converter.register_structure_hook(GeoPoint, lambda v, _: GeoPoint.from_geojson(v))

    # JSON has no sets, and Python's str()/int() would quietly turn 5 into "5" or 3.9 into 3.
    converter.register_unstructure_hook_factory(_is_set, _unstructure_set_factory)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(float, _strict_float)
    converter.register_structure_hook(bool, _strict_bool)
    # StrEnum and IntEnum subclass str and int: give them their own hook, which comes first.
    for enum_base in (enum.StrEnum, enum.IntEnum, enum.Enum):
        converter.register_structure_hook(enum_base, _structure_enum)

    converter.register_unstructure_hook(dt.datetime, _unstructure_datetime)
    converter.register_structure_hook(dt.datetime, _value_hook(_structure_datetime))
    converter.register_unstructure_hook(dt.date, lambda v: v.isoformat())
    converter.register_structure_hook(dt.date, _value_hook(_structure_date))
    return converter
