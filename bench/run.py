"""parity benchmarks: check speed and scaling, prove overhead, prove memory under a flood of output.

Prints the machine, then one line per figure (benchmark, figure, target, PASS/FAIL) and exits 1 if any
target is missed, so CI can gate on it. Timings are best-of-N wall-clock times of whole processes,
and compared only with other timings taken in the same run.
"""

from __future__ import annotations

import argparse
import sys
import time

import check_speed
import prove_memory
import prove_overhead
import prove_scale
from measure import Figure, compile_parity, machine_facts

BENCHMARKS = ("check", "overhead", "scale", "memory")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=BENCHMARKS,
        default=[],
        help="run only this benchmark (repeatable): check = (a) check time and scaling, "
        "overhead = (b) prove vs direct commands, scale = (c) cached re-run and (d) shards, "
        "memory = (e) prove peak RSS under a flood",
    )
    parser.add_argument("--repeat", type=int, default=3, metavar="N", help="best of N timings (default 3)")
    parser.add_argument(
        "--rows",
        type=int,
        default=5000,
        metavar="N",
        help="generated matrix rows; also times 2N (default 5000)",
    )
    parser.add_argument(
        "--crates", type=int, default=10, metavar="N", help="generated Rust crates of 100 files (default 10)"
    )
    parser.add_argument(
        "--packages",
        type=int,
        default=10,
        metavar="N",
        help="generated Python packages of 100 files (default 10)",
    )
    parser.add_argument(
        "--flood-mb", type=int, default=500, metavar="MB", help="output of the flood test (default 500)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary repositories for inspection")
    return parser


def _table(figures: list[Figure]) -> str:
    rows = [("benchmark", "figure", "target", "result")]
    for figure in figures:
        result = "PASS" if figure.passed else "FAIL" if figure.passed is not None else "info"
        rows.append((figure.benchmark, figure.figure, figure.target, result))
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = []
    for number, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    chosen = args.only or list(BENCHMARKS)
    print("parity benchmarks")
    compiled = f"parity byte-compiled, as pip installs it ({compile_parity()} new .pyc)"
    for name, value in [*machine_facts(), ("bytecode", compiled)]:
        print(f"  {name:<13} {value}")
    print(flush=True)
    started = time.perf_counter()
    figures: list[Figure] = []
    if "check" in chosen:
        print("(a) parity check: example, generated repository", file=sys.stderr)
        figures += check_speed.run(
            repeat=args.repeat, keep=args.keep, rows=args.rows, crates=args.crates, packages=args.packages
        )
    if "overhead" in chosen:
        print("(b) parity prove overhead", file=sys.stderr)
        figures += prove_overhead.run(repeat=args.repeat, keep=args.keep)
    if "scale" in chosen:
        print("(c) cached re-run, (d) shards", file=sys.stderr)
        figures += prove_scale.run(keep=args.keep)
    if "memory" in chosen:
        print("(e) parity prove memory", file=sys.stderr)
        figures += prove_memory.run(mb=args.flood_mb, keep=args.keep)
    print(_table(figures))
    print()
    for figure in figures:
        if figure.detail:
            print(f"  {figure.benchmark}: {figure.detail}")
    failed = [f for f in figures if f.passed is False]
    verdict = (
        f"{len(failed)} of {len(figures)} targets missed" if failed else f"all {len(figures)} targets met"
    )
    print(f"\n{verdict} ({time.perf_counter() - started:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
