from __future__ import annotations

import pytest
from hypothesis import given

from smartcity_kit.core import Region, RegionCode, RegionKind, RegionLevel
from smartcity_kit.errors import NotFoundError, ValidationError
from smartcity_kit.testing import strategies as city_st


class TestRegionCode:
    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ("73.71", "73.71"),
            ("7371", "73.71"),
            ("73 71", "73.71"),
            (" 73.71.10 ", "73.71.10"),
            ("7371031001", "73.71.03.1001"),
            ("73", "73"),
        ],
    )
    def test_parses_spellings(self, text: str, value: str) -> None:
        assert RegionCode.parse(text).value == value

    @pytest.mark.parametrize(
        ("text", "rule"),
        [
            ("737", "2, 4, 6 or 10 digits"),
            ("73.7", "segment 2 must be 2 digits"),
            ("73.00", "must not be all zeros"),
            ("73.71.03.4001", r"must start with 1 \(kelurahan\)"),
            ("73.71.03.1001.1", "1 to 4 segments"),
            ("ab.cd", "segment 1 must be 2 digits"),
        ],
    )
    def test_malformed_codes_name_the_rule(self, text: str, rule: str) -> None:
        with pytest.raises(ValidationError, match=rule) as info:
            RegionCode.parse(text)
        assert info.value.fields == ("region_code",)

    def test_unknown_code_is_a_clear_error(self) -> None:
        with pytest.raises(ValidationError, match=r"73\.99 is not a region in the Kepmendagri"):
            RegionCode.parse("73.99")

    def test_shape_only_when_asked(self) -> None:
        code = RegionCode.parse("73.99", must_exist=False)
        assert not code.exists

    def test_constructor_checks_shape(self) -> None:
        with pytest.raises(ValidationError):
            RegionCode("7371")

    def test_levels_and_kinds(self) -> None:
        assert RegionCode("73").kind is RegionKind.PROVINSI
        assert RegionCode("73.71").kind is RegionKind.KOTA
        assert RegionCode("73.06").kind is RegionKind.KABUPATEN
        assert RegionCode("73.71.10").kind is RegionKind.KECAMATAN
        assert RegionCode("91.01.01").kind is RegionKind.DISTRIK
        assert RegionCode("73.71.03.1001").kind is RegionKind.KELURAHAN
        assert RegionCode("73.06.01.2004").kind is RegionKind.DESA
        assert RegionCode("91.03.01.3007").kind is RegionKind.DESA_ADAT
        assert RegionCode("73.71.03.1001").level is RegionLevel.VILLAGE

    def test_parents_and_containment(self) -> None:
        village = RegionCode("73.71.03.1001")
        assert village.parent == RegionCode("73.71.03")
        assert RegionCode("73").parent is None
        assert village.ancestors() == (
            RegionCode("73"),
            RegionCode("73.71"),
            RegionCode("73.71.03"),
        )
        assert village.province == RegionCode("73")
        assert RegionCode("73.71").contains(village)
        assert not RegionCode("73.72").contains(village)
        assert not RegionCode("73.71.03").contains(RegionCode("73.71.30"))

    def test_orders_by_code(self) -> None:
        codes = [RegionCode("74.72"), RegionCode("73.71.10"), RegionCode("73.71")]
        assert [c.value for c in sorted(codes)] == ["73.71", "73.71.10", "74.72"]

    @given(city_st.region_codes())
    def test_round_trips_through_parse(self, code: RegionCode) -> None:
        assert RegionCode.parse(str(code)) == code
        assert RegionCode.parse(code.value.replace(".", "")) == code
        assert code.exists


class TestRegion:
    def test_makassar_has_15_kecamatan(self) -> None:
        makassar = Region.get("73.71")
        assert makassar.name == "Kota Makassar"
        children = makassar.children()
        assert len(children) == 15
        assert children[0].name == "Mariso"
        assert children[-1].name == "Kepulauan Sangkarrang"
        assert all(c.kind is RegionKind.KECAMATAN for c in children)

    def test_baubau_has_8_kecamatan(self) -> None:
        names = [r.name for r in Region.get("74.72").children()]
        assert names == [
            "Betoambari",
            "Wolio",
            "Sorawolio",
            "Bungi",
            "Kokalukuna",
            "Murhum",
            "Lea-Lea",
            "Batupoaro",
        ]

    @pytest.mark.parametrize(
        ("code", "count"), [("81.72", 5), ("33.72", 5), ("34.71", 14), ("16.71", 18)]
    )
    def test_partner_cities_kecamatan(self, code: str, count: int) -> None:
        assert len(Region.get(code).children()) == count

    def test_village_has_postal_code_and_no_children(self) -> None:
        village = Region.get("73.71.03.1001")
        assert village.name == "Maricaya"
        assert village.postal_code == "90142"
        assert village.children() == []
        assert [r.name for r in village.ancestors()] == [
            "Sulawesi Selatan",
            "Kota Makassar",
            "Makassar",
        ]
        assert village.parent() == Region.get("73.71.03")

    def test_province_has_no_parent(self) -> None:
        assert Region.get("73").parent() is None

    def test_unknown_region_is_not_found(self) -> None:
        with pytest.raises(NotFoundError, match=r"73\.99"):
            Region.get("73.99")

    def test_malformed_code_is_a_validation_error(self) -> None:
        with pytest.raises(ValidationError):
            Region.get("7")

    def test_search(self) -> None:
        found = Region.search("makassar", level=RegionLevel.REGENCY)
        assert [r.code.value for r in found] == ["73.71"]
        inside = Region.search("maricaya", within="73.71.03")
        assert [r.name for r in inside] == ["Maricaya", "Maricaya Baru"]

    def test_postal_codes(self) -> None:
        assert Region.get("73.71.05").postal_codes() == ["90171", "90172", "90173", "90174"]
        assert {r.code.value for r in Region.with_postal_code("90142")} >= {"73.71.03.1001"}
        assert Region.with_postal_code("abc") == []
