"""The typed model of a QRIS payload: its merchant accounts, amounts and additional data."""

from __future__ import annotations

import decimal
import enum
from typing import Final

import attrs

from smartcity_kit.core import Rupiah

__all__ = [
    "QRIS_GUID",
    "AdditionalData",
    "InitiationMethod",
    "MerchantAccount",
    "MerchantCriteria",
    "QrisPayload",
    "TipIndicator",
    "TlvField",
    "mask_mobile_number",
]

QRIS_GUID: Final = "ID.CO.QRIS.WWW"
"""The globally unique identifier of the national repository account (tag 51)."""


class InitiationMethod(enum.StrEnum):
    """Point of initiation (tag 01): how often the code may be paid."""

    STATIC = "11"
    """Shown to every payer (a stall's poster); the payer types the amount."""
    DYNAMIC = "12"
    """Made for one sale; carries the amount (tag 54)."""


class MerchantCriteria(enum.StrEnum):
    """The merchant's size class (kriteria merchant, sub-tag 03 of tag 51)."""

    MICRO = "UMI"
    """Usaha mikro."""
    SMALL = "UKE"
    """Usaha kecil."""
    MEDIUM = "UME"
    """Usaha menengah."""
    LARGE = "UBE"
    """Usaha besar."""


class TipIndicator(enum.StrEnum):
    """Tip or convenience fee indicator (tag 55)."""

    PROMPT = "01"
    """The payer's app asks for a tip."""
    FIXED = "02"
    """A fixed convenience fee, in tag 56."""
    PERCENT = "03"
    """A convenience fee as a percentage of the amount, in tag 57."""


@attrs.frozen
class TlvField:
    """One data object (tag and value) kept verbatim, for tags the model does not name.

    Attributes:
        tag: Two digits, ``"64"``.
        value: The value exactly as it was in the code (a template's value is its inner TLV text).
    """

    tag: str
    value: str


@attrs.frozen
class MerchantAccount:
    """A merchant account template (tags 26 to 51): where the money goes.

    Tag 51 is the national repository account: GUID :data:`QRIS_GUID`, the National Merchant ID
    (NMID) in sub-tag 02 and the merchant criteria in 03. Tags 26 to 50 are the acquirers'
    (PJP) accounts, with their own reverse-domain GUID and the merchant PAN.

    Attributes:
        tag: ``"26"`` to ``"51"``.
        guid: Sub-tag 00, a reverse domain name like ``ID.CO.QRIS.WWW``.
        pan: Sub-tag 01, the merchant PAN at the acquirer (digits).
        merchant_id: Sub-tag 02, the merchant ID; in the national account, the NMID.
        criteria: Sub-tag 03, the merchant criteria.
        other: Any other sub-tags, verbatim and in their order.
    """

    tag: str
    guid: str
    pan: str | None = None
    merchant_id: str | None = None
    criteria: MerchantCriteria | None = None
    other: tuple[TlvField, ...] = ()

    @property
    def is_national(self) -> bool:
        """Whether this is the national repository account (GUID ``ID.CO.QRIS.WWW``)."""
        return self.guid == QRIS_GUID


def mask_mobile_number(value: str) -> str:
    """A mobile number (personal data) masked for display: its first and last two characters.

    Numbers of six characters or fewer are masked whole. The CLI, the web API and the reprs
    all show mobile numbers this way.

    >>> mask_mobile_number("081234567890")
    '08********90'
    >>> mask_mobile_number("0812")
    '****'

    Args:
        value: The number as the code carries it.

    Returns:
        The masked text, as long as ``value``.
    """
    keep = 2 if len(value) > 6 else 0
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[len(value) - keep :]


def _mask_mobile(value: str | None) -> str:
    return "None" if value is None else repr(mask_mobile_number(value))


@attrs.frozen
class AdditionalData:
    """The additional data template (tag 62), each value 1 to 25 characters.

    The mobile number is personal data: the repr shows it masked.

    >>> AdditionalData(bill_number="INV-7", mobile_number="081234567890")
    AdditionalData(bill_number='INV-7', mobile_number='08********90', store_label=None, ...)

    Attributes:
        bill_number: 01, the invoice or sale number.
        mobile_number: 02, the payer's mobile number (personal data).
        store_label: 03, which outlet.
        loyalty_number: 04, a loyalty card number.
        reference_label: 05, the merchant's reference for the payment, echoed in the acquirer's
            payment notification.
        customer_label: 06, a customer reference.
        terminal_label: 07, which till or terminal.
        purpose: 08, the purpose of the transaction.
        consumer_data_request: 09, the data the payer's app should ask for.
        other: Any other sub-tags (10 to 99), verbatim and in their order.
    """

    bill_number: str | None = None
    mobile_number: str | None = attrs.field(default=None, repr=_mask_mobile)
    store_label: str | None = None
    loyalty_number: str | None = None
    reference_label: str | None = None
    customer_label: str | None = None
    terminal_label: str | None = None
    purpose: str | None = None
    consumer_data_request: str | None = None
    other: tuple[TlvField, ...] = ()


@attrs.frozen
class QrisPayload:
    """A QRIS code as values: who is paid, how much, and what else the code carries.

    Made by :func:`~smartcity_kit.economy.qris.parse_qris` from a code, or by hand and turned
    into a code with :func:`~smartcity_kit.economy.qris.build_qris` (or :meth:`to_text`), which
    checks the same rules as parsing.

    Attributes:
        initiation: Tag 01, static or dynamic.
        accounts: Tags 26 to 51, the merchant accounts (the national one, tag 51, is required).
        mcc: Tag 52, the merchant category code (ISO 18245), four digits.
        merchant_name: Tag 59, 1 to 25 characters.
        merchant_city: Tag 60, 1 to 15 characters.
        currency: Tag 53, ``"360"`` (rupiah).
        country: Tag 58, ``"ID"``.
        amount: Tag 54, the amount to pay (a dynamic code needs one; a static code has none).
        tip: Tag 55, the tip or convenience fee indicator.
        fee_fixed: Tag 56, the fixed convenience fee (with ``tip`` FIXED).
        fee_percent: Tag 57, the convenience fee in percent, more than 0 and at most 100, at
            most two decimals (with ``tip`` PERCENT).
        postal_code: Tag 61, five digits (kode pos).
        additional: Tag 62, the additional data.
        other: Any other top-level data object (tags 02-25, 64-99), verbatim; they are written
            in ascending tag order.
        payload_format: Tag 00, ``"01"``.
        crc: Tag 63 as read from a code; None for a payload made by hand.
    """

    initiation: InitiationMethod
    accounts: tuple[MerchantAccount, ...]
    mcc: str
    merchant_name: str
    merchant_city: str
    currency: str = "360"
    country: str = "ID"
    amount: Rupiah | None = None
    tip: TipIndicator | None = None
    fee_fixed: Rupiah | None = None
    fee_percent: decimal.Decimal | None = None
    postal_code: str | None = None
    additional: AdditionalData | None = None
    other: tuple[TlvField, ...] = ()
    payload_format: str = "01"
    crc: str | None = None

    @property
    def nmid(self) -> str | None:
        """The National Merchant ID: the merchant ID of the national account (tag 51).

        An acquirer account (26-50) may use the national GUID too; tag 51 wins over it. Only a
        payload without tag 51 (made by hand: a code without it is refused) falls back to the
        first account with the national GUID; None when there is none.
        """
        for account in self.accounts:
            if account.tag == "51":
                return account.merchant_id
        for account in self.accounts:
            if account.guid == QRIS_GUID:
                return account.merchant_id
        return None

    @property
    def is_dynamic(self) -> bool:
        """Whether the code is for one sale (point of initiation 12)."""
        return self.initiation == InitiationMethod.DYNAMIC

    def to_text(self) -> str:
        """The code's text: the same as ``build_qris(self)``.

        Raises:
            ValidationError: The payload breaks a QRIS rule; every problem is named by its tag.
        """
        from smartcity_kit.economy.qris._codec import build_qris  # noqa: PLC0415 - cycle

        return build_qris(self)
