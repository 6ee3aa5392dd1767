"""Exporting evidence for an incident: decided, recorded, fetched through the adapters, signed."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from smartcity_kit.core import Clock, ensure_utc
from smartcity_kit.errors import (
    ConfigurationError,
    ConflictError,
    DeviceError,
    PermissionDeniedError,
    ValidationError,
)
from smartcity_kit.security._access import AccessDecision, IncidentGrant, Right
from smartcity_kit.security._cameras import Camera, check_id
from smartcity_kit.security._evidence import (
    CustodyEvent,
    EvidenceFile,
    EvidenceKey,
    EvidenceKind,
    EvidenceManifest,
    write_bundle,
)
from smartcity_kit.security._policy import AccessPolicy
from smartcity_kit.security.adapters._base import CameraAdapter
from smartcity_kit.storage import AuditLog

__all__ = ["EvidenceExporter"]

#: The most snapshots taken of one camera in one export.
MAX_FRAMES = 10


class EvidenceExporter:
    """Makes signed evidence bundles for an incident (see :func:`write_bundle`).

    For each camera the export is decided by the policy (right ``export``) and recorded in the
    audit log first, allowed or denied; only when every camera is allowed are snapshots taken
    through the adapters and the bundle written. The manifest names the decisions and the audit
    head after them, so the bundle can be tied to the hash-chained log.

    Args:
        policy: The access policy (and through it the registry and the database).
        key: The city's evidence key; by default the one named by ``SMARTCITY_EVIDENCE_KEY``.
        city: The exporting city's slug, written in the manifest (by default the first
            camera's city).
        adapters: How to reach a camera (the policy's registry by default).
        clock: Where "now" comes from (the policy's clock by default).
    """

    def __init__(
        self,
        policy: AccessPolicy,
        *,
        city: str | None = None,
        key: EvidenceKey | None = None,
        adapters: Callable[[Camera], CameraAdapter] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._policy = policy
        self._key = key
        self._city = check_id("city", city) if city is not None else None
        self._adapters = adapters or policy.registry.adapter
        self._clock: Clock = clock or policy.clock
        self._audit = AuditLog(policy.database, self._clock)

    def export(  # noqa: PLR0913 - one keyword per part of the export
        self,
        path: str | os.PathLike[str],
        *,
        account: str,
        cameras: Sequence[str],
        grant: int | None = None,
        case_number: str | None = None,
        frames: int = 1,
        files: Sequence[EvidenceFile] = (),
        note: str | None = None,
    ) -> EvidenceManifest:
        """Decide, record, fetch and sign: write a bundle for ``cameras`` to the new file ``path``.

        Args:
            path: Where the bundle goes (must not exist).
            account: The exporting account.
            cameras: The cameras whose snapshots go in.
            grant: The incident grant the export is made under (a police export); the owner's
                own accounts export without one, naming ``case_number``.
            case_number: The case; taken from the grant when one is given.
            frames: Snapshots per camera (1 to 10), taken one after another.
            files: More evidence to include, such as clips copied from the recorder (kind
                ``clip``), under ``files/``.
            note: A remark for the recipient (no personal data).

        Returns:
            The signed manifest.

        Raises:
            ValidationError: No cameras, a bad frame count, no case number, a grant with another
                case number; nothing is recorded.
            ConfigurationError: No evidence key is set.
            PermissionDeniedError: Some camera is denied, or (with no ``grant`` named) is allowed
                only by an incident grant; every decision is recorded, no bundle is written.
            ConflictError: ``path`` exists; nothing is recorded.
            DeviceError: A camera did not deliver; no bundle is written.
        """
        key = self._key_or_env()
        if Path(path).exists():
            raise ConflictError(f"{Path(path).name} exists; a bundle is never overwritten")
        check_id("account", account)
        if not cameras:
            raise ValidationError.single("cameras", "name at least one camera")
        if len(set(cameras)) != len(cameras):
            raise ValidationError.single("cameras", "a camera is named twice")
        for camera_id in cameras:
            check_id("cameras", camera_id)
        if type(frames) is not int or not 1 <= frames <= MAX_FRAMES:
            raise ValidationError.single("frames", f"must be a whole number from 1 to {MAX_FRAMES}")
        found: IncidentGrant | None = self._policy.grant(grant) if grant is not None else None
        case = _case(found, case_number)
        account_record = self._policy.account(account)

        decisions = [
            self._policy.authorize(account, camera_id, Right.EXPORT, grant=grant)
            for camera_id in cameras
        ]
        refused = [f"{d.camera}: {d.reason}" for d in decisions if not d.allowed]
        if grant is None:
            # Allowed only by an incident grant: the bundle must carry that grant and its case.
            refused += [
                f"{d.camera}: allowed only under grant {d.grant} ({d.case_number}); "
                "export under that grant"
                for d in decisions
                if d.allowed and d.grant is not None
            ]
        if refused:
            raise PermissionDeniedError(
                "export refused (every decision is recorded): " + "; ".join(refused)
            )
        head = self._audit.head()

        evidence: list[EvidenceFile] = []
        custody: list[CustodyEvent] = []
        if found is not None:
            custody.append(
                CustodyEvent(
                    at=found.granted_at,
                    actor=f"account:{found.approved_by}",
                    action="grant.approved",
                    detail=f"grant {found.id} for {found.case_number}, "
                    f"requested by account:{found.requested_by}",
                )
            )
            evidence.append(
                EvidenceFile("files/grant.json", _json(_grant_json(found)), EvidenceKind.GRANT)
            )
        custody += [_decided(d) for d in decisions]
        for camera_id in cameras:
            camera = self._policy.registry.get(camera_id)
            evidence.append(
                EvidenceFile(
                    f"files/cameras/{camera_id}.json", _json(_camera_json(camera)), "camera"
                )
            )
            shots, events = self._snapshots(camera, account, frames)
            evidence += shots
            custody += events
        evidence += files
        return write_bundle(
            path,
            files=evidence,
            key=key,
            city=self._city or self._policy.registry.get(cameras[0]).city,
            case_number=case,
            exported_by=f"account:{account}",
            organisation=account_record.organisation,
            audit_head=head,
            grant_id=str(found.id) if found is not None else None,
            decisions=[d.audit_seq for d in decisions if d.audit_seq is not None],
            custody=custody,
            note=note,
            clock=self._clock,
        )

    def _key_or_env(self) -> EvidenceKey:
        if self._key is None:
            self._key = EvidenceKey.from_env()
        if self._key is None:
            raise ConfigurationError(
                "no evidence key: make one with 'smartcity-kit evidence keygen' and name its "
                "file in SMARTCITY_EVIDENCE_KEY"
            )
        return self._key

    def _snapshots(
        self, camera: Camera, account: str, frames: int
    ) -> tuple[list[EvidenceFile], list[CustodyEvent]]:
        adapter = self._adapters(camera)
        shots: list[EvidenceFile] = []
        events: list[CustodyEvent] = []
        try:
            for n in range(1, frames + 1):
                try:
                    image = adapter.snapshot()
                except DeviceError as e:
                    raise type(e)(f"camera {camera.id}: {e}") from e
                name = f"files/snapshots/{camera.id}-{n}.jpg"
                shots.append(EvidenceFile(name, image, EvidenceKind.SNAPSHOT))
                events.append(
                    CustodyEvent(
                        at=ensure_utc(self._clock.now()),
                        actor=f"account:{account}",
                        action="snapshot.taken",
                        detail=f"{name} from camera {camera.id}",
                    )
                )
        finally:
            adapter.close()
        return shots, events


def _case(grant: IncidentGrant | None, case_number: str | None) -> str:
    if grant is None:
        if not case_number or not case_number.strip():
            raise ValidationError.single(
                "case_number", "an export without a grant needs the case number"
            )
        return case_number.strip()
    if case_number is not None and case_number.strip() != grant.case_number:
        raise ValidationError.single(
            "case_number", f"grant {grant.id} is for case {grant.case_number}"
        )
    return grant.case_number


def _decided(decision: AccessDecision) -> CustodyEvent:
    return CustodyEvent(
        at=decision.at,
        actor=f"account:{decision.account}",
        action="export.allowed",
        detail=f"camera {decision.camera}: {decision.reason} (audit entry {decision.audit_seq})",
    )


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode()


def _camera_json(camera: Camera) -> dict[str, Any]:
    # What a court needs to place the images; not the network address, not the owner's contact.
    location = camera.location
    return {
        "id": camera.id,
        "city": camera.city,
        "name": camera.name,
        "owner": {"kind": camera.owner.kind.value, "code": camera.owner.code},
        "protocol": camera.protocol.value,
        "purpose": camera.purpose.value,
        "type": camera.type.value,
        "location": {
            "point": location.point.to_geojson() if location.point else None,
            "address": location.address,
            "district": location.district.value if location.district else None,
            "village": location.village.value if location.village else None,
        },
    }


def _grant_json(grant: IncidentGrant) -> dict[str, Any]:
    return {
        "id": grant.id,
        "case_number": grant.case_number,
        "reason": grant.reason,
        "owner": grant.owner,
        "organisation": grant.organisation,
        "requested_by": grant.requested_by,
        "approved_by": grant.approved_by,
        "center": grant.center.to_geojson() if grant.center else None,
        "radius_m": grant.radius_m,
        "cameras": sorted(grant.cameras),
        "rights": sorted(r.value for r in grant.rights),
        "footage_from": grant.footage_from.isoformat(),
        "footage_until": grant.footage_until.isoformat(),
        "granted_at": grant.granted_at.isoformat(),
        "expires_at": grant.expires_at.isoformat(),
        "revoked_at": grant.revoked_at.isoformat() if grant.revoked_at else None,
    }
