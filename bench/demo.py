"""Part 6, the demo network: `maillage demo` in a fresh folder, then again on its data;
seconds from the command until the circle holds every territory's items, and the memory of
all its processes (PSS added up, and the sum of RSS), as the demo prints them.

Baseline: one `maillage` command that does nothing (`python -m server.cli --help`), the
Python start and imports every process of the network would pay without the demo's
launcher, measured in the same run.

`python -m bench.demo` runs this part alone (it is not yet one of `python -m bench all`'s).
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import PYTHON, RESULTS, ROOT, PartResult, Row, clean_env, say

TARGET_FIRST_S = 30.0
TARGET_RESTART_S = 10.0
TARGET_MEMORY_MB = 700
SETTLED = re.compile(r"^Network settled ([0-9.]+) s after the command")
MEMORY = re.compile(r"^Memory: (\d+) processes, (\d+) MB resident \(RSS\), (\d+) MB proportional")


def _free_base() -> int:
    from server.demo.processes import port_is_free

    for base in range(28000, 60000, 10):
        if all(port_is_free("127.0.0.1", base + n) for n in range(5)):
            return base
    raise RuntimeError("no five consecutive free ports")


def _one_run(data: Path, base: int) -> dict[str, Any]:
    """Run the demo until it has settled, read its figures, stop it with SIGINT."""
    proc = subprocess.Popen(
        [PYTHON, "-m", "server.cli", "demo", "--base-port", str(base), "--data", str(data)],
        env=clean_env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    figures: dict[str, Any] = {}
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if match := SETTLED.match(line):
                figures["settled_s"] = float(match.group(1))
            elif match := MEMORY.match(line):
                figures.update(processes=int(match.group(1)), rss_mb=int(match.group(2)),
                               pss_mb=int(match.group(3)))
                break
            elif line.startswith("error:"):
                raise RuntimeError(line.strip())
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    return figures


def _baseline_s() -> float:
    started = time.monotonic()
    subprocess.run([PYTHON, "-m", "server.cli", "--help"], env=clean_env(), cwd=ROOT,
                   capture_output=True, check=True, timeout=60)
    return time.monotonic() - started


async def run(base: dict[str, Any] | None = None) -> PartResult:
    say("part 6: the demo network (maillage demo), first run then restart")
    one_command = await asyncio.to_thread(_baseline_s)
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as folder:
        data, port = Path(folder) / "data", _free_base()
        first = await asyncio.to_thread(_one_run, data, port)
        again = await asyncio.to_thread(_one_run, data, port)
    ratio = f"{first['settled_s'] / one_command:.1f}× / {again['settled_s'] / one_command:.1f}× " \
            f"one command ({one_command:.2f} s)"
    rows = [
        Row("6 demo network settled, first run / restart",
            f"{first['settled_s']:.1f} s / {again['settled_s']:.1f} s",
            f"≤ {TARGET_FIRST_S:.0f} s / ≤ {TARGET_RESTART_S:.0f} s",
            first["settled_s"] <= TARGET_FIRST_S and again["settled_s"] <= TARGET_RESTART_S,
            ratio),
        Row("6 demo memory, all processes (PSS; sum of RSS)",
            f"{first['pss_mb']} MB ({first['rss_mb']} MB), restart {again['pss_mb']} MB",
            f"≤ {TARGET_MEMORY_MB} MB", first["pss_mb"] <= TARGET_MEMORY_MB),
    ]
    return PartResult("demo", rows, {"first": first, "restart": again,
                                     "one_command_s": one_command})


if __name__ == "__main__":
    from bench import report

    started = datetime.now(UTC)
    part = asyncio.run(run())
    print(report.table(part.rows))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"demo-{started.strftime('%Y%m%dT%H%M%SZ')}.json"  # latest.json untouched
    out.write_text(json.dumps({"started": started.isoformat(timespec="seconds"),
                               "machine": report.machine(), "git": report.git_revision(),
                               "data": part.data, "table": [r.__dict__ for r in part.rows]},
                              indent=2, ensure_ascii=False))
    print(out)
