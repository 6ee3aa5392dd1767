"""QR images of QRIS codes (PNG, SVG) and a printable A5 poster for a stall.

The images need segno (the ``qr`` extra), imported only when an image is asked for.
"""

from __future__ import annotations

import html
import io
from typing import Any

from smartcity_kit.economy.qris._codec import parse_qris
from smartcity_kit.economy.qris._model import QrisPayload
from smartcity_kit.errors import ConfigurationError, ValidationError

__all__ = ["qr_png", "qr_poster_html", "qr_svg"]

_MISSING_SEGNO = "QR images need the 'qr' extra: pip install 'smartcity-kit[qr]'"


def _symbol(text: str, scale: int, border: int) -> tuple[QrisPayload, Any]:
    """The payload and QR symbol of a valid QRIS code, at error correction level M.

    Payment codes are printed at level M: it survives a worn or creased poster, and keeps the
    symbol small enough for a phone's camera at arm's length. Text is always encoded as UTF-8,
    the bytes the CRC (tag 63) was computed over: left to itself, segno would write text with
    a character outside ASCII (in template 64, say) as ISO-8859-1, and a payer's app would
    read a code whose CRC does not match.
    """
    for name, value, low in (("scale", scale, 1), ("border", border, 0)):
        if type(value) is not int or not low <= value <= 100:
            raise ValidationError.single(name, f"must be a whole number from {low} to 100")
    payload = parse_qris(text)
    try:
        import segno  # noqa: PLC0415 - optional dependency, loaded when an image is made
    except ImportError:
        raise ConfigurationError(_MISSING_SEGNO) from None
    return payload, segno.make(text, error="m", micro=False, boost_error=False, encoding="utf-8")


def qr_png(text: str, *, scale: int = 8, border: int = 4) -> bytes:
    """The QR code of a QRIS code as a PNG image.

    Args:
        text: A valid QRIS code.
        scale: Pixels per module (1 to 100).
        border: The quiet zone around the code, in modules (0 to 100; the standard asks 4).

    Returns:
        The PNG file's bytes.

    Raises:
        ValidationError: The code is not valid, or ``scale`` or ``border`` is out of range.
        ConfigurationError: segno is not installed (the ``qr`` extra).
    """
    out = io.BytesIO()
    _symbol(text, scale, border)[1].save(out, kind="png", scale=scale, border=border)
    return out.getvalue()


def qr_svg(text: str, *, scale: int = 8, border: int = 4) -> bytes:
    """The QR code of a QRIS code as an SVG image (UTF-8, with its XML declaration).

    Args:
        text: A valid QRIS code.
        scale: User units per module (1 to 100).
        border: The quiet zone around the code, in modules (0 to 100; the standard asks 4).

    Returns:
        The SVG file's bytes.

    Raises:
        ValidationError: The code is not valid, or ``scale`` or ``border`` is out of range.
        ConfigurationError: segno is not installed (the ``qr`` extra).
    """
    out = io.BytesIO()
    _symbol(text, scale, border)[1].save(
        out, kind="svg", scale=scale, border=border, xmldecl=True, svgns=True
    )
    return out.getvalue()


_POSTER_CSS = """
@page { size: A5 portrait; margin: 10mm; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; background: #fff; color: #000; }
body { font-family: "Helvetica Neue", Arial, sans-serif; text-align: center; }
.poster { width: 128mm; margin: 0 auto; padding-top: 4mm; }
.brand { font-size: 14pt; font-weight: bold; letter-spacing: 0.3em; margin: 0 0 2mm; }
h1 { font-size: 20pt; margin: 0; }
.city { font-size: 12pt; margin: 1mm 0 3mm; }
.qr svg { width: 100mm; height: 100mm; display: block; margin: 0 auto; }
.amount { font-size: 22pt; font-weight: bold; margin: 3mm 0 0; }
.scan { font-size: 12pt; margin: 4mm 0 2mm; }
.scan .en { color: #444; font-size: 10pt; }
.nmid { font-size: 10pt; margin: 2mm 0 0; font-family: monospace; }
""".strip()


def _poster(payload: QrisPayload, svg: str) -> str:
    name = html.escape(payload.merchant_name)
    lines = [
        "<!DOCTYPE html>",
        '<html lang="id">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>QRIS {name}</title>",
        f"<style>\n{_POSTER_CSS}\n</style>",
        "</head>",
        "<body>",
        '<main class="poster">',
        '<p class="brand">QRIS</p>',
        f'<h1 class="name">{name}</h1>',
        f'<p class="city">{html.escape(payload.merchant_city)}</p>',
        f'<div class="qr" role="img" aria-label="QRIS {name}">{svg}</div>',
    ]
    if payload.amount is not None:
        lines.append(f'<p class="amount">{html.escape(str(payload.amount))}</p>')
    lines += [
        '<p class="scan">Scan dengan aplikasi pembayaran apa pun<br>',
        '<span class="en" lang="en">Scan with any payment app</span></p>',
    ]
    if payload.nmid is not None:
        lines.append(f'<p class="nmid">NMID: {html.escape(payload.nmid)}</p>')
    lines += ["</main>", "</body>", "</html>", ""]
    return "\n".join(lines)


def qr_poster_html(text: str) -> str:
    """A printable A5 page for a stall: the code, the merchant's name, city and NMID.

    The page stands alone (the code is inline SVG, no fonts, scripts or images are fetched),
    so it prints offline. Text is in Bahasa Indonesia first; the amount is printed for a
    dynamic code. All text from the code is HTML-escaped.

    Args:
        text: A valid QRIS code.

    Returns:
        The HTML page.

    Raises:
        ValidationError: The code is not valid.
        ConfigurationError: segno is not installed (the ``qr`` extra).
    """
    payload, symbol = _symbol(text, 1, 4)
    svg = symbol.svg_inline(scale=1, border=4, omitsize=True)
    return _poster(payload, svg)
