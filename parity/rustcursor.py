"""A cursor over blanked Rust source: tokens, bracket groups and item signatures."""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from parity.rustlex import Masked

__all__ = ["GROUP_OPENERS", "TO_COMMA", "TO_SEMI", "Cursor", "Token"]

# Tokens of the blanked source, where strings are `"   "`, chars `' '` and comments spaces.
_TOKEN = re.compile(
    r"\s*(?:(?P<id>(?:r\#)?[^\W\d]\w*)|(?P<lit>\"[^\"]*\"|'\s*')|(?P<life>'[^\W\d]\w*)"
    r"|(?P<num>\d\w*)|(?P<p>::|->|=>|\S))"
)
# One pattern per bracket kind: in valid code each kind balances on its own, so a group is skipped
# by counting only its own brackets (strings and comments are already blanked).
_MATCH_TOKEN = _TOKEN.match
_GROUP_EDGES = {"{": re.compile(r"[{}]"), "(": re.compile(r"[()]"), "[": re.compile(r"[\[\]]")}
GROUP_OPENERS = frozenset(_GROUP_EDGES)
_HEADER = re.compile(r"[{};()\[\]]|->")
TO_SEMI = re.compile(r"[;{(\[]")
TO_COMMA = re.compile(r"[,{(\[]")

Token = tuple[str, str, int, int]  # kind (id, lit, life, num, p), text, start, end


class Cursor:
    """A position in `masked.clean`; every method stops at `stop` (the end of the enclosing block)."""

    def __init__(self, masked: Masked) -> None:
        self.m = masked
        self.clean = masked.clean
        self.pos = 0
        self._line_starts = masked.line_starts

    def tok(self, stop: int) -> Token | None:
        match = _MATCH_TOKEN(self.clean, self.pos, stop)
        if match is None:
            self.pos = stop
            return None
        end = self.pos = match.end()
        kind = match.lastgroup or "p"
        text = match.group(kind)
        return kind, text, end - len(text), end  # every token group ends where the match does

    def peek(self, stop: int) -> Token | None:
        saved = self.pos
        found = self.tok(stop)
        self.pos = saved
        return found

    def skip_group(self, open_pos: int, stop: int) -> int:
        """Offset just past the bracket that closes the one at `open_pos` (or `stop`)."""
        opener = self.clean[open_pos]
        depth = 0
        for edge in _GROUP_EDGES[opener].finditer(self.clean, open_pos, stop + 1):
            if edge.group() == opener:
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    return edge.end()
        return stop

    def skip_to(self, pattern: re.Pattern[str], stop: int) -> int:
        """Move past the first `;`/`,` at bracket depth 0; returns the offset of that separator."""
        while (found := pattern.search(self.clean, self.pos, stop)) is not None:
            if found.group() in ";,":
                self.pos = found.end()
                return found.start()
            self.pos = self.skip_group(found.start(), stop)
        self.pos = stop
        return max(stop - 1, 0)

    def header(self, stop: int) -> tuple[int | None, bool]:
        """Scan a signature to its body `{` (returned) or past its `;`; also whether it has `->`."""
        depth = 0
        returns = False
        for found in _HEADER.finditer(self.clean, self.pos, stop):
            text = found.group()
            if text in "([":
                depth += 1
            elif text in ")]":
                depth = max(depth - 1, 0)
            elif depth == 0:
                if text == "->":
                    returns = True
                elif text == "{":
                    return found.start(), returns
                else:
                    self.pos = found.end()
                    return None, returns
        self.pos = stop
        return None, returns

    def line(self, offset: int) -> int:
        return bisect_right(self._line_starts, offset)  # Masked.line_of, without the extra call
