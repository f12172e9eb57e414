"""`python -m parity` is the same as the `parity` console script."""

from __future__ import annotations

from parity.cli import run

raise SystemExit(run())
