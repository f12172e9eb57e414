"""CLI against a real (fake) HTTP API: stdlib http.server on 127.0.0.1, port 0."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from arco_flow.cli.main import main

RUN_ID = "run-000042"


class FakeApi(BaseHTTPRequestHandler):
    received: list[tuple[str, str, Any]]

    def _reply(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        self.received.append(("POST", self.path, body))
        if self.path == "/api/v1/runs":
            self._reply(201, {"runId": RUN_ID, "created": True})
        else:
            self._reply(404, {"error": "no such route"})

    def do_GET(self) -> None:
        self.received.append(("GET", self.path, None))
        if self.path == f"/api/v1/runs/{RUN_ID}":
            self._reply(200, {"runId": RUN_ID, "state": "SUCCEEDED"})
        elif self.path == f"/api/v1/runs/{RUN_ID}/logs":
            self._reply(200, {"lines": ["materializing sales", "done in 1.2s"]})
        else:
            self._reply(404, {"error": "run not found"})

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Keep test output clean."""


@pytest.fixture
def api() -> Iterator[tuple[str, list[tuple[str, str, Any]]]]:
    received: list[tuple[str, str, Any]] = []
    handler = type("Handler", (FakeApi,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_cli_run_status_logs(api: tuple[str, list[tuple[str, str, Any]]]) -> None:
    url, received = api
    out = io.StringIO()
    run_argv = [
        "--api",
        url,
        "run",
        "sales",
        "orders",
        "--partition",
        "region=eu",
        "--partition",
        "date=2024-01-01",
        "--run-key",
        "daily:2024-01-01",
    ]
    assert main(run_argv, out=out) == 0
    assert main(["--api", url, "status", RUN_ID], out=out) == 0
    assert main(["--api", url, "logs", RUN_ID, "--tail", "1"], out=out) == 0

    assert received == [
        (
            "POST",
            "/api/v1/runs",
            {
                "selection": ["sales", "orders"],
                "partitions": {"date": "2024-01-01", "region": "eu"},
                "runKey": "daily:2024-01-01",
            },
        ),
        ("GET", f"/api/v1/runs/{RUN_ID}", None),
        ("GET", f"/api/v1/runs/{RUN_ID}/logs", None),
    ]
    assert out.getvalue().splitlines() == [
        f"created run {RUN_ID}",
        f"{RUN_ID}: SUCCEEDED",
        "done in 1.2s",
    ]


def test_cli_status_unknown_run_reports_api_error(
    api: tuple[str, list[tuple[str, str, Any]]],
) -> None:
    url, received = api
    out = io.StringIO()
    assert main(["--api", url, "status", "run-missing"], out=out) == 1
    assert out.getvalue() == "error: HTTP 404: run not found\n"
    assert received == [("GET", "/api/v1/runs/run-missing", None)]
