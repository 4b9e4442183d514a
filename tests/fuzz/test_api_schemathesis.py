"""The JSON API against its own description, docs/api.openapi.yaml, with schemathesis.

Schemathesis draws requests from the description (valid ones, and invalid ones that break
it); each is sent through the in-process app with a real bearer token (now and then without
it, or with a wrong one), and the answer is checked against the description: never a 5xx,
only documented status codes, the documented content type, body and headers, and invalid
input refused. Path ids are mostly those of objects that exist, so GET/PUT/DELETE reach
real rows instead of a 404 every time.

Bounded: `MAILLAGE_SCHEMATHESIS_EXAMPLES` cases (400 by default, about a minute),
derandomised; `MAILLAGE_FUZZ_RANDOM=1` explores other cases.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok

from tests.conftest import Instance
from tests.instance.test_api import EVENT, bearer, cli_token

SPEC = Path(__file__).resolve().parents[2] / "docs" / "api.openapi.yaml"
EXAMPLES = int(os.environ.get("MAILLAGE_SCHEMATHESIS_EXAMPLES", "400"))
RANDOM = os.environ.get("MAILLAGE_FUZZ_RANDOM") == "1"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Not `negative_data_rejection`: the API is lenient by design, as its description says
# (unknown fields are ignored; empty strings, lists and objects count as absent), so a body
# such as {"title": "0", "place": {}} is accepted although the formal schema forbids it.
INITIATIVE = {"title": "Outilthèque", "stage": "running", "themes": ["sante"]}
TAINTS = ("a\u0000b", "\ud800", float("nan"), float("inf"), "0001-01-01T00:00", "9999-12-31T23:30")
"""Values that hurt servers before; schemathesis alone draws them too rarely to rely on."""
TAINTED_FIELDS = ("title", "summary", "start", "end", "timezone", "contact", "unknown")
taints = st.none() | st.tuples(st.sampled_from(TAINTED_FIELDS), st.sampled_from(TAINTS))


@dataclass
class Run:
    """Ids of objects that exist, and what failed (all of it, not only the first)."""

    ids: list[int]
    failures: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)


async def send(client: httpx.AsyncClient, kwargs: dict[str, Any]) -> httpx.Response:
    """Schemathesis serialises a case for `requests`; the same request through httpx."""
    body: dict[str, Any] = {}
    if "json" in kwargs:
        body["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        body["content"] = kwargs["data"]
    return await client.request(
        kwargs["method"],
        kwargs["url"],
        headers=kwargs.get("headers"),
        params=kwargs.get("params"),
        **body,
    )


async def one_case(
    brest: Instance, run: Run, case: Any, auth: str | None, taint: tuple[str, Any] | None
) -> None:
    if "id" in (case.path_parameters or {}) and run.ids and auth != "unknown-id":
        case.path_parameters["id"] = run.ids[hash(repr(case.body)) % len(run.ids)]
    headers = dict(case.headers or {})
    if auth is None:
        headers.pop("Authorization", None)
    elif auth == "wrong":
        headers["Authorization"] = "Bearer mlg_not-a-token"
    elif auth != "generated":
        headers["Authorization"] = auth
    case.headers = headers
    kwargs = case.as_transport_kwargs(base_url=brest.settings.base_url)
    if taint is not None and isinstance(kwargs.get("json"), dict):
        # serialised here, as a careless client would: NaN allowed, lone surrogates escaped
        tainted = {**kwargs.pop("json"), taint[0]: taint[1]}
        kwargs["data"] = json.dumps(tainted, allow_nan=True).encode()
        kwargs["headers"] = {**kwargs["headers"], "Content-Type": "application/json"}
    response = await send(brest.client, kwargs)
    key = f"{case.method} {case.path} {response.status_code}"
    run.statuses[key] = run.statuses.get(key, 0) + 1
    if response.status_code == 201:
        run.ids.append(int(response.json()["id"]))
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except (Failure, FailureGroup) as exc:  # keep them all, not only the first
        failures = exc.exceptions if isinstance(exc, FailureGroup) else (exc,)
        titles = "; ".join(sorted({failure.title for failure in failures}))
        body = kwargs.get("data") or json.dumps(kwargs.get("json", ""))
        sent = f"{kwargs['method']} {response.request.url} {body!r:.300}"
        run.failures.append(f"{titles}\n  {sent}\n  -> {response.status_code} {response.text:.300}")


async def test_api_answers_as_its_openapi_description_says(
    brest: Instance, capsys: pytest.CaptureFixture[str]
) -> None:
    token = await cli_token(brest, capsys)
    run = Run(ids=[])
    for body, path in ((EVENT, "/api/v1/events"), (INITIATIVE, "/api/v1/initiatives")):
        created = await brest.client.post(path, json=body, headers=bearer(token))
        assert created.status_code == 201, created.text
        run.ids.append(int(created.json()["id"]))

    schema = schemathesis.openapi.from_path(str(SPEC))
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert len(operations) == 6
    cases = st.one_of([op.as_strategy(mode) for op in operations for mode in GenerationMode])
    auths = st.sampled_from([f"Bearer {token}"] * 6 + [None, "wrong", "generated", "unknown-id"])
    loop = asyncio.get_running_loop()

    def on_loop(coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=60)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, auth=auths, taint=taints)
    def fuzz(case: Any, auth: str | None, taint: tuple[str, Any] | None) -> None:
        on_loop(one_case(brest, run, case, auth, taint))

    await asyncio.to_thread(fuzz)
    assert sum(run.statuses.values()) >= EXAMPLES
    assert not run.failures, "\n\n".join(run.failures[:20]) + f"\n\n{run.statuses}"
