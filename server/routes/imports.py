"""Importing from the web: upload a CSV, JSON or .ics file, see the preview, then publish.

The preview reads the file and checks every row (`check_rows`) without publishing; the
uploaded bytes wait under `data_dir/imports/<uuid>` so "Publish" needs no second upload, and
are removed once published. Rows with problems are skipped and listed with their messages
in the reader's language; rows whose identifier (ICS `UID`, `external_id`) was imported
before update the published item. A file that cannot be read at all (broken encoding, more
than `MAX_ROWS` items, not CSV/JSON/ICS) gets a report, never a 500.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.accounts import auth
from server.http.body import closing
from server.http.forms import text_field
from server.http.pages import editor_context
from server.http.requests import ctx_of, gettext_for
from server.http.responses import render
from server.http.wording import describe
from server.i18n import N_
from server.importers.files import MAX_BYTES, ImportFileError, read_import_bytes
from server.importers.publishing import check_rows, import_rows
from server.publish.objects import Author
from server.settings import Settings

UPLOAD_RE = re.compile(r"^[0-9a-f-]{36}\.(csv|json|ics|txt)$")
NO_FILE = N_("Choose a file to import.")
FILE_GONE = N_("The uploaded file is no longer here: choose it again.")
DONE = N_("%(count)s item(s) published or updated.")
FAILED = N_("%(count)s row(s) could not be imported; they are listed below.")


def _folder(settings: Settings) -> Path:
    return settings.data_dir / "imports"


def _suffix(filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "txt"
    return ext if ext in ("csv", "json", "ics") else "txt"


async def _page(request: Request, status: int = 200, **context: Any) -> Response:
    context.setdefault("kind", "")
    return render(request, "editor_import.html", status_code=status,
                  **context, **await editor_context(request))


def _worded(request: Request, issues: list[Any]) -> list[str]:
    words = [describe(issue, lambda m: gettext_for(request, m))[1] for issue in issues]
    return list(dict.fromkeys(words))


@auth.require_editor
async def import_form(request: Request) -> Response:
    return await _page(request)


def _file_error(request: Request, exc: ImportFileError) -> str:
    return gettext_for(request, exc.message) % exc.params if exc.params else gettext_for(
        request, exc.message
    )


@closing
@auth.require_editor
async def import_post(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    form = await request.form()
    kind = text_field(form, "kind")
    default_kind = kind if kind in ("event", "initiative") else None
    stored = text_field(form, "stored")
    upload = form.get("file")
    folder = _folder(settings)
    if isinstance(upload, UploadFile) and upload.filename:
        content = await upload.read(MAX_BYTES + 1)
        name = f"{uuid.uuid4()}.{_suffix(upload.filename)}"
    elif UPLOAD_RE.match(stored) and (folder / stored).is_file():
        name = stored
        content = (folder / name).read_bytes()
    else:
        message = FILE_GONE if stored else NO_FILE
        return await _page(request, 400, error=gettext_for(request, message), kind=kind)
    try:
        rows = read_import_bytes(name, content, default_kind)
    except ImportFileError as exc:
        return await _page(request, 400, error=_file_error(request, exc), kind=kind)
    if text_field(form, "intent") == "publish" and name == stored:
        account = await auth.current_account(request)
        assert account is not None
        imported, failed, _ = await import_rows(
            ctx_of(request), rows, report=lambda _line: None,
            by=Author(account["id"], account["email"]),
        )
        (folder / name).unlink(missing_ok=True)
        async with request.app.state.pool.acquire() as conn:
            checks = [c for c in await check_rows(conn, rows) if not c.ok]
        return await _page(
            request, notice=gettext_for(request, DONE) % {"count": imported},
            failed_notice=gettext_for(request, FAILED) % {"count": failed} if failed else None,
            checks=[(c, _worded(request, c.issues)) for c in checks], kind=kind,
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    async with request.app.state.pool.acquire() as conn:
        checks = await check_rows(conn, rows)
    return await _page(
        request, stored=name, kind=kind, preview=True,
        checks=[(c, _worded(request, c.issues)) for c in checks],
        ready=sum(1 for c in checks if c.ok),
    )


routes = [
    Route("/edit/import", import_form, methods=["GET"]),
    Route("/edit/import", import_post, methods=["POST"]),
]
