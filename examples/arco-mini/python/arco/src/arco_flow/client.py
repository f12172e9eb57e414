"""Tiny JSON client for the Arco orchestration API (stdlib urllib only)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["ApiError", "ArcoClient"]

Opener = Callable[..., Any]


class ApiError(Exception):
    """A non-2xx response from the API."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class ArcoClient:
    def __init__(
        self, base_url: str, *, timeout: float = 10.0, opener: Opener | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._open = opener or urllib.request.urlopen

    def _request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body, sort_keys=True).encode()
        request = urllib.request.Request(  # noqa: S310 - base_url is operator-supplied
            f"{self.base_url}{path}",
            data=data,
            method=method,
            headers={"Accept": "application/json", "Content-Type": "application/json"},
        )
        try:
            with self._open(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode() or "null")
        except urllib.error.HTTPError as err:
            raw = err.read().decode()
            try:
                message = json.loads(raw).get("error", raw)
            except (ValueError, AttributeError):
                message = raw
            raise ApiError(err.code, message) from None

    def trigger_run(
        self,
        selection: list[str],
        *,
        partitions: Mapping[str, str] | None = None,
        run_key: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"selection": selection, "partitions": dict(partitions or {})}
        if run_key is not None:
            body["runKey"] = run_key
        return dict(self._request("POST", "/api/v1/runs", body))

    def get_run(self, run_id: str) -> dict[str, Any]:
        return dict(self._request("GET", f"/api/v1/runs/{run_id}"))

    def get_logs(self, run_id: str) -> list[str]:
        return list(self._request("GET", f"/api/v1/runs/{run_id}/logs")["lines"])
