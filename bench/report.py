"""The final table, the machine, and the JSON results (bench/results/)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import RESULTS, ROOT, PartResult, Row


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        memory_gb = 0.0
    return {"nproc": os.cpu_count(), "cpu_model": model, "memory_gb": round(memory_gb, 1),
            "python": platform.python_version(), "kernel": platform.release(),
            "loadavg_at_start": list(os.getloadavg())}


def git_revision() -> dict[str, Any]:
    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip()

    return {"commit": git("rev-parse", "HEAD") or None,
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def table(rows: list[Row]) -> str:
    header = ("measure", "figure", "target", "met?", "ratio to baseline")
    cells = [header] + [
        (r.measure, r.figure, r.target,
         "-" if r.met is None else ("yes" if r.met else "NO"), r.ratio)
        for r in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    lines = []
    for n, cell in enumerate(cells):
        lines.append("| " + " | ".join(v.ljust(w) for v, w in zip(cell, widths, strict=True))
                     + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def write(parts: list[PartResult], started: datetime, seconds: float, argv: list[str]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    document = {
        "started": started.isoformat(timespec="seconds"), "seconds": round(seconds, 1),
        "command": " ".join(["python -m bench", *argv]), "machine": machine(),
        "git": git_revision(),
        "parts": {p.name: p.data for p in parts},
        "table": [r.__dict__ for p in parts for r in p.rows],
    }
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    stamp = started.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"run-{stamp}.json").write_text(text)
    latest = RESULTS / "latest.json"
    latest.write_text(text)
    return latest


def compare(old_path: str, new_path: str) -> str:
    """Two result files side by side, row by row."""
    old = {r["measure"]: r for r in json.loads(Path(old_path).read_text())["table"]}
    new = json.loads(Path(new_path).read_text())["table"]
    rows = [Row(r["measure"], f"{old.get(r['measure'], {}).get('figure', '-')} -> {r['figure']}",
                r["target"], r["met"], r["ratio"]) for r in new]
    return table(rows)
