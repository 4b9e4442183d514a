"""compose.yaml runs PostgreSQL, the web process and the worker, and the Compose CLI parses it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose_command() -> list[str]:
    """Compose v2 when present, else the Debian `docker-compose` that run.sh installs."""
    probe = (
        subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if shutil.which("docker")
        else None
    )
    if probe is not None and probe.returncode == 0:
        return ["docker", "compose"]
    assert shutil.which("docker-compose"), "run.sh test installs docker-compose (Debian package)"
    return ["docker-compose"]


def test_compose_config_parses() -> None:
    result = subprocess.run(
        [*compose_command(), "-f", str(ROOT / "compose.yaml"), "config"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    assert set(services) == {"postgres", "web", "worker"}
    assert services["web"]["command"][:2] == ["maillage", "serve"]
    assert services["worker"]["command"] == ["maillage", "worker"]
    for name in ("web", "worker"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://maillage:")
        assert "@postgres:5432/" in env["DATABASE_URL"]
        assert "MAILLAGE_DOMAIN" in env
