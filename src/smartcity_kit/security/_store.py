"""Tables of the camera registry and fleet monitor, and the mapping between rows and models."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from smartcity_kit.core import GeoPoint, PhoneNumber, RegionCode
from smartcity_kit.security._cameras import (
    Camera,
    CameraLocation,
    Owner,
    OwnerContact,
    Site,
)
from smartcity_kit.security.adapters._base import Endpoint, StreamProfile
from smartcity_kit.storage import JsonText, UtcDateTime

metadata = sa.MetaData()


def _location_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("lon", sa.Float, nullable=True),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("district", sa.String(8), nullable=True),
        sa.Column("village", sa.String(13), nullable=True),
    ]


sites = sa.Table(
    "security_sites",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("city", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    *_location_columns(),
)
cameras = sa.Table(
    "security_cameras",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("city", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("owner_kind", sa.String(16), nullable=False),
    sa.Column("owner_code", sa.String(64), nullable=False),
    sa.Column("owner_name", sa.String(200), nullable=False),
    sa.Column("owner_contact", JsonText, nullable=False),
    sa.Column("protocol", sa.String(16), nullable=False),
    sa.Column("host", sa.String(253), nullable=False),
    sa.Column("port", sa.Integer, nullable=False),
    sa.Column("scheme", sa.String(5), nullable=False),
    sa.Column("channel", sa.Integer, nullable=False),
    sa.Column("rtsp_port", sa.Integer, nullable=False),
    *_location_columns(),
    sa.Column("site", sa.String(64), nullable=True),
    sa.Column("purpose", sa.String(16), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("streams", JsonText, nullable=False),
    sa.Column("installed", sa.String(10), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("secret", sa.Text, nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)
health = sa.Table(
    "security_health",
    metadata,
    sa.Column("camera_id", sa.String(64), primary_key=True),
    sa.Column("checked_at", UtcDateTime, nullable=False),
    sa.Column("online", sa.Boolean, nullable=False),
    sa.Column("authenticated", sa.Boolean, nullable=True),
    sa.Column("clock_drift", sa.Float, nullable=True),
    sa.Column("latency_ms", sa.Float, nullable=True),
    sa.Column("snapshot_ok", sa.Boolean, nullable=True),
    sa.Column("error", sa.String(300), nullable=True),
    sa.Column("since", UtcDateTime, nullable=False),
)
changes = sa.Table(
    "security_status_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("camera_id", sa.String(64), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("online", sa.Boolean, nullable=False),
)
events = sa.Table(
    "security_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("camera_id", sa.String(64), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("vendor_type", sa.String(200), nullable=False),
    sa.Column("channel", sa.Integer, nullable=True),
    sa.Column("details", JsonText, nullable=False),
)

CAMERA_BY_ID = sa.select(cameras).where(cameras.c.id == sa.bindparam("id"))


def location_values(location: CameraLocation) -> dict[str, Any]:
    """The row values of a location."""
    point = location.point
    return {
        "lat": point.latitude if point else None,
        "lon": point.longitude if point else None,
        "address": location.address,
        "district": location.district.value if location.district else None,
        "village": location.village.value if location.village else None,
    }


def location_from_row(row: Any) -> CameraLocation:
    """A location from a row with the location columns."""
    point = GeoPoint(row.lat, row.lon) if row.lat is not None and row.lon is not None else None
    return CameraLocation(
        point=point,
        address=row.address,
        district=RegionCode(row.district) if row.district else None,
        village=RegionCode(row.village) if row.village else None,
    )


def site_values(site: Site) -> dict[str, Any]:
    """The row values of a site."""
    return {"id": site.id, "city": site.city, "name": site.name, **location_values(site.location)}


def site_from_row(row: Any) -> Site:
    """A site from its row."""
    return Site(id=row.id, city=row.city, name=row.name, location=location_from_row(row))


def _stream_out(stream: StreamProfile) -> dict[str, Any]:
    return {
        "token": stream.token,
        "name": stream.name,
        "rtsp_uri": stream.rtsp_uri,
        "snapshot_uri": stream.snapshot_uri,
        "width": stream.width,
        "height": stream.height,
        "encoding": stream.encoding,
    }


def camera_values(camera: Camera, now: dt.datetime) -> dict[str, Any]:
    """The row values of a camera (without its secret)."""
    contact = camera.owner.contact
    return {
        "id": camera.id,
        "city": camera.city,
        "name": camera.name,
        "owner_kind": camera.owner.kind.value,
        "owner_code": camera.owner.code,
        "owner_name": camera.owner.name,
        # Personal data of a private owner's contact: stored in full, masked when shown.
        "owner_contact": {
            "name": contact.name,
            "phone": contact.phone.reveal() if contact.phone else None,
        },
        "protocol": camera.protocol.value,
        "host": camera.endpoint.host,
        "port": camera.endpoint.port,
        "scheme": camera.endpoint.scheme,
        "channel": camera.endpoint.channel,
        "rtsp_port": camera.endpoint.rtsp_port,
        **location_values(camera.location),
        "site": camera.site,
        "purpose": camera.purpose.value,
        "type": camera.type.value,
        "streams": [_stream_out(s) for s in camera.streams],
        "installed": camera.installed.isoformat() if camera.installed else None,
        "status": camera.status.value,
        "updated_at": now,
        "version": camera.version,
    }


def camera_from_row(row: Any) -> Camera:
    """A camera from its row."""
    contact = row.owner_contact or {}
    phone = contact.get("phone")
    return Camera(
        id=row.id,
        city=row.city,
        name=row.name,
        owner=Owner(
            kind=row.owner_kind,
            code=row.owner_code,
            name=row.owner_name,
            contact=OwnerContact(
                name=contact.get("name"), phone=PhoneNumber.parse(phone) if phone else None
            ),
        ),
        protocol=row.protocol,
        endpoint=Endpoint(
            host=row.host,
            port=row.port,
            scheme=row.scheme,
            channel=row.channel,
            rtsp_port=row.rtsp_port,
        ),
        location=location_from_row(row),
        site=row.site,
        purpose=row.purpose,
        type=row.type,
        streams=tuple(StreamProfile(**s) for s in row.streams),
        installed=dt.date.fromisoformat(row.installed) if row.installed else None,
        status=row.status,
        version=row.version,
    )


# --- access policy -----------------------------------------------------------------------------

organisations = sa.Table(
    "security_organisations",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("city", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
)
accounts = sa.Table(
    "security_accounts",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("organisation", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("key_id", sa.String(16), nullable=True, unique=True),
    sa.Column("active", sa.Boolean, nullable=False),
)
agreements = sa.Table(
    "security_agreements",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("grantee", sa.String(64), nullable=False),
    sa.Column("scope", JsonText, nullable=False),
    sa.Column("rights", JsonText, nullable=False),
    sa.Column("legal_basis", sa.String(200), nullable=False),
    sa.Column("valid_from", UtcDateTime, nullable=False),
    sa.Column("valid_until", UtcDateTime, nullable=True),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
    sa.Column("revoked_by", sa.String(64), nullable=True),
    sa.Column("revoke_reason", sa.String(500), nullable=True),
)
grants = sa.Table(
    "security_grants",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("case_number", sa.String(100), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("owner", sa.String(64), nullable=False),
    sa.Column("organisation", sa.String(64), nullable=False),
    sa.Column("requested_by", sa.String(64), nullable=False),
    sa.Column("approved_by", sa.String(64), nullable=False),
    sa.Column("lat", sa.Float, nullable=True),
    sa.Column("lon", sa.Float, nullable=True),
    sa.Column("radius_m", sa.Integer, nullable=False),
    sa.Column("cameras", JsonText, nullable=False),
    sa.Column("rights", JsonText, nullable=False),
    sa.Column("footage_from", UtcDateTime, nullable=False),
    sa.Column("footage_until", UtcDateTime, nullable=False),
    sa.Column("granted_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
    sa.Column("revoked_by", sa.String(64), nullable=True),
    sa.Column("revoke_reason", sa.String(500), nullable=True),
)
access_log = sa.Table(
    "security_access_log",
    metadata,
    sa.Column("audit_seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("account", sa.String(64), nullable=False),
    sa.Column("organisation", sa.String(64), nullable=True),
    sa.Column("camera", sa.String(64), nullable=False),
    sa.Column("right", sa.String(16), nullable=False),
    sa.Column("allowed", sa.Boolean, nullable=False),
    sa.Column("basis", sa.String(16), nullable=True),
    sa.Column("agreement", sa.String(64), nullable=True),
    sa.Column("grant_id", sa.Integer, nullable=True),
    sa.Column("case_number", sa.String(100), nullable=True),
    sa.Column("reason", sa.String(1000), nullable=False),
)
