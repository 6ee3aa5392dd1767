from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import smartcity_kit.core._pii as pii
from smartcity_kit.core import (
    Nik,
    Nkk,
    PhoneNumber,
    Pseudonymiser,
    find_personal_data,
    mask_name,
    mask_nik,
)
from smartcity_kit.errors import ValidationError
from smartcity_kit.testing import strategies as city_st

KEY = b"k" * 32


def test_pseudonyms_are_stable_and_keyed() -> None:
    nik = Nik.parse("7371105508950001")
    a = Pseudonymiser(KEY)
    assert a.pseudonym(nik) == Pseudonymiser(KEY).pseudonym(Nik.parse("7371-1055-0895-0001"))
    assert a.pseudonym(nik) != Pseudonymiser(b"j" * 32).pseudonym(nik)
    assert re.fullmatch(r"[0-9a-f]{64}", a.pseudonym(nik))


def test_kinds_are_kept_apart() -> None:
    p = Pseudonymiser(KEY)
    digits = "7371101205080003"
    assert p.pseudonym(Nik.parse(digits)) != p.pseudonym(Nkk.parse(digits))
    assert p.pseudonym(digits) != p.pseudonym(digits, kind="Nik")
    assert p.pseudonym(Nik.parse(digits)) == p.pseudonym(digits, kind="Nik")


def test_key_is_checked_and_never_shown() -> None:
    with pytest.raises(ValidationError, match="at least 16 bytes"):
        Pseudonymiser(b"short")
    with pytest.raises(ValidationError, match="bytes"):
        Pseudonymiser("a string key that is long enough")  # type: ignore[arg-type]
    secret = b"super-secret-key-1234567890"
    p = Pseudonymiser(secret)
    assert "super-secret" not in repr(p)
    assert not hasattr(p, "__dict__")


@given(city_st.niks(), city_st.niks())
def test_different_niks_get_different_pseudonyms(a: Nik, b: Nik) -> None:
    p = Pseudonymiser(KEY)
    assert (p.pseudonym(a) == p.pseudonym(b)) == (a == b)
    assert a.reveal() not in p.pseudonym(a)


def test_mask_helpers() -> None:
    assert mask_nik("7371105508950001") == "737110******0001"
    assert mask_name("Andi Nurhaliza Daeng") == "A*** N*** D***"
    assert mask_name("  ") == ""


@given(city_st.phone_numbers())
def test_phone_pseudonym_ignores_spelling(phone: PhoneNumber) -> None:
    p = Pseudonymiser(KEY)
    national = "0" + phone.reveal()[3:]
    assert p.pseudonym(PhoneNumber.parse(national)) == p.pseudonym(phone)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("NIK saya 7371105508950001", "NIK"),
        ("ref 0013000666091000", "NPWP"),
        ("hubungi 0411 452 870", "PHONE"),
        ("warga@example.com", "EMAIL"),
        ("Lubang 2 meter di Jl. Veteran No. 12, RT 003/RW 005", None),
        ("laporan 1042, biaya Rp1.500.000, pukul 2026-11-23T09:00:00+08:00", None),
    ],
)
def test_find_personal_data(text: str, kind: str | None) -> None:
    assert find_personal_data(text) == kind


@given(city_st.niks(), city_st.phone_numbers())
def test_any_real_number_is_found(nik: Nik, phone: PhoneNumber) -> None:
    assert find_personal_data(f"pelapor {nik.reveal()}") in ("NIK", "KK", "NPWP")
    national = "0" + phone.reveal()[3:]
    assert find_personal_data(f"telp {national}") == "PHONE"


@given(st.datetimes(timezones=st.just(dt.UTC)))
def test_timestamps_are_not_personal_data(instant: dt.datetime) -> None:
    # "...:09.045414" once read as a phone number and made the audit log refuse ISO times.
    assert find_personal_data(f"granted {instant.isoformat()}") is None
    assert find_personal_data(f"at {instant.isoformat(sep=' ')} telp 0812-3456-7890") == "PHONE"


@given(city_st.niks())
def test_find_personal_data_answers_the_same_when_asked_again(nik: Nik) -> None:
    # Short texts found clean are remembered; personal data is found every time it is asked.
    personal = f"pelapor {nik.reveal()}"
    clean = "key:20261123ab"  # a run of digits that is no personal number
    for _ in range(2):
        assert find_personal_data(personal) in ("NIK", "KK", "NPWP")
        assert find_personal_data(clean) is None
    assert personal not in pii._clean
    assert clean in pii._clean
