"""`python -m bench all` runs every part; `python -m bench PART` one of them (with the
baseline, always measured in the same run); `python -m bench compare OLD.json NEW.json`
puts two result files side by side. See bench/README.md."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    baseline,
    clients,
    endtoend,
    fanout,
    feeds,
    intake,
    processing,
    reader,
    report,
    startup,
)
from bench.common import PartResult

PARTS = ("intake", "processing", "fanout", "clients", "feeds", "memory", "e2e", "reader")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Maillage benchmarks (see bench/README.md).")
    parser.add_argument("parts", nargs="+", choices=("all", "baseline", *PARTS),
                        help="all, or some of: baseline intake processing fanout clients feeds "
                             "memory e2e reader")
    parser.add_argument("--intake-requests", type=int, default=15000,
                        help="pre-signed timed requests in part 1 (default 15000)")
    parser.add_argument("--intake-seconds", type=float, default=40.0,
                        help="longest timed phase of part 1 (default 40)")
    parser.add_argument("--intake-warmup", type=int, default=1500)
    parser.add_argument("--intake-concurrency", type=int, default=32)
    parser.add_argument("--processing-count", type=int, default=10000,
                        help="stored Follows processed in part 2 (default 10000)")
    parser.add_argument("--followers", type=int, default=10000)
    parser.add_argument("--instances", type=int, default=500)
    parser.add_argument("--fanout-rounds", type=int, default=3,
                        help="activities published one after the other; the median is kept")
    parser.add_argument("--rebuild-feeds", action="store_true",
                        help="generate part 4's 1,000,000 objects again (kept between runs)")
    parser.add_argument("--objects", type=int, default=feeds.TOTAL,
                        help="stored objects for parts 4 and 7 (default 1000000; another "
                             "size is generated into its own database, kept too)")
    parser.add_argument("--reader-rounds", type=int, default=200,
                        help="timed requests per measure in part 7 (default 200)")
    parser.add_argument("--reader-seconds", type=float, default=30.0,
                        help="longest timing of one measure in part 7 (default 30)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile: py-spy on the web process (part 1) and worker "
                             "(part 3), pyinstrument in process (part 2); in bench/.data/profiles")
    parser.add_argument("--extra-path", metavar="DIR",
                        help="put DIR first on the path of the processes the bench starts "
                             "(to try a package without installing it)")
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> list[PartResult]:
    wanted = set(PARTS) if "all" in args.parts else set(args.parts)
    results: list[PartResult] = [await baseline.measure()]
    base = results[0].data
    intake_data = None
    if "intake" in wanted:
        part = await intake.run(base, requests=args.intake_requests, warmup=args.intake_warmup,
                                concurrency=args.intake_concurrency,
                                max_seconds=args.intake_seconds, profile=args.profile)
        intake_data = part.data
        results.append(part)
    if "processing" in wanted:
        results.append(await processing.run(base, count=args.processing_count,
                                            profile=args.profile))
    if "fanout" in wanted:
        results.append(await fanout.run(base, followers=args.followers,
                                        instances=args.instances, repeat=args.fanout_rounds,
                                        profile=args.profile))
    if "clients" in wanted:
        results.append(await clients.run(base, instances=args.instances,
                                         repeat=args.fanout_rounds))
    if "feeds" in wanted:
        results.append(await feeds.run(base, rebuild=args.rebuild_feeds, total=args.objects))
    if "memory" in wanted:
        results.append(await startup.run(intake_data, base))
    if "e2e" in wanted:
        results.append(await endtoend.run(base, requests=args.processing_count))
    if "reader" in wanted:
        results.append(await reader.run(base, rounds=args.reader_rounds,
                                        seconds=args.reader_seconds,
                                        rebuild=args.rebuild_feeds and "feeds" not in wanted,
                                        total=args.objects))
    return results


def run(argv: list[str]) -> int:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    if argv[:1] == ["compare"]:
        if len(argv) != 3:
            print("usage: python -m bench compare OLD.json NEW.json", file=sys.stderr)
            return 2
        print(report.compare(argv[1], argv[2]))
        return 0
    args = parse(argv)
    if args.extra_path:
        os.environ["BENCH_EXTRA_PATH"] = str(Path(args.extra_path).resolve())
    started_at = datetime.now(UTC)
    started = time.monotonic()
    results = asyncio.run(main(args))
    seconds = time.monotonic() - started
    latest = report.write(results, started_at, seconds, argv)
    info = report.machine()
    print()
    print(f"Maillage bench, {started_at:%Y-%m-%d %H:%M} UTC, {info['nproc']} x "
          f"{info['cpu_model']}, {seconds:.0f}s")
    print(report.table([row for part in results for row in part.rows]))
    print(f"results: {latest}")
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
