"""API client: request shapes and error mapping, with a fake opener (no network)."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from arco_flow.client import ApiError, ArcoClient


class FakeOpener:
    def __init__(self, payload: Any) -> None:
        self.payload = payload
        self.requests: list[tuple[urllib.request.Request, float]] = []

    def __call__(self, request: urllib.request.Request, timeout: float) -> io.BytesIO:
        self.requests.append((request, timeout))
        return io.BytesIO(json.dumps(self.payload).encode())


def test_trigger_run_posts_selection_partitions_and_run_key() -> None:
    opener = FakeOpener({"runId": "run-1", "created": True})
    client = ArcoClient("http://api.test/", timeout=3.0, opener=opener)
    response = client.trigger_run(["sales"], partitions={"date": "2024-01-01"}, run_key="rk-1")
    assert response == {"runId": "run-1", "created": True}
    [(request, timeout)] = opener.requests
    assert (request.get_method(), request.full_url, timeout) == (
        "POST",
        "http://api.test/api/v1/runs",
        3.0,
    )
    assert json.loads(request.data) == {
        "selection": ["sales"],
        "partitions": {"date": "2024-01-01"},
        "runKey": "rk-1",
    }
    assert request.get_header("Content-type") == "application/json"


def test_get_logs_returns_lines() -> None:
    opener = FakeOpener({"lines": ["a", "b"]})
    assert ArcoClient("http://api.test", opener=opener).get_logs("run-1") == ["a", "b"]
    assert opener.requests[0][0].full_url == "http://api.test/api/v1/runs/run-1/logs"
    assert opener.requests[0][0].data is None


def test_http_error_becomes_api_error_with_server_message() -> None:
    def failing(request: urllib.request.Request, timeout: float) -> io.BytesIO:  # noqa: ARG001 - opener signature
        body = io.BytesIO(b'{"error": "run not found"}')
        raise urllib.error.HTTPError(request.full_url, 404, "Not Found", {}, body)  # type: ignore[arg-type]

    with pytest.raises(ApiError) as info:
        ArcoClient("http://api.test", opener=failing).get_run("nope")
    assert (info.value.status, info.value.message) == (404, "run not found")
    assert str(info.value) == "HTTP 404: run not found"
