"""One module per `parity VERB`: each defines HELP, configure(parser) and run(args, console) -> exit code.

The CLI discovers them here, so adding a verb never means editing cli.py.
"""

from __future__ import annotations

__all__: list[str] = []
