"""CRC-16/CCITT-FALSE, the checksum in tag 63 of a QRIS code."""

from __future__ import annotations

import binascii

from smartcity_kit.errors import ValidationError

__all__ = ["crc16"]


def crc16(data: str | bytes) -> str:
    """The CRC-16/CCITT-FALSE of ``data``, as four upper-case hexadecimal digits.

    Polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR: ``binascii.crc_hqx``
    seeded with 0xFFFF. Text is encoded as UTF-8 first. For a QRIS code, ``data`` is everything
    up to and including the text ``6304`` (tag 63, length 04).

    >>> crc16("123456789")
    '29B1'

    Args:
        data: The text or bytes to check.

    Returns:
        Four upper-case hexadecimal digits.

    Raises:
        ValidationError: ``data`` is neither text nor bytes.
    """
    if isinstance(data, str):
        # surrogatepass: a lone surrogate (from bad decoding upstream) still gets a checksum,
        # which then simply fails to match, instead of raising UnicodeEncodeError.
        data = data.encode("utf-8", "surrogatepass")
    elif not isinstance(data, bytes | bytearray | memoryview):
        raise ValidationError.single("data", "must be text (str) or bytes")
    return f"{binascii.crc_hqx(data, 0xFFFF):04X}"
