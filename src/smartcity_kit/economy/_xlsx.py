"""A small XLSX writer: financial statements an official can open and print in a spreadsheet.

It writes Office Open XML SpreadsheetML with the standard library only (``zipfile``), so the
library does not depend on a spreadsheet package at run time. It writes values, never formulas:
text that starts with ``=`` stays text, so a statement cannot carry a formula into Excel.

>>> data = write_xlsx(
...     [Sheet("Neraca", [["Kas", Rupiah(1_500_000)]], bold_rows=frozenset({0}))],
...     created=dt.datetime(2026, 1, 31, tzinfo=dt.UTC),
...     title="Neraca BUMDes",
... )
>>> data[:2]
b'PK'

Cells are text (``str``), whole numbers (``int``), amounts (:class:`Rupiah`, shown as
``1,500,000`` with negatives in parentheses; the separators follow the reader's locale) and dates
(shown ``dd/mm/yyyy``). Every sheet prints on A4, one page wide.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import Final, TypeAlias

import attrs

from smartcity_kit.core import Rupiah, ensure_utc
from smartcity_kit.errors import ValidationError

__all__ = ["Cell", "Sheet", "write_xlsx"]

Cell: TypeAlias = str | int | Rupiah | dt.date | None
"""One cell: text, a whole number, an amount, a date, or ``None`` for an empty cell."""

MAX_ROWS: Final = 1_048_576
MAX_COLUMNS: Final = 16_384
MAX_TEXT: Final = 32_767
"""The most characters a cell holds (Excel counts UTF-16 code units)."""
MAX_NUMBER: Final = 999_999_999_999_999
"""The largest number a spreadsheet shows exactly: Excel keeps 15 significant digits."""
MAX_COLUMN_WIDTH: Final = 255
MAX_SHEET_NAME: Final = 31

_FIRST_DATE: Final = dt.date(1900, 3, 1)
"""Before this, Excel's 1900 date system counts a 29 February 1900 that never was."""
_EPOCH: Final = dt.date(1899, 12, 30)
_SHEET_NAME_FORBIDDEN: Final = frozenset("[]:*?/\\")
_NOT_XML: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Excel reads "_xHHHH_" in text as an escaped character; an underscore before such a pattern is
# itself escaped (as "_x005F_") so that the text shows as written.
_LOOKS_ESCAPED: Final = re.compile("_(?=x[0-9A-Fa-f]{4}_)")

# cellXfs indexes in styles.xml; the bold variant of each is the next index.
_GENERAL: Final = 0
_AMOUNT: Final = 2
_DATE: Final = 4
_AMOUNT_FORMAT: Final = "#,##0_);(#,##0)"
_DATE_FORMAT: Final = "dd/mm/yyyy"

_MAIN_NS: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DOC_RELS_NS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_RELS_NS: Final = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECLARATION: Final = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_RELS_TYPE: Final = "application/vnd.openxmlformats-package.relationships+xml"
_PAGE_MARGINS: Final = (
    '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
)
_FIT_ONE_PAGE_WIDE: Final = 'fitToWidth="1" fitToHeight="0"'
_CORE_PROPERTIES_OPEN: Final = (
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
    'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"'
    ' xmlns:dcterms="http://purl.org/dc/terms/"'
    ' xmlns:dcmitype="http://purl.org/dc/dcmitype/"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
)


def _rows(rows: Iterable[Iterable[Cell]]) -> tuple[tuple[Cell, ...], ...]:
    if isinstance(rows, str | bytes):
        raise ValidationError.single("rows", "must be a sequence of rows, not text")
    try:
        items = list(rows)
    except TypeError:
        raise ValidationError.single("rows", "must be a sequence of rows") from None
    result: list[tuple[Cell, ...]] = []
    for index, row in enumerate(items):
        if isinstance(row, str | bytes):
            raise ValidationError.single(f"rows[{index}]", "must be a sequence of cells, not text")
        try:
            result.append(tuple(row))
        except TypeError:
            raise ValidationError.single(f"rows[{index}]", "must be a sequence of cells") from None
    return tuple(result)


def _ints(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(values)


def _index_set(values: Iterable[int]) -> frozenset[int]:
    return frozenset(values)


def _check_name(_instance: Sheet, _attribute: object, name: str) -> None:
    if not isinstance(name, str):
        raise ValidationError.single("name", "must be text")
    if not 1 <= len(name) <= MAX_SHEET_NAME:
        raise ValidationError.single("name", f"must be 1 to {MAX_SHEET_NAME} characters")
    if any(ch in _SHEET_NAME_FORBIDDEN for ch in name):
        raise ValidationError.single("name", "must not contain any of [ ] : * ? / \\")
    if _NOT_XML.search(name) or any(ord(ch) < 0x20 for ch in name):
        raise ValidationError.single("name", "must not contain control characters")
    if name.startswith("'") or name.endswith("'"):
        raise ValidationError.single("name", "must not start or end with an apostrophe")
    if name.casefold() == "history":
        raise ValidationError.single("name", "'History' is reserved by Excel")


def _check_rows(_instance: Sheet, _attribute: object, rows: tuple[tuple[Cell, ...], ...]) -> None:
    if len(rows) > MAX_ROWS:
        raise ValidationError.single("rows", f"must be at most {MAX_ROWS:,} rows")
    for r, row in enumerate(rows):
        if len(row) > MAX_COLUMNS:
            raise ValidationError.single(f"rows[{r}]", f"must be at most {MAX_COLUMNS:,} cells")
        for c, cell in enumerate(row):
            problem = _cell_problem(cell)
            if problem is not None:
                raise ValidationError.single(f"rows[{r}][{c}]", problem)


def _cell_problem(cell: object) -> str | None:
    """Why ``cell`` cannot be written, or ``None`` when it can."""
    if cell is None:
        return None
    if isinstance(cell, bool | float | dt.datetime) or not isinstance(
        cell, str | int | Rupiah | dt.date
    ):
        return _type_problem(cell)
    return _value_problem(cell)


def _type_problem(cell: object) -> str:
    if isinstance(cell, bool):
        return "must not be a bool: write the text you want shown, such as 'Ya' or 'Tidak'"
    if isinstance(cell, float):
        return "must not be a float: use int, or Rupiah for amounts"
    if isinstance(cell, dt.datetime):
        return "must be a date, not a datetime (the time of day would be lost)"
    return "must be text, an int, a Rupiah, a date or None"


def _value_problem(cell: str | int | Rupiah | dt.date) -> str | None:
    if isinstance(cell, str):
        too_long = _utf16_length(_clean(cell)) > MAX_TEXT
        return f"text must be at most {MAX_TEXT:,} characters" if too_long else None
    if isinstance(cell, int | Rupiah):
        too_big = abs(int(cell)) > MAX_NUMBER
        return (
            "must have at most 15 digits, the most a spreadsheet shows exactly" if too_big else None
        )
    return "must be a date from 1 March 1900 on" if cell < _FIRST_DATE else None


def _check_widths(_instance: Sheet, _attribute: object, widths: tuple[int, ...]) -> None:
    if len(widths) > MAX_COLUMNS:
        raise ValidationError.single("column_widths", f"must be at most {MAX_COLUMNS:,} widths")
    for index, width in enumerate(widths):
        if type(width) is not int or not 1 <= width <= MAX_COLUMN_WIDTH:
            raise ValidationError.single(
                f"column_widths[{index}]", f"must be a whole number from 1 to {MAX_COLUMN_WIDTH}"
            )


def _check_bold(instance: Sheet, _attribute: object, indexes: frozenset[int]) -> None:
    for index in indexes:
        if type(index) is not int or not 0 <= index < len(instance.rows):
            raise ValidationError.single(
                "bold_rows", "must hold 0-based indexes of rows in the sheet"
            )


def _check_landscape(_instance: Sheet, _attribute: object, landscape: bool) -> None:
    if not isinstance(landscape, bool):
        raise ValidationError.single("landscape", "must be True or False")


@attrs.frozen
class Sheet:
    r"""One worksheet: a grid of cells, printed on A4 one page wide.

    Attributes:
        name: The tab's name: 1 to 31 characters, none of ``[ ] : * ? / \\``, not starting or
            ending with an apostrophe, and not ``History`` (Excel reserves it).
        rows: The cells, row by row; rows may differ in length. ``None`` and ``""`` leave a cell
            empty. Text loses any character XML cannot carry (control characters other than tab,
            newline and carriage return).
        column_widths: Widths in characters for the first columns (1 to 255 each); the other
            columns keep the default width.
        bold_rows: 0-based indexes of the rows shown bold (headings, totals).
        landscape: Print in landscape; portrait otherwise.

    Raises:
        ValidationError: A rule above is broken, a cell is of another type (a ``bool``, a
            ``float``, a ``datetime``), a number has more than 15 digits, a date is before
            1 March 1900, or text is longer than 32,767 characters.
    """

    name: str = attrs.field(validator=_check_name)
    rows: tuple[tuple[Cell, ...], ...] = attrs.field(converter=_rows, validator=_check_rows)
    column_widths: tuple[int, ...] = attrs.field(
        default=(), converter=_ints, validator=_check_widths
    )
    bold_rows: frozenset[int] = attrs.field(
        default=frozenset(), converter=_index_set, validator=_check_bold
    )
    landscape: bool = attrs.field(default=False, validator=_check_landscape)


def write_xlsx(
    sheets: Sequence[Sheet],
    *,
    created: dt.datetime,
    title: str | None = None,
    creator: str = "smartcity-kit",
) -> bytes:
    """The workbook holding ``sheets``, as the bytes of an ``.xlsx`` file.

    The same arguments always give the same bytes: the ZIP entries carry ``created`` as their
    time, in a fixed order.

    Args:
        sheets: The worksheets, in tab order; at least one, with names unique regardless of
            case (as Excel compares them).
        created: When the document was made (with a time zone); written in UTC.
        title: The document title shown in the file's properties.
        creator: The author shown in the file's properties.

    Raises:
        ValidationError: No sheets, a repeated sheet name, ``created`` without a time zone, or a
            title or creator that is not text.
    """
    sheets = _check_sheets(sheets)
    try:
        instant = ensure_utc(created, "created").replace(microsecond=0)
    except OverflowError:
        raise ValidationError.single("created", "is out of range") from None
    if title is not None and not isinstance(title, str):
        raise ValidationError.single("title", "must be text or None")
    if not isinstance(creator, str):
        raise ValidationError.single("creator", "must be text")

    parts: list[tuple[str, str]] = [
        ("[Content_Types].xml", _content_types(len(sheets))),
        ("_rels/.rels", _package_rels()),
        ("docProps/app.xml", _app_properties()),
        ("docProps/core.xml", _core_properties(instant, title, creator)),
        ("xl/workbook.xml", _workbook(sheets)),
        ("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets))),
        ("xl/styles.xml", _STYLES),
    ]
    parts.extend(
        (f"xl/worksheets/sheet{n}.xml", _worksheet(sheet, selected=n == 1))
        for n, sheet in enumerate(sheets, start=1)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=_zip_time(instant))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, (_XML_DECLARATION + text).encode("utf-8"))
    return buffer.getvalue()


def _check_sheets(sheets: Sequence[Sheet]) -> tuple[Sheet, ...]:
    if isinstance(sheets, Sheet | str | bytes):
        raise ValidationError.single("sheets", "must be a sequence of Sheet")
    try:
        found = tuple(sheets)
    except TypeError:
        raise ValidationError.single("sheets", "must be a sequence of Sheet") from None
    if not found:
        raise ValidationError.single("sheets", "must hold at least one sheet")
    seen: set[str] = set()
    for index, sheet in enumerate(found):
        if not isinstance(sheet, Sheet):
            raise ValidationError.single(f"sheets[{index}]", "must be a Sheet")
        key = sheet.name.casefold()
        if key in seen:
            raise ValidationError.single(
                "sheets", "sheet names must be unique (Excel ignores case when comparing them)"
            )
        seen.add(key)
    return found


def _zip_time(instant: dt.datetime) -> tuple[int, int, int, int, int, int]:
    if instant.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    if instant.year > 2107:
        return (2107, 12, 31, 23, 59, 58)
    return (instant.year, instant.month, instant.day, instant.hour, instant.minute, instant.second)


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _utf16_length(text: str) -> int:
    if len(text) * 2 <= MAX_TEXT:
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _xml_text(text: str) -> str:
    """``text`` for element content: markup escaped, carriage returns kept (``&#13;``)."""
    return (
        _clean(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", "&#13;")
    )


def _xml_attribute(text: str) -> str:
    return _xml_text(text).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")


def _column_letters(index: int) -> str:
    """The letters of the 0-based column ``index``: ``A`` for 0, ``Z`` for 25, ``AA`` for 26.

    >>> _column_letters(0), _column_letters(25), _column_letters(26), _column_letters(16_383)
    ('A', 'Z', 'AA', 'XFD')
    """
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _cell(reference: str, value: Cell, *, bold: bool) -> str | None:
    weight = 1 if bold else 0
    if value is None:
        return None
    if isinstance(value, str):
        text = _LOOKS_ESCAPED.sub("_x005F_", _clean(value))
        if not text:
            return None
        style = f' s="{_GENERAL + weight}"' if bold else ""
        return (
            f'<c r="{reference}"{style} t="inlineStr">'
            f'<is><t xml:space="preserve">{_xml_text(text)}</t></is></c>'
        )
    if isinstance(value, Rupiah):
        return f'<c r="{reference}" s="{_AMOUNT + weight}"><v>{value.amount}</v></c>'
    if isinstance(value, int):
        style = f' s="{_GENERAL + weight}"' if bold else ""
        return f'<c r="{reference}"{style}><v>{int(value)}</v></c>'
    serial = (value - _EPOCH).days
    return f'<c r="{reference}" s="{_DATE + weight}"><v>{serial}</v></c>'


def _worksheet(sheet: Sheet, *, selected: bool) -> str:
    row_parts: list[str] = []
    last_row = last_column = 0
    for r, row in enumerate(sheet.rows):
        bold = r in sheet.bold_rows
        cells: list[str] = []
        for c, value in enumerate(row):
            cell = _cell(f"{_column_letters(c)}{r + 1}", value, bold=bold)
            if cell is not None:
                cells.append(cell)
                last_column = max(last_column, c + 1)
        if cells:
            last_row = r + 1
            row_parts.append(f'<row r="{r + 1}">{"".join(cells)}</row>')
    dimension = f"A1:{_column_letters(last_column - 1)}{last_row}" if last_row else "A1"
    columns = "".join(
        f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
        for n, width in enumerate(sheet.column_widths, start=1)
    )
    orientation = "landscape" if sheet.landscape else "portrait"
    return "".join(
        [
            f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_DOC_RELS_NS}">',
            '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>',
            f'<dimension ref="{dimension}"/>',
            '<sheetViews><sheetView workbookViewId="0"',
            ' tabSelected="1"' if selected else "",
            "/></sheetViews>",
            '<sheetFormatPr defaultRowHeight="15"/>',
            f"<cols>{columns}</cols>" if columns else "",
            "<sheetData>",
            *row_parts,
            "</sheetData>",
            _PAGE_MARGINS,
            f'<pageSetup paperSize="9" orientation="{orientation}" {_FIT_ONE_PAGE_WIDE}/>',
            "</worksheet>",
        ]
    )


def _content_types(sheet_count: int) -> str:
    office = "application/vnd.openxmlformats-officedocument"
    overrides = [
        ("/docProps/app.xml", f"{office}.extended-properties+xml"),
        ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
        ("/xl/styles.xml", f"{office}.spreadsheetml.styles+xml"),
        ("/xl/workbook.xml", f"{office}.spreadsheetml.sheet.main+xml"),
        *(
            (f"/xl/worksheets/sheet{n}.xml", f"{office}.spreadsheetml.worksheet+xml")
            for n in range(1, sheet_count + 1)
        ),
    ]
    return "".join(
        [
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">',
            f'<Default Extension="rels" ContentType="{_RELS_TYPE}"/>',
            '<Default Extension="xml" ContentType="application/xml"/>',
            *(f'<Override PartName="{part}" ContentType="{kind}"/>' for part, kind in overrides),
            "</Types>",
        ]
    )


def _relationships(targets: Sequence[tuple[str, str]]) -> str:
    return "".join(
        [
            f'<Relationships xmlns="{_PKG_RELS_NS}">',
            *(
                f'<Relationship Id="rId{n}" Type="{kind}" Target="{target}"/>'
                for n, (kind, target) in enumerate(targets, start=1)
            ),
            "</Relationships>",
        ]
    )


def _package_rels() -> str:
    return _relationships(
        [
            (f"{_DOC_RELS_NS}/officeDocument", "xl/workbook.xml"),
            (f"{_PKG_RELS_NS}/metadata/core-properties", "docProps/core.xml"),
            (f"{_DOC_RELS_NS}/extended-properties", "docProps/app.xml"),
        ]
    )


def _workbook_rels(sheet_count: int) -> str:
    return _relationships(
        [
            *(
                (f"{_DOC_RELS_NS}/worksheet", f"worksheets/sheet{n}.xml")
                for n in range(1, sheet_count + 1)
            ),
            (f"{_DOC_RELS_NS}/styles", "styles.xml"),
        ]
    )


def _workbook(sheets: Sequence[Sheet]) -> str:
    entries = "".join(
        f'<sheet name="{_xml_attribute(sheet.name)}" sheetId="{n}" r:id="rId{n}"/>'
        for n, sheet in enumerate(sheets, start=1)
    )
    return (
        f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_DOC_RELS_NS}">'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f"<sheets>{entries}</sheets>"
        "</workbook>"
    )


def _app_properties() -> str:
    return (
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
        'docPropsVTypes"><Application>smartcity-kit</Application><DocSecurity>0</DocSecurity>'
        "</Properties>"
    )


def _core_properties(instant: dt.datetime, title: str | None, creator: str) -> str:
    stamp = instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    title_text = _xml_text(title) if title is not None else ""
    creator_text = _xml_text(creator)
    return "".join(
        [
            _CORE_PROPERTIES_OPEN,
            f"<dc:title>{title_text}</dc:title>" if title_text else "",
            f"<dc:creator>{creator_text}</dc:creator>" if creator_text else "",
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>',
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>',
            "</cp:coreProperties>",
        ]
    )


def _xf(number_format: int, font: int) -> str:
    applied = (' applyNumberFormat="1"' if number_format else "") + (
        ' applyFont="1"' if font else ""
    )
    return (
        f'<xf numFmtId="{number_format}" fontId="{font}" fillId="0" borderId="0" xfId="0"'
        f"{applied}/>"
    )


def _font(*, bold: bool) -> str:
    weight = "<b/>" if bold else ""
    return f'<font>{weight}<sz val="11"/><name val="Calibri"/><family val="2"/></font>'


# Order matters: cellXfs index = 2 * kind + bold, for kind general (0), amount (1), date (2).
_STYLES: Final = "".join(
    [
        f'<styleSheet xmlns="{_MAIN_NS}">',
        '<numFmts count="2">',
        f'<numFmt numFmtId="164" formatCode="{_AMOUNT_FORMAT}"/>',
        f'<numFmt numFmtId="165" formatCode="{_DATE_FORMAT}"/>',
        "</numFmts>",
        f'<fonts count="2">{_font(bold=False)}{_font(bold=True)}</fonts>',
        '<fills count="2"><fill><patternFill patternType="none"/></fill>',
        '<fill><patternFill patternType="gray125"/></fill></fills>',
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>',
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>',
        "</cellStyleXfs>",
        '<cellXfs count="6">',
        *(_xf(number_format, font) for number_format in (0, 164, 165) for font in (0, 1)),
        "</cellXfs>",
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>',
        '<dxfs count="0"/>',
        '<tableStyles count="0"/>',
        "</styleSheet>",
    ]
)
