"""QR images of QRIS codes and the stall poster."""

from __future__ import annotations

import builtins
import struct
import zlib
from typing import Any

import defusedxml.ElementTree as DefusedET
import pytest

from smartcity_kit.core import Rupiah
from smartcity_kit.economy.qris import (
    QrisMerchant,
    qr_png,
    qr_poster_html,
    qr_svg,
    to_dynamic,
)
from smartcity_kit.errors import ConfigurationError, ValidationError

SAMPLE = (
    "00020101021151440014ID.CO.QRIS.WWW0215ID10200000000010303UMI5204549953033605802ID"
    "5913WARUNG LORONG6008MAKASSAR61059011163041E30"
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunks(data: bytes) -> dict[bytes, bytes]:
    """The PNG's chunks by type (the data of the last of each), each CRC checked."""
    assert data.startswith(PNG_SIGNATURE)
    chunks: dict[bytes, bytes] = {}
    pos = len(PNG_SIGNATURE)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc
        chunks[kind] = chunks.get(kind, b"") + body if kind == b"IDAT" else body
        pos += 12 + length
    return chunks


def test_png_is_a_png_of_the_expected_size() -> None:
    data = qr_png(SAMPLE, scale=4, border=4)
    chunks = png_chunks(data)
    width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
    # 127 characters at level M fit version 6: 41 modules, plus the quiet zone.
    assert width == height == (41 + 2 * 4) * 4
    assert b"IEND" in chunks
    raw = zlib.decompress(chunks[b"IDAT"])
    assert len(raw) > 0
    assert qr_png(SAMPLE) != data  # the default scale is 8


def test_svg_is_well_formed_xml() -> None:
    root = DefusedET.fromstring(qr_svg(SAMPLE, scale=2))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == str((41 + 8) * 2)


def test_images_need_a_valid_code_and_sane_sizes() -> None:
    with pytest.raises(ValidationError) as caught:
        qr_png(SAMPLE[:-1] + "1")
    assert caught.value.fields == ("63 (CRC)",)
    with pytest.raises(ValidationError) as caught:
        qr_svg(SAMPLE, scale=0)
    assert caught.value.fields == ("scale",)
    with pytest.raises(ValidationError) as caught:
        qr_png(SAMPLE, border=-1)
    assert caught.value.fields == ("border",)
    with pytest.raises(ValidationError):
        qr_poster_html(b"not text")  # type: ignore[arg-type]


def test_the_poster_prints_name_city_nmid_and_says_scan_in_indonesian_first() -> None:
    page = qr_poster_html(SAMPLE)
    assert page.startswith("<!DOCTYPE html>")
    assert "size: A5" in page
    assert "WARUNG LORONG" in page
    assert "MAKASSAR" in page
    assert "NMID: ID1020000000001" in page
    assert "<svg" in page
    indonesian = page.index("Scan dengan aplikasi pembayaran apa pun")
    assert indonesian < page.index("Scan with any payment app")
    assert 'lang="id"' in page
    assert "Rp" not in page  # a static code has no amount
    # Nothing is fetched: no URL at all, no scripts, no images, no links.
    for outside in ("http", "<script", "<img", "<link", "url("):
        assert outside not in page


def test_the_poster_of_a_dynamic_code_prints_the_amount() -> None:
    page = qr_poster_html(to_dynamic(SAMPLE, Rupiah(15000)))
    assert "Rp15.000" in page


def test_the_poster_escapes_the_text_of_the_code() -> None:
    m = QrisMerchant(
        enterprise="mks-maricaya-01",
        nmid="ID1020000000001",
        mcc="5499",
        name='<b>KOPI "A&B"</b>',
        city="<i>BAUBAU</i>",
    )
    page = qr_poster_html(m.static_payload())
    assert "&lt;b&gt;KOPI &quot;A&amp;B&quot;&lt;/b&gt;" in page
    assert "&lt;i&gt;BAUBAU&lt;/i&gt;" in page
    assert "<b>" not in page
    assert "<i>" not in page


def test_without_segno_the_error_names_the_qr_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_segno(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "segno" or name.startswith("segno."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(__import__("sys").modules, "segno", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_segno)
    for make in (qr_png, qr_svg, qr_poster_html):
        with pytest.raises(ConfigurationError, match=r"pip install 'smartcity-kit\[qr\]'"):
            make(SAMPLE)
