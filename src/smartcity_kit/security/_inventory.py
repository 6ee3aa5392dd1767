"""The inventory as cities keep it in spreadsheets: one flat row per camera, CSV or JSON."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from smartcity_kit.core import GeoPoint, PhoneNumber, RegionCode, mask_name
from smartcity_kit.errors import FieldError, ValidationError
from smartcity_kit.security._cameras import (
    Camera,
    CameraLocation,
    CameraStatus,
    CameraType,
    Owner,
    OwnerContact,
    OwnerKind,
    Purpose,
)
from smartcity_kit.security.adapters._base import (
    Credentials,
    Endpoint,
    StreamProfile,
    VendorProtocol,
)

__all__ = [
    "EXPORT_FIELDS",
    "IMPORT_FIELDS",
    "InventoryRow",
    "parse_rows",
    "read_csv_numbered",
    "rows_to_csv",
]

#: Columns of an exported inventory (no credentials, ever).
EXPORT_FIELDS: Final = (
    "id",
    "name",
    "city",
    "site",
    "owner_kind",
    "owner_code",
    "owner_name",
    "owner_contact_name",
    "owner_contact_phone",
    "protocol",
    "host",
    "port",
    "scheme",
    "channel",
    "rtsp_port",
    "lat",
    "lon",
    "address",
    "kecamatan",
    "kelurahan",
    "purpose",
    "type",
    "main_rtsp",
    "sub_rtsp",
    "snapshot_uri",
    "installed",
    "status",
)
#: Columns an imported inventory may have: the exported ones plus the device account.
IMPORT_FIELDS: Final = (*EXPORT_FIELDS, "username", "password")
_REQUIRED: Final = (
    "id",
    "name",
    "city",
    "owner_kind",
    "owner_code",
    "owner_name",
    "protocol",
    "host",
)
_MAX_ROWS: Final = 100_000

InventoryRow = tuple[Camera, Credentials | None]


def _text(row: Mapping[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _int(row: Mapping[str, Any], name: str, default: int) -> int:
    text = _text(row, name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise ValidationError.single(name, "must be a whole number") from None


def _location(row: Mapping[str, Any]) -> CameraLocation:
    lat, lon = _text(row, "lat"), _text(row, "lon")
    point = None
    if (lat is None) != (lon is None):
        raise ValidationError.single("lat" if lat is None else "lon", "give both lat and lon")
    if lat is not None and lon is not None:
        try:
            latitude, longitude = float(lat), float(lon)
        except ValueError:
            raise ValidationError.single("lat", "lat and lon must be numbers") from None
        try:
            point = GeoPoint(latitude, longitude)
        except ValidationError as e:
            column = {"latitude": "lat", "longitude": "lon"}.get(e.errors[0].path, "lat")
            raise ValidationError.single(column, e.errors[0].message) from None
    district, village = _text(row, "kecamatan"), _text(row, "kelurahan")
    try:
        district_code = RegionCode.parse(district) if district else None
    except ValidationError:
        raise ValidationError.single("kecamatan", "is not a known kecamatan code") from None
    try:
        village_code = RegionCode.parse(village) if village else None
    except ValidationError:
        raise ValidationError.single("kelurahan", "is not a known kelurahan code") from None
    return CameraLocation(
        point=point, address=_text(row, "address"), district=district_code, village=village_code
    )


def _streams(row: Mapping[str, Any]) -> tuple[StreamProfile, ...]:
    main, sub, snapshot = (
        _text(row, "main_rtsp"),
        _text(row, "sub_rtsp"),
        _text(row, "snapshot_uri"),
    )
    for name, uri, schemes in (
        ("main_rtsp", main, ("rtsp://", "rtsps://")),
        ("sub_rtsp", sub, ("rtsp://", "rtsps://")),
        ("snapshot_uri", snapshot, ("http://", "https://")),
    ):
        if uri is not None and not uri.lower().startswith(schemes):
            raise ValidationError.single(name, f"must start with {' or '.join(schemes)}")
    streams = []
    if main or snapshot:
        streams.append(StreamProfile("main", "main", main or "", snapshot))
    if sub:
        streams.append(StreamProfile("sub", "sub", sub, None))
    return tuple(streams)


def _choice(row: Mapping[str, Any], name: str, kind: type[Any], default: Any) -> Any:
    text = _text(row, name)
    if text is None:
        return default
    try:
        return kind(text.lower())
    except ValueError:
        raise ValidationError.single(
            name, "must be one of " + ", ".join(m.value for m in kind)
        ) from None


def parse_row(row: Mapping[str, Any]) -> InventoryRow:
    """A camera and its credentials from one inventory row.

    Raises:
        ValidationError: What is wrong, by column.
    """
    unknown = sorted(set(row) - set(IMPORT_FIELDS))
    if unknown:
        raise ValidationError.single(unknown[0], "is not an inventory column")
    missing = [name for name in _REQUIRED if _text(row, name) is None]
    if missing:
        raise ValidationError([FieldError(name, "is required") for name in missing])
    phone_text = _text(row, "owner_contact_phone")
    try:
        phone = PhoneNumber.parse(phone_text) if phone_text else None
    except ValidationError as e:
        raise ValidationError.single("owner_contact_phone", e.errors[0].message) from None
    installed = _text(row, "installed")
    try:
        installed_date = dt.date.fromisoformat(installed) if installed else None
    except ValueError:
        raise ValidationError.single("installed", "must be a date (YYYY-MM-DD)") from None
    owner = Owner(
        kind=_choice(row, "owner_kind", OwnerKind, None),
        code=_text(row, "owner_code"),  # type: ignore[arg-type]
        name=_text(row, "owner_name"),  # type: ignore[arg-type]
        contact=OwnerContact(
            name=_text(row, "owner_contact_name"),
            phone=phone,
        ),
    )
    endpoint = Endpoint(
        host=_text(row, "host"),  # type: ignore[arg-type]
        port=_int(row, "port", 80),
        scheme=(_text(row, "scheme") or "http").lower(),
        channel=_int(row, "channel", 1),
        rtsp_port=_int(row, "rtsp_port", 554),
    )
    camera = Camera(
        id=_text(row, "id"),  # type: ignore[arg-type]
        city=_text(row, "city"),  # type: ignore[arg-type]
        name=_text(row, "name"),  # type: ignore[arg-type]
        owner=owner,
        protocol=_choice(row, "protocol", VendorProtocol, None),
        endpoint=endpoint,
        location=_location(row),
        site=_text(row, "site"),
        purpose=_choice(row, "purpose", Purpose, Purpose.SURVEILLANCE),
        type=_choice(row, "type", CameraType, CameraType.FIXED),
        streams=_streams(row),
        installed=installed_date,
        status=_choice(row, "status", CameraStatus, CameraStatus.ACTIVE),
    )
    username, password = _text(row, "username"), row.get("password")
    credentials = None
    if username is not None:
        credentials = Credentials(username, "" if password is None else str(password))
    elif password:
        raise ValidationError.single("username", "is required when a password is given")
    return camera, credentials


def parse_rows(rows: Iterable[object], numbers: Sequence[int] | None = None) -> list[InventoryRow]:
    """Every row, or one error that lists every problem as ``row N: column``.

    Rows are numbered from 1 (a CSV's header line is row 0). Ids must be unique in the file.

    Raises:
        ValidationError: At least one row is wrong; nothing is returned.
    """
    parsed: list[InventoryRow] = []
    problems: list[FieldError] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        number = numbers[index] if numbers is not None else index + 1
        if number > _MAX_ROWS:
            problems.append(FieldError(f"row {number}", f"at most {_MAX_ROWS} rows at once"))
            break
        if not isinstance(row, Mapping):
            problems.append(FieldError(f"row {number}", "must be an object of column values"))
            continue
        try:
            camera, credentials = parse_row(row)
        except ValidationError as e:
            problems.extend(
                FieldError(f"row {number}: {err.path}", err.message) for err in e.errors
            )
            continue
        if camera.id in seen:
            problems.append(
                FieldError(f"row {number}: id", f"repeats row {seen[camera.id]} ({camera.id})")
            )
            continue
        seen[camera.id] = number
        parsed.append((camera, credentials))
    if problems:
        raise ValidationError(problems)
    return parsed


def read_csv_numbered(text: str) -> tuple[list[dict[str, str]], list[int]]:
    """The rows of a CSV inventory and each row's number: its line in the file, less one.

    The header line is row 0, so the numbers match the lines even with blank lines between
    rows (a spreadsheet shows row N as its line N + 1).

    Raises:
        ValidationError: The file has no header line.
    """
    text = text.removeprefix("\ufeff")  # Excel's byte-order mark
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames:
        raise ValidationError.single("row 0", "the file needs a header line with column names")
    rows: list[dict[str, str]] = []
    numbers: list[int] = []
    extra: list[FieldError] = []
    for row in reader:
        number = reader.line_num - 1
        if None in row:
            extra.append(FieldError(f"row {number}", "has more cells than the header line"))
            continue
        rows.append({k.strip(): v for k, v in row.items() if k is not None})
        numbers.append(number)
    if extra:
        raise ValidationError(extra)
    return rows, numbers


def read_json(text: str) -> list[Any]:
    """The rows of a JSON inventory (a list of objects, or ``{"cameras": [...]}``).

    Raises:
        ValidationError: Not JSON, or not a list of objects.
    """
    try:
        data = json.loads(text)
    except ValueError:
        raise ValidationError.single("file", "is not JSON") from None
    if isinstance(data, Mapping):
        data = data.get("cameras")
    if not isinstance(data, list):
        raise ValidationError.single("file", 'must be a list of cameras (or {"cameras": [...]})')
    return data


def camera_row(camera: Camera, *, reveal_personal_data: bool = False) -> dict[str, Any]:
    """The export row of a camera: never credentials; the owner's contact masked unless revealed.

    Export with ``reveal_personal_data=True`` for a file that imports back as it was.
    """
    contact = camera.owner.contact
    if reveal_personal_data:
        contact_name = contact.name
        contact_phone = contact.phone.reveal() if contact.phone else None
    else:
        contact_name = mask_name(contact.name) if contact.name else None
        contact_phone = str(contact.phone) if contact.phone else None
    main = camera.streams[0] if camera.streams else None
    sub = camera.streams[1] if len(camera.streams) > 1 else None
    location = camera.location
    return {
        "id": camera.id,
        "name": camera.name,
        "city": camera.city,
        "site": camera.site,
        "owner_kind": camera.owner.kind.value,
        "owner_code": camera.owner.code,
        "owner_name": camera.owner.name,
        "owner_contact_name": contact_name,
        "owner_contact_phone": contact_phone,
        "protocol": camera.protocol.value,
        "host": camera.endpoint.host,
        "port": camera.endpoint.port,
        "scheme": camera.endpoint.scheme,
        "channel": camera.endpoint.channel,
        "rtsp_port": camera.endpoint.rtsp_port,
        "lat": location.point.latitude if location.point else None,
        "lon": location.point.longitude if location.point else None,
        "address": location.address,
        "kecamatan": location.district.value if location.district else None,
        "kelurahan": location.village.value if location.village else None,
        "purpose": camera.purpose.value,
        "type": camera.type.value,
        "main_rtsp": main.rtsp_uri or None if main else None,
        "sub_rtsp": sub.rtsp_uri if sub else None,
        "snapshot_uri": main.snapshot_uri if main else None,
        "installed": camera.installed.isoformat() if camera.installed else None,
        "status": camera.status.value,
    }


def rows_to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows as CSV text with a header line (empty cells for missing values)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()
