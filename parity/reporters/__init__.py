"""Renderers: the same verdicts as console text, JSON, Markdown, JUnit XML and GitHub annotations."""

from __future__ import annotations

__all__: list[str] = []
