"""``smartcity-kit evidence``: the city's evidence key, and verifying evidence bundles."""

from __future__ import annotations

import json
from pathlib import Path

import click

from smartcity_kit.cli._output import echo_json, fail
from smartcity_kit.cli._storage import db_option, opened
from smartcity_kit.errors import SmartCityError
from smartcity_kit.security import AccessPolicy, EvidenceExporter
from smartcity_kit.security._evidence import (
    EVIDENCE_KEY_VARIABLE,
    BundleReport,
    EvidenceFile,
    EvidenceKey,
    EvidenceKind,
    EvidenceManifest,
    custody_lines,
    verify_bundle,
)


@click.group()
def evidence() -> None:
    """Sign and verify evidence bundles (CCTV footage handed to the police or a court)."""


@evidence.command("keygen")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Where to write the private key; the public key goes to PATH.pub.",
)
def keygen(out: Path) -> None:
    """Make the city's evidence signing key (Ed25519).

    The private key is written with mode 0600: keep it on the server that exports, and name it
    in SMARTCITY_EVIDENCE_KEY. Give the .pub file to the police and courts that receive bundles.
    Existing files are never overwritten.
    """
    public = out.with_name(f"{out.name}.pub")
    for path in (out, public):
        if path.exists() or path.is_symlink():
            fail(f"{path} already exists: refusing to overwrite it")
    key = EvidenceKey.generate()
    try:
        key.save(out)
    except SmartCityError as e:
        fail(str(e))
    try:
        key.save_public(public)
    except SmartCityError as e:
        out.unlink(missing_ok=True)  # the key just made: no half-made pair is left behind
        fail(str(e))
    click.echo(f"Evidence key {key.key_id}")
    click.echo(f"Private key: {out} (mode 0600; keep it secret on the server that exports)")
    click.echo(f"Public key:  {public}")
    click.echo(f"Give {public} to the recipients of bundles: they verify with it alone.")
    click.echo(f"Export with {EVIDENCE_KEY_VARIABLE}={out.resolve()}")


@evidence.command("export")
@click.argument("bundle", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--account", required=True, help="The exporting account (its id).")
@click.option(
    "--camera",
    "cameras",
    multiple=True,
    required=True,
    help="A camera to take snapshots of (repeat for more).",
)
@click.option("--grant", type=int, help="The incident grant the export is made under.")
@click.option("--case", "case_number", help="The case number (needed without a grant).")
@click.option("--frames", default=1, show_default=True, help="Snapshots per camera (1 to 10).")
@click.option(
    "--clip",
    "clips",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A clip copied from the recorder, to include (repeat for more).",
)
@click.option("--note", help="A remark for the recipient (no personal data).")
@db_option
def export(  # noqa: PLR0913, PLR0917 - one parameter per option
    bundle: Path,
    account: str,
    cameras: tuple[str, ...],
    grant: int | None,
    case_number: str | None,
    frames: int,
    clips: tuple[Path, ...],
    note: str | None,
    url: str,
) -> None:
    """Export signed evidence for an incident to the new file BUNDLE.

    Each camera's export is decided by the sharing policy and recorded in the audit log first;
    only when all are allowed are snapshots taken and the bundle signed with the key named in
    SMARTCITY_EVIDENCE_KEY.
    """
    with opened(url) as database:  # a name the bundle refuses is one error line too
        files = [
            EvidenceFile(
                f"files/clips/{_safe_name(clip.name)}", clip.read_bytes(), EvidenceKind.CLIP
            )
            for clip in clips
        ]
        policy = AccessPolicy(database)
        manifest = EvidenceExporter(policy).export(
            bundle,
            account=account,
            cameras=list(cameras),
            grant=grant,
            case_number=case_number,
            frames=frames,
            files=files,
            note=note,
        )
    click.echo(f"Wrote {bundle}: {len(manifest.files)} file(s) for case {manifest.case_number}.")
    click.echo(f"Signed with key {manifest.key_id}; audit head {manifest.audit_head}.")


def _safe_name(name: str) -> str:
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)
    # A part of a bundle path starts with a letter or digit, has at most 100 characters (the
    # end, with the suffix, is kept) and does not end with a dot.
    return cleaned[-100:].lstrip("._-").rstrip(".") or "clip"


@evidence.command("verify")
@click.argument("bundle", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PUB",
    help="The exporting city's public key (the .pub file from 'evidence keygen').",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def verify(bundle: Path, public_key: Path, as_json: bool) -> None:
    """Check every file's hash and the signature, and print the chain of custody.

    Exits 0 when the bundle is intact, 1 when any file or the manifest was altered, removed or
    added (listing each problem), 2 when the bundle or the public key cannot be used.
    """
    if not bundle.is_file():
        fail(f"{bundle}: no such file")
    try:
        report = verify_bundle(bundle, public_key)
    except SmartCityError as e:
        fail(str(e))
    if as_json:
        echo_json(_as_json(report))
    else:
        _print(report)
    if not report.valid:
        raise SystemExit(1)


def _print(report: BundleReport) -> None:
    manifest = report.manifest
    if manifest is not None:
        _print_manifest(report, manifest)
    if report.valid and manifest is not None:
        click.echo(
            f"VALID: the signature (key {report.key_id}) and all {len(manifest.files)} "
            "file(s) check out; nothing was altered, removed or added"
        )
        return
    click.echo(f"INVALID: {len(report.problems)} problem(s)")
    for problem in report.problems:
        click.echo(f"  - {problem}")


def _print_manifest(report: BundleReport, manifest: EvidenceManifest) -> None:
    rows = [
        ("Bundle", manifest.bundle_id),
        ("Case", manifest.case_number),
        ("City", manifest.city),
        ("Grant", manifest.grant_id or "-"),
        ("Exported by", f"{manifest.exported_by} ({manifest.organisation})"),
        ("Exported at", f"{manifest.exported_at:%Y-%m-%dT%H:%M:%SZ}"),
        ("Audit head", f"{manifest.audit_head.seq}:{manifest.audit_head.hash}"),
        ("Decisions", ", ".join(str(seq) for seq in manifest.decisions) or "-"),
        ("Signed by", f"key {manifest.key_id} (checked with key {report.key_id})"),
    ]
    if manifest.note:
        rows.append(("Note", manifest.note))
    for label, value in rows:
        click.echo(f"{label + ':':<13}{value}")
    click.echo(f"Files ({len(manifest.files)}):")
    width = max(len(str(f.size)) for f in manifest.files)
    for file in manifest.files:
        status = "; ".join(report.problems_for(file.path)) or "ok"
        click.echo(f"  {file.kind.value:<8}  {file.size:>{width}} B  {file.path}  {status}")
    click.echo("Chain of custody:")
    for line in custody_lines(manifest):
        click.echo(f"  {line}")


def _as_json(report: BundleReport) -> dict[str, object]:
    manifest = report.manifest
    return {
        "valid": report.valid,
        "problems": list(report.problems),
        "checked_with_key": report.key_id,
        "manifest": json.loads(manifest.to_json()) if manifest is not None else None,
        "files": [
            {
                "path": f.path,
                "kind": f.kind.value,
                "size": f.size,
                "sha256": f.sha256,
                "problems": list(report.problems_for(f.path)),
            }
            for f in (manifest.files if manifest is not None else ())
        ],
        "custody": custody_lines(manifest) if manifest is not None else [],
    }
