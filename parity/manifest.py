"""The sign-off manifest format: its canonical JSON, its digest, how it is read, and release order."""

from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING, Any

from parity.errors import InputError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "SCHEMA",
    "canonical_bytes",
    "digest_of",
    "digest_problem",
    "file_sha256",
    "layout_problem",
    "load_manifest",
    "render",
    "version_key",
]

SCHEMA = "parity-signoff/1"
_VERSION = re.compile(r"v?(?P<nums>\d+(?:\.\d+)*)(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?")


def canonical_bytes(manifest: dict[str, Any]) -> bytes:
    """What the digest covers: the manifest minus `digest`, keys sorted, no whitespace, UTF-8."""
    body = {key: value for key, value in manifest.items() if key != "digest"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest_of(manifest: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical_bytes(manifest)).hexdigest()


def render(manifest: dict[str, Any]) -> str:
    """The file parity writes; `verify-signoff` re-renders it, so a reformatted byte is noticed too."""
    return json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def load_manifest(path: Path, label: str) -> tuple[dict[str, Any], bytes]:
    """Read and parse a manifest (InputError when it is unreadable or not a sign-off manifest)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(label, "sign-off manifest not found") from None
    except OSError as exc:
        raise InputError(label, f"cannot read the sign-off manifest: {exc.strerror or exc}") from None
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(label, f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(label, f"not valid JSON: {exc.msg}", line=exc.lineno, column=exc.colno) from None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise InputError(label, "not a parity sign-off manifest", hint=f'its "schema" must be "{SCHEMA}"')
    return document, data


def digest_problem(manifest: dict[str, Any]) -> str:
    """ "" when the recorded digest covers exactly this content, else what is wrong."""
    claimed = manifest.get("digest")
    if not isinstance(claimed, str) or not claimed:
        return "the manifest has no digest"
    actual = digest_of(manifest)
    if claimed != actual:
        return (
            f"digest mismatch: the manifest records {claimed} but its content hashes to {actual} "
            "(it was edited after the sign-off)"
        )
    return ""


def layout_problem(manifest: dict[str, Any], data: bytes) -> str:
    """ "" when the file is byte for byte what parity wrote for this content."""
    expected = render(manifest).encode("utf-8")
    if data == expected:
        return ""
    line = 1
    for mine, theirs in zip(data, expected, strict=False):
        if mine != theirs:
            break
        line += mine == ord("\n")
    return (
        f"the file differs from parity's rendering of it at line {line} (whitespace or layout edited; "
        "the content digest matches)"
    )


def version_key(name: str) -> tuple[tuple[int, ...], tuple[Any, ...]] | None:
    """Order release names like SemVer (`v1.10.0` > `v1.9.0` > `v1.9.0-rc.1`); None if not a version."""
    match = _VERSION.fullmatch(name)
    if match is None:
        return None
    numbers = [int(part) for part in match["nums"].split(".")]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()  # 1.2 == 1.2.0
    pre = match["pre"]
    if pre is None:
        return tuple(numbers), (1,)
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return tuple(numbers), (0, parts)
