"""What the demo remembers of each instance between runs, in `<data>/<slug>/demo.json`:
the administrator's generated password, the API token, the follows sent and the IRI of
every item published. A re-run reads it and does only what is missing, so nothing is
published twice even after an interrupted first run. The file is readable by its owner
only (it holds a password and a token of a local, development-mode instance).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

FILE_NAME = "demo.json"


@dataclass
class InstanceState:
    password: str | None = None
    token: str | None = None
    territory_set: bool = False
    follows_sent: list[str] = field(default_factory=list)
    published: dict[str, str] = field(default_factory=dict)
    """Item title → IRI of what was published (titles are unique within a territory)."""


def load(folder: Path) -> InstanceState:
    try:
        raw = json.loads((folder / FILE_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return InstanceState()
    known = InstanceState.__dataclass_fields__
    return InstanceState(**{k: v for k, v in raw.items() if k in known})


def save(folder: Path, state: InstanceState) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(asdict(state), handle, ensure_ascii=False, indent=1)
    temporary.replace(path)
