"""QRIS payments: codes read, checked, written and drawn, and sales that post to the books.

:func:`parse_qris` reads a code and checks every rule, naming each problem by its tag;
:func:`build_qris` writes one from a :class:`QrisPayload`; :func:`to_dynamic` turns an
enterprise's static code into one for a single sale by rewriting its data objects.
:class:`QrisMerchant` holds an enterprise's merchant data (its NMID) and makes its codes;
:func:`qr_png`, :func:`qr_svg` and :func:`qr_poster_html` draw them (the ``qr`` extra).
:class:`QrisSales` records sales and posts each paid one to the enterprise's ledger once.
See ``docs/explanation/qris.md`` for the rules and the choices behind them.
"""

from smartcity_kit.economy.qris._codec import (
    build_qris,
    check_qris,
    parse_qris,
    to_dynamic,
    to_static,
)
from smartcity_kit.economy.qris._crc import crc16
from smartcity_kit.economy.qris._image import qr_png, qr_poster_html, qr_svg
from smartcity_kit.economy.qris._merchant import QrisMerchant
from smartcity_kit.economy.qris._model import (
    QRIS_GUID,
    AdditionalData,
    InitiationMethod,
    MerchantAccount,
    MerchantCriteria,
    QrisPayload,
    TipIndicator,
    TlvField,
    mask_mobile_number,
)
from smartcity_kit.economy.qris._sales import (
    PaymentNotification,
    PaymentResult,
    QrisSale,
    QrisSales,
    SaleItem,
    SaleStatus,
)

__all__ = [
    "QRIS_GUID",
    "AdditionalData",
    "InitiationMethod",
    "MerchantAccount",
    "MerchantCriteria",
    "PaymentNotification",
    "PaymentResult",
    "QrisMerchant",
    "QrisPayload",
    "QrisSale",
    "QrisSales",
    "SaleItem",
    "SaleStatus",
    "TipIndicator",
    "TlvField",
    "build_qris",
    "check_qris",
    "crc16",
    "mask_mobile_number",
    "parse_qris",
    "qr_png",
    "qr_poster_html",
    "qr_svg",
    "to_dynamic",
    "to_static",
]
