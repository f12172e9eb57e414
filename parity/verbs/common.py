"""Arguments and helpers several verbs share (the target repository, report outputs)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from parity.errors import InputError

if TYPE_CHECKING:
    from parity.repository import Repository

__all__ = ["add_repo_argument", "non_negative_int", "open_repository", "positive_float"]


def add_repo_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, default=Path(), help="target repository root (default: .)")


def open_repository(root: Path) -> Repository:
    from parity.config import load_config  # noqa: PLC0415
    from parity.repository import Repository  # noqa: PLC0415

    if not root.is_dir():
        raise InputError(str(root), "repository directory not found", hint="pass --repo PATH")
    return Repository(load_config(root))


def non_negative_int(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return int(text)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value
