"""QRIS codec throughput next to lokal-id and qriskit, on the same payloads.

Three jobs, each on a few realistic codes (the static sample from the domain notes, a static code
with an acquirer account, a dynamic code with a tip and additional data, a code with a language
template):

- parse + validate: text in, every rule checked, fields out (ours ``parse_qris``, lokal-id
  ``parse_qris``, qriskit ``parse(strict=True)``);
- static -> dynamic for one sale: text in, text out (ours ``to_dynamic``, lokal-id
  ``set_qris_amount``, qriskit ``parse(...).to_dynamic(...)``);
- full build from fields: values in, checked text out (ours ``QrisPayload`` + ``build_qris``,
  qriskit ``MerchantAccount.create`` + ``build``; lokal-id has no builder).

The target (issue 8): ours at least as fast as the faster peer in every job. Each figure is the
best of 5 rounds of about 0.1 s. Runs in about 20 seconds. Prints figures; it is not a test.

Run: ``python benchmarks/qris.py``
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial

import qriskit
from lokal.qris import parse_qris as lokal_parse
from lokal.qris import set_qris_amount

from smartcity_kit.core import Rupiah
from smartcity_kit.economy.qris import (
    QRIS_GUID,
    AdditionalData,
    InitiationMethod,
    MerchantAccount,
    MerchantCriteria,
    QrisMerchant,
    QrisPayload,
    TipIndicator,
    build_qris,
    parse_qris,
    to_dynamic,
)

SAMPLE = (
    "00020101021151440014ID.CO.QRIS.WWW0215ID10200000000010303UMI5204549953033605802ID"
    "5913WARUNG LORONG6008MAKASSAR61059011163041E30"
)
ACQUIRER = QrisMerchant(
    enterprise="mks-maricaya-01",
    nmid="ID1020021181745",
    mcc="5812",
    name="BULO LORONG SEHATI",
    city="MAKASSAR",
    postal_code="90142",
    criteria=MerchantCriteria.SMALL,
    merchant_pan="936000140000012345",
    acquirer_guid="ID.CO.BANKSULSELBAR.WWW",
).static_payload()
DYNAMIC = to_dynamic(
    ACQUIRER,
    Rupiah(27500),
    bill_number="41",
    reference_label="QRS-2026-000041",
    tip=TipIndicator.PERCENT,
    fee_percent=Decimal("2.5"),
)
LANGUAGE = build_qris(
    QrisPayload(
        initiation=InitiationMethod.DYNAMIC,
        accounts=(
            MerchantAccount(
                "51", QRIS_GUID, merchant_id="ID1020000000001", criteria=MerchantCriteria.MICRO
            ),
        ),
        mcc="5499",
        merchant_name="SIRUP MARKISA BAUBAU",
        merchant_city="BAUBAU",
        amount=Rupiah(150000),
        postal_code="93711",
        additional=AdditionalData(terminal_label="KASIR-1", store_label="LORONG 3"),
    )
)
CODES = {"sample": SAMPLE, "acquirer": ACQUIRER, "dynamic": DYNAMIC, "template": LANGUAGE}
STATICS = {"sample": SAMPLE, "acquirer": ACQUIRER}


def rate(job: Callable[[], object]) -> float:
    """Calls per second: the best of 5 rounds of about 0.1 s each."""
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            job()
        if time.perf_counter() - start > 0.02:
            break
        calls *= 2
    calls *= 5
    best = float("inf")
    for _ in range(5):
        gc.collect()
        start = time.perf_counter()
        for _ in range(calls):
            job()
        best = min(best, time.perf_counter() - start)
    return calls / best


def qriskit_parse(text: str) -> object:
    return qriskit.parse(text, strict=True)


def qriskit_dynamic(text: str) -> str:
    return str(qriskit.parse(text).to_dynamic(15000))


def ours_build() -> str:
    return build_qris(
        QrisPayload(
            initiation=InitiationMethod.DYNAMIC,
            accounts=(
                MerchantAccount(
                    "26", "ID.CO.BANKSULSELBAR.WWW", pan="936000140000012345", criteria=_SMALL
                ),
                MerchantAccount("51", QRIS_GUID, merchant_id="ID1020021181745", criteria=_SMALL),
            ),
            mcc="5812",
            merchant_name="BULO LORONG SEHATI",
            merchant_city="MAKASSAR",
            amount=Rupiah(27500),
            postal_code="90142",
            additional=AdditionalData(bill_number="41", reference_label="QRS-2026-000041"),
        )
    )


_SMALL = MerchantCriteria.SMALL


def qriskit_build() -> str:
    return str(
        qriskit.build(
            merchant_name="BULO LORONG SEHATI",
            merchant_city="MAKASSAR",
            mcc="5812",
            accounts=[
                qriskit.MerchantAccount.create(
                    tag="26",
                    guid="ID.CO.BANKSULSELBAR.WWW",
                    pan="936000140000012345",
                    criteria="UKE",
                ),
                qriskit.MerchantAccount.national(nmid="ID1020021181745", criteria="UKE"),
            ],
            postal_code="90142",
            amount=27500,
            additional_data={"01": "41", "05": "QRS-2026-000041"},
        )
    )


def check_agreement() -> None:
    """Every implementation accepts every code, so the figures compare the same work."""
    for name, text in CODES.items():
        parse_qris(text)
        assert lokal_parse(text).valid, name
        qriskit_parse(text)
    assert parse_qris(ours_build()) == parse_qris(qriskit_build())
    for text in STATICS.values():
        assert set_qris_amount(text, 15000) == to_dynamic(text, Rupiah(15000))


def report(job: str, figures: dict[str, float | None]) -> bool:
    ours = figures["ours"]
    assert ours is not None
    peers = [f for name, f in figures.items() if name != "ours" and f is not None]
    cells = "".join(f"{'n/a' if f is None else f'{f:,.0f}':>14}" for f in figures.values())
    met = ours >= max(peers)
    print(f"{job:<34}{cells}   {ours / max(peers):5.2f}x  {'yes' if met else 'NO'}")
    return met


def main() -> None:
    check_agreement()
    print(f"{'ops/s':<34}{'ours':>14}{'lokal-id':>14}{'qriskit':>14}   vs best  target met")
    results = []
    for name, text in CODES.items():
        results.append(
            report(
                f"parse+validate {name} ({len(text)} ch)",
                {
                    "ours": rate(partial(parse_qris, text)),
                    "lokal-id": rate(partial(lokal_parse, text)),
                    "qriskit": rate(partial(qriskit_parse, text)),
                },
            )
        )
    for name, text in STATICS.items():
        results.append(
            report(
                f"static->dynamic {name}",
                {
                    "ours": rate(partial(to_dynamic, text, Rupiah(15000))),
                    "lokal-id": rate(partial(set_qris_amount, text, 15000)),
                    "qriskit": rate(partial(qriskit_dynamic, text)),
                },
            )
        )
    results.append(
        report(
            "full build from fields",
            {"ours": rate(ours_build), "lokal-id": None, "qriskit": rate(qriskit_build)},
        )
    )
    verdict = "met" if all(results) else "NOT met"
    print(f"\ntarget (at least as fast as the faster peer in every job): {verdict}")


if __name__ == "__main__":
    main()
