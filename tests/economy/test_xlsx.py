"""The XLSX writer, read back with openpyxl: an independent reader, as Excel and LibreOffice are."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import PurePosixPath
from typing import Any

import defusedxml.ElementTree as SafeET
import openpyxl  # type: ignore[import-untyped]  # no stubs in the dev venv
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from openpyxl.utils.escape import unescape  # type: ignore[import-untyped]
from openpyxl.workbook.workbook import Workbook  # type: ignore[import-untyped]
from openpyxl.worksheet.worksheet import Worksheet  # type: ignore[import-untyped]

from smartcity_kit.core import Rupiah, TimeZone
from smartcity_kit.economy._xlsx import (
    MAX_NUMBER,
    Cell,
    Sheet,
    _column_letters,
    write_xlsx,
)
from smartcity_kit.errors import ValidationError

CREATED = dt.datetime(2026, 1, 31, 9, 30, 15, tzinfo=dt.UTC)
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def load(data: bytes) -> Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def sheet_of(data: bytes, name: str | None = None) -> Worksheet:
    workbook = load(data)
    worksheet = workbook[name] if name is not None else workbook.worksheets[0]
    assert isinstance(worksheet, Worksheet)
    return worksheet


def write(*sheets: Sheet, **kwargs: Any) -> bytes:
    return write_xlsx(sheets, created=kwargs.pop("created", CREATED), **kwargs)


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def xml_legal(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry (written here from the spec)."""
    return "".join(
        ch
        for ch in text
        if ch in "\t\n\r"
        or 0x20 <= ord(ch) <= 0xD7FF
        or 0xE000 <= ord(ch) <= 0xFFFD
        or ord(ch) >= 0x10000
    )


def shown_text(value: object) -> object:
    """A string as Excel shows it: openpyxl does not decode OOXML's ``_xHHHH_`` escapes."""
    return unescape(value) if isinstance(value, str) else value


STATEMENT = Sheet(
    "Neraca",
    [
        ["Neraca BUMDes Maju", None, None],
        ["Akun", "Jumlah", "Per tanggal"],
        ["Kas", Rupiah(1_500_000), dt.date(2026, 1, 31)],
        ["Utang usaha", Rupiah(-250_000), dt.date(2025, 12, 31)],
        ["Jumlah", Rupiah(1_250_000), None],
        ["Anggota", 42],
    ],
    column_widths=(30, 18, 14),
    bold_rows=frozenset({0, 1, 4}),
)


# --- reading back ---------------------------------------------------------------------------


def test_values_and_types_read_back() -> None:
    ws = sheet_of(write(STATEMENT))
    assert ws.title == "Neraca"
    assert ws["A1"].value == "Neraca BUMDes Maju"
    assert ws["A1"].data_type == "s"
    assert ws["B3"].value == 1_500_000
    assert type(ws["B3"].value) is int
    assert ws["B4"].value == -250_000
    assert ws["C3"].value == dt.datetime.combine(dt.date(2026, 1, 31), dt.time())
    assert ws["C3"].is_date
    assert ws["C4"].value == dt.datetime.combine(dt.date(2025, 12, 31), dt.time())
    assert ws["B6"].value == 42
    assert type(ws["B6"].value) is int
    assert ws["B1"].value is None
    assert ws["C5"].value is None
    assert ws.max_row == 6
    assert ws.max_column == 3


def test_amounts_have_an_accounting_format() -> None:
    ws = sheet_of(write(STATEMENT))
    for ref in ("B3", "B4", "B5"):
        fmt = ws[ref].number_format
        assert "#,##0" in fmt
        positive, negative = fmt.split(";")[:2]
        assert "#,##0" in positive
        assert negative.startswith("(")
        assert negative.endswith(")")
        assert not ws[ref].is_date
    # A plain int is a number without the amount format.
    assert ws["B6"].number_format == "General"


def test_dates_are_serial_numbers_in_day_month_year() -> None:
    ws = sheet_of(write(STATEMENT))
    assert ws["C3"].number_format == "dd/mm/yyyy"
    sheet_xml = members(write(STATEMENT))["xl/worksheets/sheet1.xml"].decode()
    # 31 January 2026 is day 46053 of Excel's 1900 date system.
    assert '<c r="C3" s="4"><v>46053</v></c>' in sheet_xml


@pytest.mark.parametrize(
    ("day", "serial"),
    [(dt.date(1900, 3, 1), 61), (dt.date(2000, 1, 1), 36526), (dt.date(9999, 12, 31), 2958465)],
)
def test_date_serials_match_excel(day: dt.date, serial: int) -> None:
    data = write(Sheet("S", [[day]]))
    assert f"<v>{serial}</v>" in members(data)["xl/worksheets/sheet1.xml"].decode()
    assert sheet_of(data)["A1"].value == dt.datetime.combine(day, dt.time())


def test_bold_rows_are_bold_and_others_not() -> None:
    ws = sheet_of(write(STATEMENT))
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None:
                assert cell.font.b is (cell.row - 1 in STATEMENT.bold_rows), cell.coordinate
    # Bold keeps each kind's number format.
    assert ws["B5"].font.b
    assert "#,##0" in ws["B5"].number_format


def test_bold_dates_keep_their_format() -> None:
    ws = sheet_of(write(Sheet("S", [[dt.date(2026, 2, 1), Rupiah(5)]], bold_rows={0})))
    assert ws["A1"].font.b
    assert ws["A1"].is_date
    assert ws["B1"].font.b
    assert "#,##0" in ws["B1"].number_format


def test_column_widths() -> None:
    ws = sheet_of(write(STATEMENT))
    assert ws.column_dimensions["A"].width == 30
    assert ws.column_dimensions["B"].width == 18
    assert ws.column_dimensions["C"].width == 14
    assert ws.column_dimensions["A"].customWidth


def test_prints_on_a4_one_page_wide() -> None:
    ws = sheet_of(write(STATEMENT))
    assert ws.page_setup.paperSize == 9
    assert ws.page_setup.orientation == "portrait"
    assert ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr is not None
    assert ws.sheet_properties.pageSetUpPr.fitToPage


def test_landscape() -> None:
    ws = sheet_of(write(Sheet("Lebar", [["a"]], landscape=True)))
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9


def test_sheet_names_and_order() -> None:
    names = ["Neraca", "Laba & Rugi", "Arus <Kas>", 'Catatan "1"', "Perubahan Ekuitas 2026"]
    data = write(*(Sheet(name, [[name]]) for name in names))
    workbook = load(data)
    assert workbook.sheetnames == names
    for name in names:
        assert sheet_of(data, name)["A1"].value == name


def test_a_name_of_31_characters_is_allowed() -> None:
    name = "N" * 31
    assert load(write(Sheet(name, [])))[name].title == name


def test_document_properties() -> None:
    workbook = load(write(STATEMENT, title="Neraca & Laba <2026>", creator="BUMDes Maju"))
    assert workbook.properties.title == "Neraca & Laba <2026>"
    assert workbook.properties.creator == "BUMDes Maju"
    # openpyxl gives the UTC time without a zone.
    assert workbook.properties.created.replace(tzinfo=dt.UTC) == CREATED


def test_default_creator_and_no_title() -> None:
    workbook = load(write(STATEMENT))
    assert workbook.properties.creator == "smartcity-kit"
    assert workbook.properties.title is None


def test_created_is_written_in_utc() -> None:
    local = dt.datetime(2026, 1, 31, 17, 30, 15, 999, tzinfo=TimeZone.WITA.zone)
    workbook = load(write(STATEMENT, created=local))
    assert workbook.properties.created.replace(tzinfo=dt.UTC) == CREATED
    core = members(write(STATEMENT, created=local))["docProps/core.xml"].decode()
    assert ">2026-01-31T09:30:15Z<" in core


def test_columns_beyond_z() -> None:
    row = list(range(60))
    ws = sheet_of(write(Sheet("Lebar", [row], column_widths=[5] * 30)))
    assert ws["Z1"].value == 25
    assert ws["AA1"].value == 26
    assert ws["AB1"].value == 27
    assert ws["BH1"].value == 59
    assert [cell.value for cell in ws[1]] == row
    assert ws.column_dimensions["AD"].width == 5


def test_column_letters_match_openpyxl() -> None:
    for index in range(16_384):
        assert _column_letters(index) == get_column_letter(index + 1)


def test_empty_sheet_and_rows_of_any_iterable() -> None:
    data = write(Sheet("Kosong", []), Sheet("Gen", (iter([1, 2]) for _ in range(2))))
    assert sheet_of(data, "Kosong")["A1"].value is None
    assert [[c.value for c in row] for row in sheet_of(data, "Gen").iter_rows()] == [
        [1, 2],
        [1, 2],
    ]
    assert Sheet("Gen", ([1], [2])).rows == ((1,), (2,))


# --- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["=1+1", '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1", "-2", "@SUM(1)"]
)
def test_formulas_are_written_as_text(text: str) -> None:
    data = write(Sheet("S", [[text]]))
    ws = sheet_of(data)
    assert ws["A1"].value == text
    assert ws["A1"].data_type == "s"
    sheet_xml = SafeET.fromstring(members(data)["xl/worksheets/sheet1.xml"])
    assert sheet_xml.find(f".//{MAIN}f") is None


def test_text_is_escaped_and_spaces_kept() -> None:
    texts = ["  indented", "trailing  ", "a & b < c > d", "]]>", "tab\there", "two\nlines"]
    ws = sheet_of(write(Sheet("S", [[t] for t in texts])))
    assert [ws.cell(row=i + 1, column=1).value for i in range(len(texts))] == texts


def test_carriage_returns_survive_xml_line_end_normalisation() -> None:
    ws = sheet_of(write(Sheet("S", [["a\r\nb\rc"]])))
    assert ws["A1"].value == "a\r\nb\rc"


def test_illegal_control_characters_are_dropped() -> None:
    ws = sheet_of(write(Sheet("S", [["a\x00b\x01c\x1f\ufffed\uffff"], ["\x00\x07"]])))
    assert ws["A1"].value == "abcd"
    # Nothing left: the cell is empty.
    assert ws["A2"].value is None


def test_text_that_looks_like_an_ooxml_escape_is_shown_as_written() -> None:
    texts = ["_x0041_", "_x005F_x0041_", "a_x000D_b_x0009_", "_x12_", "_X0041_"]
    data = write(Sheet("S", [[t] for t in texts]))
    ws = sheet_of(data)
    # Excel decodes _xHHHH_ in text; openpyxl's unescape decodes it the same way.
    assert [shown_text(ws.cell(row=i + 1, column=1).value) for i in range(len(texts))] == texts


def test_empty_string_is_an_empty_cell() -> None:
    assert sheet_of(write(Sheet("S", [["", "x"]])))["A1"].value is None


def test_longest_text_is_allowed() -> None:
    text = "a" * 32_767
    assert sheet_of(write(Sheet("S", [[text]])))["A1"].value == text


texts = st.text(max_size=30)
numbers = st.integers(min_value=-MAX_NUMBER, max_value=MAX_NUMBER)
cells: st.SearchStrategy[Cell] = st.one_of(
    st.none(),
    texts,
    numbers,
    numbers.map(Rupiah),
    st.dates(min_value=dt.date(1900, 3, 1)),
)


def expected(cell: Cell) -> object:
    if isinstance(cell, str):
        return xml_legal(cell) or None
    if isinstance(cell, Rupiah):
        return cell.amount
    if isinstance(cell, dt.date):
        return dt.datetime.combine(cell, dt.time())
    return cell


@given(
    grid=st.lists(st.lists(cells, max_size=5), max_size=5),
    name=st.text(
        st.characters(exclude_characters="[]:*?/\\'", exclude_categories=("Cc", "Cs")),
        min_size=1,
        max_size=31,
    ).filter(lambda n: n.casefold() != "history"),
)
def test_round_trip(grid: list[list[Cell]], name: str) -> None:
    ws = sheet_of(write(Sheet(name, grid)))
    assert ws.title == name
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            got = ws.cell(row=r + 1, column=c + 1)
            assert shown_text(got.value) == expected(cell), (r, c)
            if isinstance(cell, str) and got.value is not None:
                assert got.data_type == "s"


@given(st.text())
def test_any_text_round_trips_without_illegal_characters(text: str) -> None:
    assert shown_text(sheet_of(write(Sheet("S", [[text]])))["A1"].value) == (
        xml_legal(text) or None
    )


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["", "N" * 32, "a[b", "a]b", "a:b", "a*b", "a?b", "a/b", "a\\b", "'kutip", "kutip'", "History",
     "HISTORY", "tab\there", "nul\x00"],
)  # fmt: skip
def test_bad_sheet_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Sheet(name, [])
    assert caught.value.fields == ("name",)


@pytest.mark.parametrize("names", [("Neraca", "Neraca"), ("Neraca", "NERACA"), ("a", "b", "A")])
def test_duplicate_sheet_names_are_refused(names: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        write(*(Sheet(name, []) for name in names))
    assert caught.value.fields == ("sheets",)


def test_at_least_one_sheet() -> None:
    with pytest.raises(ValidationError) as caught:
        write_xlsx([], created=CREATED)
    assert caught.value.fields == ("sheets",)


def test_sheets_must_be_sheets() -> None:
    with pytest.raises(ValidationError) as caught:
        write_xlsx([STATEMENT, "Neraca"], created=CREATED)  # type: ignore[list-item]
    assert caught.value.fields == ("sheets[1]",)


@pytest.mark.parametrize(
    "cell",
    [
        True,
        False,
        1.5,
        0.0,
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        dt.date(1900, 2, 28),
        MAX_NUMBER + 1,
        -MAX_NUMBER - 1,
        Rupiah(MAX_NUMBER + 1),
        b"bytes",
        object(),
        "a" * 32_768,
        "\U0001f600" * 16_384,  # 32,768 UTF-16 code units, as Excel counts
    ],
    ids=repr,
)
def test_bad_cells_are_refused(cell: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Sheet("S", [["ok", cell]])  # type: ignore[list-item]
    assert caught.value.fields == ("rows[0][1]",)


def test_rows_must_be_rows_of_cells() -> None:
    with pytest.raises(ValidationError) as caught:
        Sheet("S", "abc")  # text is an iterable of iterables: refused at run time
    assert caught.value.fields == ("rows",)
    with pytest.raises(ValidationError) as caught:
        Sheet("S", [["a"], "bc"])
    assert caught.value.fields == ("rows[1]",)
    with pytest.raises(ValidationError) as caught:
        Sheet("S", [[1], 2])  # type: ignore[list-item]
    assert caught.value.fields == ("rows[1]",)


@pytest.mark.parametrize("widths", [(0,), (10, 256), (True,), (12.5,)])
def test_bad_column_widths_are_refused(widths: tuple[Any, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        Sheet("S", [], column_widths=widths)
    assert caught.value.fields[0].startswith("column_widths")


@pytest.mark.parametrize("bold", [{1}, {-1}, {True}])
def test_bold_rows_must_be_rows_of_the_sheet(bold: set[int]) -> None:
    with pytest.raises(ValidationError) as caught:
        Sheet("S", [["only row"]], bold_rows=frozenset(bold))
    assert caught.value.fields == ("bold_rows",)


def test_naive_created_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        write_xlsx([STATEMENT], created=dt.datetime(2026, 1, 31, 9, 30))  # noqa: DTZ001
    assert caught.value.fields == ("created",)


def test_created_must_be_a_datetime() -> None:
    with pytest.raises(ValidationError) as caught:
        write_xlsx([STATEMENT], created=dt.date(2026, 1, 31))  # type: ignore[arg-type]
    assert caught.value.fields == ("created",)


# --- the package ------------------------------------------------------------------------------


def test_same_input_same_bytes() -> None:
    first = write(STATEMENT, Sheet("Lain", [["x"]]), title="T")
    second = write(STATEMENT, Sheet("Lain", [["x"]]), title="T")
    assert first == second
    # The same instant in another time zone is the same file.
    wita = CREATED.astimezone(TimeZone.WITA.zone)
    assert write(STATEMENT, Sheet("Lain", [["x"]]), title="T", created=wita) == first


def test_zip_entries_are_dated_created_and_deflated() -> None:
    with zipfile.ZipFile(io.BytesIO(write(STATEMENT))) as archive:
        assert archive.testzip() is None
        for info in archive.infolist():
            assert info.date_time == (2026, 1, 31, 9, 30, 14)  # ZIP keeps even seconds
            assert info.compress_type == zipfile.ZIP_DEFLATED


def test_zip_holds_no_absolute_or_parent_paths() -> None:
    data = write(STATEMENT, Sheet("..", [["x"]]), Sheet(".. ..", []))
    for name in members(data):
        path = PurePosixPath(name)
        assert not path.is_absolute()
        assert ".." not in path.parts
        assert "\\" not in name
        assert ":" not in name


def test_package_parts() -> None:
    parts = members(write(STATEMENT, Sheet("Dua", [["x"]])))
    assert list(parts) == [
        "[Content_Types].xml",
        "_rels/.rels",
        "docProps/app.xml",
        "docProps/core.xml",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
        "xl/worksheets/sheet1.xml",
        "xl/worksheets/sheet2.xml",
    ]
    for content in parts.values():
        assert content.startswith(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
        SafeET.fromstring(content)  # well formed
    types = SafeET.fromstring(parts["[Content_Types].xml"])
    overridden = {element.get("PartName") for element in types if element.tag.endswith("Override")}
    assert overridden == {f"/{name}" for name in parts if not name.endswith((".rels", "].xml"))}


def test_worksheet_elements_are_in_schema_order() -> None:
    sheet = SafeET.fromstring(members(write(STATEMENT))["xl/worksheets/sheet1.xml"])
    assert [child.tag.removeprefix(MAIN) for child in sheet] == [
        "sheetPr",
        "dimension",
        "sheetViews",
        "sheetFormatPr",
        "cols",
        "sheetData",
        "pageMargins",
        "pageSetup",
    ]
    dimension = sheet.find(f"{MAIN}dimension")
    assert dimension is not None
    assert dimension.get("ref") == "A1:C6"


def test_styles_have_plain_and_bold_for_each_kind() -> None:
    styles = SafeET.fromstring(members(write(STATEMENT))["xl/styles.xml"])
    fonts = styles.find(f"{MAIN}fonts")
    xfs = styles.find(f"{MAIN}cellXfs")
    assert fonts is not None
    assert xfs is not None
    assert len(fonts) == 2
    assert [(xf.get("numFmtId"), xf.get("fontId")) for xf in xfs] == [
        ("0", "0"),
        ("0", "1"),
        ("164", "0"),
        ("164", "1"),
        ("165", "0"),
        ("165", "1"),
    ]
