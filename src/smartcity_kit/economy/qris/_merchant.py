"""An enterprise's QRIS merchant data, and the static and dynamic codes made from it."""

from __future__ import annotations

import decimal
import re
import unicodedata
from collections.abc import Callable
from typing import Any, Final

import attrs

from smartcity_kit.core import Rupiah, find_personal_data
from smartcity_kit.economy._enterprises import Enterprise
from smartcity_kit.economy.qris._codec import build_qris, to_dynamic
from smartcity_kit.economy.qris._model import (
    QRIS_GUID,
    InitiationMethod,
    MerchantAccount,
    MerchantCriteria,
    QrisPayload,
    TipIndicator,
)
from smartcity_kit.errors import ValidationError

__all__ = ["QrisMerchant"]

_NMID: Final = re.compile(r"ID[0-9]{10,15}")
_MCC: Final = re.compile(r"[0-9]{4}")
_POSTAL: Final = re.compile(r"[0-9]{5}")
_PAN: Final = re.compile(r"[0-9]{1,19}")
_CRITERIA: Final = {m.value: m for m in MerchantCriteria}
_PRINTABLE: Final = re.compile(r"[^\x00-\x1f\x7f-\x9f\ud800-\udfff]+")


def _matches(
    pattern: re.Pattern[str], field: str, rule: str, *, optional: bool = False
) -> Callable[[Any, Any, Any], None]:
    def check(_instance: object, _attribute: object, value: object) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValidationError.single(field, rule)

    return check


def _ascii_name(name: str) -> str:
    """``name`` in capitals, accents dropped: what a QRIS code can print (tag 59 is ASCII)."""
    folded = unicodedata.normalize("NFKD", name.upper())
    return "".join(c for c in folded if not unicodedata.combining(c))


def _printable(
    field: str, most: int, *, optional: bool = False, ascii_only: bool = False
) -> Callable[[Any, Any, Any], None]:
    """A check of free text: 1 to ``most`` printable characters, not blank, no personal data.

    The text is written in the audit log when the merchant data is saved, which refuses text
    that looks like personal data: refused here, the error names the field, not ``details``.
    With ``ascii_only`` (the name and city, tags 59 and 60) only printable ASCII is taken.
    """

    def check(_instance: object, _attribute: object, value: object) -> None:
        if value is None and optional:
            return
        if (
            not isinstance(value, str)
            or not 1 <= len(value) <= most
            or not _PRINTABLE.fullmatch(value)
        ):
            raise ValidationError.single(field, f"must be 1 to {most} printable characters")
        if not value.strip():
            raise ValidationError.single(field, "must not be blank (only spaces)")
        if ascii_only and not value.isascii():
            raise ValidationError.single(
                field,
                "must be printable ASCII (EMVCo format ans): use ASCII; names in other scripts "
                "go in the language template 64",
            )
        if kind := find_personal_data(value):
            raise ValidationError.single(
                field, f"looks like personal data ({kind}): a QRIS code is public, leave it out"
            )

    return check


def _to_criteria(value: object) -> MerchantCriteria:
    criteria = _CRITERIA.get(value) if isinstance(value, str) else None
    if criteria is None:
        raise ValidationError.single("criteria", "must be UMI, UKE, UME or UBE")
    return criteria


@attrs.frozen
class QrisMerchant:
    """An enterprise's QRIS merchant data, as its acquirer (PJP) registered it.

    The acquirer gives the enterprise its National Merchant ID (NMID) and, for its own account,
    a merchant PAN under its GUID. From these the merchant's static code (for the stall's
    poster) and dynamic codes (one per sale) are made.

    >>> merchant = QrisMerchant(
    ...     enterprise="mks-maricaya-01",
    ...     nmid="ID1020000000001",
    ...     mcc="5499",
    ...     name="WARUNG LORONG",
    ...     city="MAKASSAR",
    ...     postal_code="90111",
    ... )
    >>> merchant.static_payload()[-4:]
    '1E30'

    Attributes:
        enterprise: The enterprise's id.
        nmid: The National Merchant ID, ``ID`` and 10 to 15 digits (13 as issued today).
        mcc: The merchant category code (ISO 18245), four digits.
        name: The name printed on the code, 1 to 25 printable ASCII characters, not blank.
        city: The city printed on the code, 1 to 15 printable ASCII characters, not blank.
        postal_code: Five digits (kode pos).
        criteria: The merchant's size class (UMI for a micro enterprise).
        merchant_pan: The merchant PAN at the acquirer (1 to 19 digits), for an acquirer
            account (tag 26) beside the national one; with ``acquirer_guid``.
        acquirer_guid: The acquirer's reverse-domain GUID, like ``ID.CO.BANKNAME.WWW``; with
            ``merchant_pan``.

    Free text (the enterprise id, name, city and acquirer GUID) that looks like personal data
    (a phone number, NIK, NPWP or e-mail address) is refused, naming the field: the code is
    public and the data is written in the audit log.
    """

    enterprise: str = attrs.field(validator=_printable("enterprise", 64))
    nmid: str = attrs.field(validator=_matches(_NMID, "nmid", "must be ID and 10 to 15 digits"))
    mcc: str = attrs.field(validator=_matches(_MCC, "mcc", "must be 4 digits"))
    name: str = attrs.field(validator=_printable("name", 25, ascii_only=True))
    city: str = attrs.field(validator=_printable("city", 15, ascii_only=True))
    postal_code: str | None = attrs.field(
        default=None,
        validator=_matches(_POSTAL, "postal_code", "must be 5 digits (kode pos)", optional=True),
    )
    criteria: MerchantCriteria = attrs.field(default=MerchantCriteria.MICRO, converter=_to_criteria)
    merchant_pan: str | None = attrs.field(
        default=None,
        validator=_matches(_PAN, "merchant_pan", "must be 1 to 19 digits", optional=True),
    )
    acquirer_guid: str | None = attrs.field(
        default=None, validator=_printable("acquirer_guid", 32, optional=True)
    )

    def __attrs_post_init__(self) -> None:
        if (self.merchant_pan is None) != (self.acquirer_guid is None):
            missing = "acquirer_guid" if self.acquirer_guid is None else "merchant_pan"
            raise ValidationError.single(
                missing, "merchant_pan and acquirer_guid are given together, or neither"
            )
        if self.acquirer_guid == QRIS_GUID:
            raise ValidationError.single(
                "acquirer_guid", f"is the acquirer's own GUID, not {QRIS_GUID}"
            )

    @classmethod
    def from_enterprise(  # noqa: PLR0913 - the acquirer's data, each named
        cls,
        enterprise: Enterprise,
        *,
        nmid: str,
        mcc: str,
        city: str,
        name: str | None = None,
        criteria: MerchantCriteria = MerchantCriteria.MICRO,
        merchant_pan: str | None = None,
        acquirer_guid: str | None = None,
    ) -> QrisMerchant:
        """The merchant data of a registered enterprise.

        The name defaults to the enterprise's name in capitals with accents dropped
        (``Kafé Lorong`` prints as ``KAFE LORONG``), and the postal code to its address's.

        Args:
            enterprise: The enterprise, from the registry.
            nmid: Its NMID, from the acquirer.
            mcc: Its merchant category code, from the acquirer.
            city: The city printed on the code, 1 to 15 characters (``MAKASSAR``).
            name: The name printed on the code, when the enterprise's name is too long or
                should read differently.
            criteria: Its size class.
            merchant_pan: The merchant PAN at the acquirer, when it gives one.
            acquirer_guid: The acquirer's GUID, with ``merchant_pan``.

        Returns:
            The merchant data.

        Raises:
            ValidationError: A value breaks its rule (named by the argument); ``name`` when the
                enterprise's name is longer than 25 characters, or not in Latin letters, and no
                name was given.
        """
        if not isinstance(enterprise, Enterprise):
            raise ValidationError.single("enterprise", "must be an Enterprise")
        if name is None:
            name = _ascii_name(enterprise.name)
            if len(name) > 25:
                raise ValidationError.single(
                    "name",
                    f"the enterprise's name has {len(name)} characters: give a shorter name "
                    "(max 25) to print on the code",
                )
            if not (name.isascii() and name.strip()):
                raise ValidationError.single(
                    "name",
                    "the enterprise's name is not in Latin letters: give a name in printable "
                    "ASCII (max 25) to print on the code",
                )
        return cls(
            enterprise=enterprise.id,
            nmid=nmid,
            mcc=mcc,
            name=name,
            city=city,
            postal_code=enterprise.address.postal_code,
            criteria=criteria,
            merchant_pan=merchant_pan,
            acquirer_guid=acquirer_guid,
        )

    def static_payload(self) -> str:
        """The static code's text, for the stall's poster: the payer types the amount.

        The code holds the national account (tag 51: NMID and criteria) and, when the acquirer
        gave a merchant PAN, the acquirer's account (tag 26).

        Raises:
            ValidationError: The merchant data does not make a valid code (named by its tag).
        """
        national = MerchantAccount("51", QRIS_GUID, merchant_id=self.nmid, criteria=self.criteria)
        accounts: tuple[MerchantAccount, ...] = (national,)
        if self.merchant_pan is not None and self.acquirer_guid is not None:
            acquirer = MerchantAccount(
                "26", self.acquirer_guid, pan=self.merchant_pan, criteria=self.criteria
            )
            accounts = (acquirer, national)
        return build_qris(
            QrisPayload(
                initiation=InitiationMethod.STATIC,
                accounts=accounts,
                mcc=self.mcc,
                merchant_name=self.name,
                merchant_city=self.city,
                postal_code=self.postal_code,
            )
        )

    def dynamic_payload(  # noqa: PLR0913 - the options of a dynamic code
        self,
        amount: Rupiah,
        *,
        bill_number: str | None = None,
        reference_label: str | None = None,
        tip: TipIndicator | None = None,
        fee_fixed: Rupiah | None = None,
        fee_percent: decimal.Decimal | None = None,
    ) -> str:
        """A dynamic code for one sale: the static code rewritten by :func:`to_dynamic`.

        Args:
            amount: The amount to pay, more than Rp0.
            bill_number: The sale's number (62.01), 1 to 25 characters.
            reference_label: The reference the payment notification echoes (62.05).
            tip: A tip prompt or a convenience fee.
            fee_fixed: The fixed fee, with ``tip=TipIndicator.FIXED``.
            fee_percent: The fee in percent, with ``tip=TipIndicator.PERCENT``.

        Returns:
            The dynamic code's text.

        Raises:
            ValidationError: An option is wrong (named by the argument).
        """
        return to_dynamic(
            self.static_payload(),
            amount,
            bill_number=bill_number,
            reference_label=reference_label,
            tip=tip,
            fee_fixed=fee_fixed,
            fee_percent=fee_percent,
        )
