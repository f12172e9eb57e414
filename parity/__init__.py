"""parity: prove a Rust + Python monorepo's parity matrix instead of trusting it."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
