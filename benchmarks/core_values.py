"""How fast the core value types are: parsing, masking, regions, working days, the converter.

Prints figures; run it with ``python benchmarks/core_values.py``. Not a test: no thresholds.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
import tracemalloc
from collections.abc import Callable

from smartcity_kit.core import (
    Nik,
    Npwp,
    Region,
    RegionCode,
    Rupiah,
    WorkingCalendar,
    make_converter,
)


def measure(label: str, n: int, fn: Callable[[int], object]) -> None:
    gc.collect()
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    elapsed = time.perf_counter() - start
    print(f"{label:<48} {n:>8,} ops  {elapsed * 1e6 / n:>9.1f} µs/op  {n / elapsed:>12,.0f} ops/s")


def main() -> None:
    tracemalloc.start()
    start = time.perf_counter()
    makassar = Region.get("73.71")
    villages = [v for d in makassar.children() for v in d.children()]
    first = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"first region lookup (loads Kemendagri data): {first * 1000:.0f} ms")
    print(f"  peak memory while loading: {peak / 2**20:.1f} MiB")
    print(f"Makassar villages: {len(villages)}")

    niks = [f"737110{(i % 28) + 1:02d}0895{(i % 9999) + 1:04d}" for i in range(1000)]
    measure("Nik.parse", 100_000, lambda i: Nik.parse(niks[i % 1000]))
    nik = Nik.parse(niks[0])
    measure("str(Nik) (masked)", 100_000, lambda _: str(nik))
    measure(
        "Npwp.parse (15-digit, check digit)", 50_000, lambda _: Npwp.parse("01.300.066.6-091.000")
    )
    measure(
        "RegionCode.parse (checks existence)", 100_000, lambda _: RegionCode.parse("73.71.03.1001")
    )
    measure("Region.get(village)", 50_000, lambda _: Region.get("73.71.03.1001"))
    measure("Rupiah.parse + format", 100_000, lambda _: str(Rupiah.parse("Rp1.500.000")))
    cal = WorkingCalendar()
    start_day = dt.date(2026, 1, 1)
    measure(
        "WorkingCalendar.add_working_days(+14)",
        20_000,
        lambda i: cal.add_working_days(start_day + dt.timedelta(days=i % 700), 14),
    )
    conv = make_converter(reveal_personal_data=True)
    measure(
        "converter round trip of a Nik",
        100_000,
        lambda _: conv.structure(conv.unstructure(nik), Nik),
    )


if __name__ == "__main__":
    main()
