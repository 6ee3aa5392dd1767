from __future__ import annotations

import pytest

from smartcity_kit import errors
from smartcity_kit.errors import FieldError, SmartCityError, ValidationError


def test_every_error_is_a_smartcity_error() -> None:
    for name in errors.__all__:
        cls = getattr(errors, name)
        if isinstance(cls, type) and issubclass(cls, Exception) and not issubclass(cls, Warning):
            assert issubclass(cls, SmartCityError), name


def test_device_errors_share_a_parent() -> None:
    for cls in (
        errors.DeviceUnreachableError,
        errors.DeviceAuthError,
        errors.DeviceProtocolError,
    ):
        assert issubclass(cls, errors.DeviceError)


def test_validation_error_lists_every_field() -> None:
    e = ValidationError([FieldError("rt", "must be 1 to 999"), FieldError("rw", "too big")])
    assert str(e) == "rt: must be 1 to 999; rw: too big"
    assert e.fields == ("rt", "rw")
    assert isinstance(e, ValueError)


def test_validation_error_without_problems_still_says_something() -> None:
    assert str(ValidationError([])) == "invalid input"


def test_prefixed_places_paths_under_a_parent() -> None:
    e = ValidationError([FieldError("rt", "bad"), FieldError("", "whole thing bad")])
    assert [str(x) for x in e.prefixed("address").errors] == [
        "address.rt: bad",
        "address: whole thing bad",
    ]


def test_single_is_one_field_error() -> None:
    with pytest.raises(ValidationError) as info:
        raise ValidationError.single("nik", "must be 16 digits")
    assert info.value.errors == (FieldError("nik", "must be 16 digits"),)
