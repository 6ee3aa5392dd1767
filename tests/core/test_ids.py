from __future__ import annotations

import contextlib
import datetime as dt
import re
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartcity_kit.core import Nib, Nik, Nkk, Npwp, PhoneNumber, RegionCode, Sex
from smartcity_kit.errors import UnknownRegionWarning, ValidationError
from smartcity_kit.testing import strategies as city_st

MAKASSAR_WOMAN = "7371105508950001"


class TestNik:
    def test_reads_what_the_number_encodes(self) -> None:
        nik = Nik.parse(MAKASSAR_WOMAN)
        assert nik.issuing_region == RegionCode("73.71.10")
        assert nik.birth_date == dt.date(1995, 8, 15)
        assert nik.sex is Sex.FEMALE
        assert nik.serial == "0001"
        assert nik.issuing_region_known

    def test_a_man_has_no_40_added(self) -> None:
        nik = Nik.parse("7371101508950002")
        assert nik.sex is Sex.MALE
        assert nik.birth_date == dt.date(1995, 8, 15)

    @pytest.mark.parametrize(
        "spelling",
        ["7371 1055 0895 0001", "737110.550895.0001", "7371-1055-0895-0001", " 7371105508950001 "],
    )
    def test_accepts_common_spellings(self, spelling: str) -> None:
        assert Nik.parse(spelling) == Nik.parse(MAKASSAR_WOMAN)

    @pytest.mark.parametrize(
        ("text", "rule"),
        [
            ("737110550895001", "must be 16 digits"),
            ("73711055089500011", "must be 16 digits"),
            ("7371105508950a01", "must be 16 digits"),
            ("７３７１１０５５０８９５０００１", "must be 16 digits"),  # full-width digits
            ("9971105508950001", "not a province code"),
            ("7300105508950001", "must not be 00"),
            ("7371005508950001", "must not be 00"),
            ("7371103508950001", "not a real birth date"),  # day 35: neither man nor woman
            ("7371107208950001", "not a real birth date"),  # day 72 - 40 = 32
            ("7371101513950001", "not a real birth date"),  # month 13
            ("7371106902950001", "not a real birth date"),  # 29 Feb 1995 (female)
            ("7371105508950000", "serial number"),
        ],
    )
    def test_names_the_rule_that_failed(self, text: str, rule: str) -> None:
        with pytest.raises(ValidationError) as info:
            Nik.parse(text)
        assert info.value.fields == ("nik",)
        assert rule in str(info.value)

    def test_leap_day_is_a_real_birth_date(self) -> None:
        assert Nik.parse("7371106902000001").birth_date == dt.date(2000, 2, 29)

    def test_refuses_non_text(self) -> None:
        with pytest.raises(ValidationError):
            Nik.parse(7371105508950001)  # type: ignore[arg-type]

    def test_error_messages_never_repeat_the_digits(self) -> None:
        for text in ("7371103508950001", "7371105508950000", "9971105508950001"):
            with pytest.raises(ValidationError) as info:
                Nik.parse(text)
            assert not re.search(r"\d{5,}", str(info.value))

    def test_century_is_the_latest_that_is_not_in_the_future(self) -> None:
        nik = Nik.parse("7371101501250001")  # 15 January, yy=25
        assert nik.birth_date_as_of(dt.date(2026, 11, 23)) == dt.date(2025, 1, 15)
        assert nik.birth_date_as_of(dt.date(2025, 1, 14)) == dt.date(1925, 1, 15)
        # A date later this year is last century, never a birth in the future.
        late = Nik.parse("7371101512260001")  # 15 December, yy=26
        assert late.birth_date_as_of(dt.date(2026, 11, 23)) == dt.date(1926, 12, 15)

    def test_unknown_district_is_a_warning_not_an_error(self) -> None:
        with pytest.warns(UnknownRegionWarning, match="73.71.99"):
            nik = Nik.parse("7371995508950001")
        assert not nik.issuing_region_known
        assert nik.reveal() == "7371995508950001"

    def test_known_district_gives_no_warning(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            Nik.parse(MAKASSAR_WOMAN)

    def test_masked_in_str_repr_and_format(self) -> None:
        nik = Nik.parse(MAKASSAR_WOMAN)
        assert str(nik) == "737110******0001"
        assert repr(nik) == "Nik('737110******0001')"
        assert f"{nik}" == "737110******0001"
        assert MAKASSAR_WOMAN not in f"{nik!r} {nik!s} {[nik]} { ({'n': nik}) }"
        assert nik.reveal() == MAKASSAR_WOMAN

    def test_constructor_checks_the_rules_too(self) -> None:
        with pytest.raises(ValidationError, match="serial"):
            Nik("7371105508950000")

    def test_is_frozen_and_hashable(self) -> None:
        nik = Nik.parse(MAKASSAR_WOMAN)
        assert len({nik, Nik.parse("7371 1055 0895 0001")}) == 1
        with pytest.raises(AttributeError):
            nik._digits = "7371105508950002"  # type: ignore[misc]

    @given(city_st.niks())
    def test_round_trips_through_parse(self, nik: Nik) -> None:
        assert Nik.parse(nik.reveal()) == nik

    @given(city_st.niks())
    def test_mask_never_shows_the_birth_date(self, nik: Nik) -> None:
        digits = nik.reveal()
        masked = str(nik)
        assert masked == digits[:6] + "******" + digits[12:]
        assert digits[6:12] not in masked.replace("*", "")[6:]
        assert repr(nik) == f"Nik({masked!r})"

    @given(city_st.niks(sex=Sex.FEMALE))
    def test_strategy_for_women(self, nik: Nik) -> None:
        assert nik.sex is Sex.FEMALE

    @given(city_st.niks(within=RegionCode("74.72")))
    def test_strategy_within_a_city(self, nik: Nik) -> None:
        assert RegionCode("74.72").contains(nik.issuing_region)
        assert nik.birth_date <= dt.datetime.now(dt.UTC).date()


class TestNkk:
    def test_date_part_has_no_40_added(self) -> None:
        nkk = Nkk.parse("7371101205080003")
        assert nkk.entered_on == dt.date(2008, 5, 12)
        assert nkk.region == RegionCode("73.71.10")

    def test_a_day_over_40_is_not_a_date(self) -> None:
        with pytest.raises(ValidationError, match="not a real date"):
            Nkk.parse("7371105205080003")

    def test_masked(self) -> None:
        nkk = Nkk.parse("7371101205080003")
        assert repr(nkk) == "Nkk('737110******0003')"
        assert nkk.reveal() == "7371101205080003"

    @given(city_st.nkks())
    def test_round_trips_and_masks(self, nkk: Nkk) -> None:
        assert Nkk.parse(nkk.reveal()) == nkk
        assert nkk.reveal()[6:12] not in str(nkk)[6:]


class TestNpwp:
    def test_old_15_digit_form_becomes_16_digits(self) -> None:
        npwp = Npwp.parse("01.300.066.6-091.000")
        assert npwp.reveal() == "0013000666091000"
        assert npwp.formatted() == "01.300.066.6-091.000"
        assert npwp.kind == "entity"
        assert npwp == Npwp.parse("0013000666091000")

    def test_wrong_check_digit_is_named(self) -> None:
        with pytest.raises(ValidationError, match="check digit"):
            Npwp.parse("01.300.066.7-091.000")

    def test_nik_as_npwp(self) -> None:
        npwp = Npwp.parse(MAKASSAR_WOMAN)
        assert npwp.kind == "individual_nik"
        assert str(npwp) == "737110******0001"
        assert npwp.formatted() == MAKASSAR_WOMAN

    def test_nik_as_npwp_must_be_a_valid_nik(self) -> None:
        with pytest.raises(ValidationError, match="is a NIK, and the serial"):
            Npwp.parse("7371105508950000")

    @pytest.mark.parametrize("text", ["1234", "01.300.066.6-091.00", "01.300.066.6-091.0000x"])
    def test_wrong_length(self, text: str) -> None:
        with pytest.raises(ValidationError, match="15 or 16 digits"):
            Npwp.parse(text)

    def test_masked_keeps_type_and_branch_only(self) -> None:
        npwp = Npwp.parse("01.300.066.6-091.000")
        assert repr(npwp) == "Npwp('001*********1000')"

    @given(city_st.npwps())
    def test_round_trips_through_parse(self, npwp: Npwp) -> None:
        assert Npwp.parse(npwp.reveal()) == npwp
        if npwp.kind == "entity":
            assert Npwp.parse(npwp.formatted()) == npwp

    @given(city_st.npwps(kind="entity"))
    def test_mask_hides_the_serial_and_check_digit(self, npwp: Npwp) -> None:
        masked = str(npwp)
        assert masked[3:12] == "*" * 9
        assert masked[:3] + masked[12:] == npwp.reveal()[:3] + npwp.reveal()[12:]

    def test_strategy_kind_is_checked(self) -> None:
        with pytest.raises(ValueError, match="kind"):
            city_st.npwps(kind="company")


class TestNib:
    def test_thirteen_digits(self) -> None:
        assert str(Nib.parse("9120 0012 3456 7")) == "9120001234567"

    @pytest.mark.parametrize("text", ["912000123456", "91200012345678", "0000000000000", "x"])
    def test_refuses_other_shapes(self, text: str) -> None:
        with pytest.raises(ValidationError) as info:
            Nib.parse(text)
        assert info.value.fields == ("nib",)

    @given(city_st.nibs())
    def test_round_trips(self, nib: Nib) -> None:
        assert Nib.parse(str(nib)) == nib


class TestPhoneNumber:
    @pytest.mark.parametrize("text", ["0812-3456-7890", "+62 812 3456 7890", "6281234567890"])
    def test_reads_common_spellings(self, text: str) -> None:
        phone = PhoneNumber.parse(text)
        assert phone.reveal() == "+6281234567890"
        assert phone.type == "mobile"
        assert str(phone) == "0812****7890"

    def test_landline(self) -> None:
        assert PhoneNumber.parse("(0411) 123456").type == "landline"

    @pytest.mark.parametrize("text", ["12345", "0812-345", "+1 202 555 0100", "nomor saya"])
    def test_refuses_what_is_not_a_number(self, text: str) -> None:
        with pytest.raises(ValidationError) as info:
            PhoneNumber.parse(text)
        assert info.value.fields == ("phone",)
        assert "0812" not in str(info.value).replace("0812-3456-7890", "")

    def test_constructor_wants_e164(self) -> None:
        with pytest.raises(ValidationError, match=r"E\.164"):
            PhoneNumber("081234567890")

    @given(city_st.phone_numbers())
    def test_round_trips_and_masks(self, phone: PhoneNumber) -> None:
        assert PhoneNumber.parse(phone.reveal()) == phone
        national = "0" + phone.reveal()[3:]
        masked = str(phone)
        assert masked.startswith(national[:4])
        assert masked.endswith(national[-4:])
        assert "*" in masked
        assert phone.reveal() not in repr(phone)
        assert national not in repr(phone)


@given(st.text(max_size=30))
def test_parsers_raise_only_validation_errors(text: str) -> None:
    for parse in (Nik.parse, Nkk.parse, Npwp.parse, Nib.parse, PhoneNumber.parse):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnknownRegionWarning)
            with contextlib.suppress(ValidationError):
                parse(text)
