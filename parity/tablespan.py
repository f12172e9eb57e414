"""markdown-it's GFM table rule, reduced to where each table starts and ends.

The matrix reads cells from the raw lines itself, so the stock rule's work per body line (splitting
every row into cells, three tokens per cell) is waste: half of parsing a 5,000-row matrix. This
rule decides the same things the same way: whether a table starts (the stock rule's own check), and
where it ends (the stock loop: terminators, blank line, indented code, the autocompleted-cell limit).
It emits only `table_open` (whose `map` is the span) and `table_close`.
"""

from __future__ import annotations

import importlib
import re
from typing import TYPE_CHECKING

from markdown_it.common.utils import mdTrim

if TYPE_CHECKING:
    from collections.abc import Callable

    from markdown_it import MarkdownIt
    from markdown_it.rules_block import StateBlock

__all__ = ["use_table_spans"]

# The module, not the same-named function `markdown_it.rules_block` re-exports.
_stock = importlib.import_module("markdown_it.rules_block.table")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")  # what the stock `escapedSplit` splits on
# The stock rule's limit on cells it would fill in for short rows (absent in older markdown-it-py).
_MAX_AUTOCOMPLETED = getattr(_stock, "MAX_AUTOCOMPLETED_CELLS", None)


def _cell_count(text: str) -> int:
    """`len(escapedSplit(text))` after dropping an empty first and last part, as the stock rule does."""
    count = len(_UNESCAPED_PIPE.findall(text)) + 1
    if text.startswith("|"):
        count -= 1
    if count and text.endswith("|") and not text.endswith("\\|"):
        count -= 1
    return count


def _terminated(rules: list[Callable[..., bool]], state: StateBlock, line: int, end: int) -> bool:
    return any(rule(state, line, end, True) for rule in rules)  # each rule's silent probe


def _table_span(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    if not _stock.table(state, start, end, True):  # the stock rule's own silent probe
        return False
    if silent:
        return True
    columns = _cell_count(mdTrim(_stock.getLine(state, start)))
    old_parent = state.parentType
    state.parentType = "table"
    terminators = state.md.block.ruler.getRules("blockquote")
    token = state.push("table_open", "table", 1)
    token.map = span = [start, 0]
    autocompleted = 0
    line = start + 2
    while line < end:
        if state.sCount[line] < state.blkIndent:
            break
        if _terminated(terminators, state, line, end):
            break
        text = mdTrim(_stock.getLine(state, line))
        if not text or state.is_code_block(line):
            break
        autocompleted += columns - _cell_count(text)
        if _MAX_AUTOCOMPLETED is not None and autocompleted > _MAX_AUTOCOMPLETED:
            break
        line += 1
    state.push("table_close", "table", -1)
    span[1] = line
    state.parentType = old_parent
    state.line = line
    return True


def use_table_spans(md: MarkdownIt) -> MarkdownIt:
    """Swap `md`'s table rule for the span-only one (same place in the chain, same interruptions)."""
    ruler = md.block.ruler
    alt = next(rule.alt for rule in ruler.__rules__ if rule.name == "table")
    ruler.at("table", _table_span, {"alt": list(alt)})
    return md
