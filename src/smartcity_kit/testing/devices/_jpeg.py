"""A tiny valid JPEG for simulated cameras to answer snapshots with (no imaging library needed)."""

from __future__ import annotations

from typing import Final

__all__ = ["TINY_JPEG"]

#: An 8 x 8 mid-grey baseline JPEG (JFIF, one component, 159 bytes): SOI, APP0, DQT, SOF0, one
#: DC and one AC Huffman table of a single code each, SOS, one byte of entropy-coded data (DC
#: difference 0, end of block), EOI. Real decoders (libjpeg, Pillow) read it.
TINY_JPEG: Final[bytes] = bytes.fromhex(
    "ffd8"  # SOI
    "ffe000104a46494600010100000100010000"  # APP0 JFIF 1.1, aspect 1:1
    "ffdb004300"  # DQT: table 0 ...
    "01010101010101010101010101010101010101010101010101010101010101010101010101010101"
    "010101010101010101010101010101010101010101010101"  # ... all 64 entries 1
    "ffc0000b080008000801011100"  # SOF0: 8 bits, 8 x 8, one component, table 0
    "ffc40014000100000000000000000000000000000000"  # DHT: DC table 0, symbol 0 -> code 0
    "ffc40014100100000000000000000000000000000000"  # DHT: AC table 0, symbol 0 (EOB) -> 0
    "ffda0008010100003f00"  # SOS: one component, tables 0/0, spectral 0-63
    "3f"  # DC diff 0, EOB, padded with ones
    "ffd9"  # EOI
)
