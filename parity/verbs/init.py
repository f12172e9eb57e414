"""`parity init`: write a commented configuration for a repository that has none (never overwriting one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from parity.errors import InputError
from parity.verbs.common import add_repo_argument

if TYPE_CHECKING:
    import argparse

    from rich.console import Console

__all__ = ["HELP", "configure", "run"]

HELP = "detect the matrix, workflows and layout, and write parity.toml (or [tool.parity])"


def configure(parser: argparse.ArgumentParser) -> None:
    add_repo_argument(parser)
    parser.add_argument(
        "--pyproject",
        action="store_true",
        help="add a [tool.parity] table to the existing pyproject.toml instead of writing parity.toml",
    )
    parser.add_argument("--matrix", default=None, metavar="PATH", help="the matrix, if detection picks wrong")
    parser.add_argument("--no-noxfile", action="store_true", help="leave noxfile.py alone")


def run(args: argparse.Namespace, console: Console) -> int:
    from rich.text import Text  # noqa: PLC0415

    from parity.atomicfile import write_atomic  # noqa: PLC0415
    from parity.config import load_config  # noqa: PLC0415
    from parity.init import (  # noqa: PLC0415
        NOXFILE_HOOK,
        detect,
        existing_config,
        render_parity_toml,
        render_pyproject,
    )

    root = args.repo
    if not root.is_dir():
        raise InputError(str(root), "repository directory not found", hint="pass --repo PATH")
    refusal = existing_config(root)
    if refusal is not None:
        raise refusal
    pyproject = root / "pyproject.toml"
    if args.pyproject and not pyproject.is_file():
        raise InputError("pyproject.toml", "not found", hint="run `parity init` without --pyproject")
    found = detect(root, args.matrix)
    if args.pyproject:
        text = pyproject.read_bytes().decode("utf-8")
        write_atomic(pyproject, render_pyproject(text, found), label="pyproject.toml")
        written = "pyproject.toml [tool.parity]"
    else:
        write_atomic(root / "parity.toml", render_parity_toml(found), overwrite=False, label="parity.toml")
        written = "parity.toml"
    load_config(root)  # what we wrote must load; a failure here is a bug, reported as such
    out = [
        f"wrote {written}",
        f"  matrix: {', '.join(found.matrices)}",
        f"  workflows: {', '.join(found.workflows) or 'none'}",
        f"  exception doc: {found.exception_doc or 'none found'}",
        f"  cargo: {found.cargo or 'none'}",
        f"  python (pytest): {', '.join(found.python) or 'none'}",
    ]
    out.extend(
        f"  setup suggested (commented out) for job `{s.job}`: {list(s.commands)}" for s in found.setups
    )
    out.extend(f"  note: {note}" for note in found.notes)
    noxfile = root / "noxfile.py"
    if args.no_noxfile:
        pass
    elif not noxfile.exists():
        write_atomic(noxfile, NOXFILE_HOOK, overwrite=False, label="noxfile.py")
        out.append("wrote noxfile.py (sessions parity-check, parity-prove, parity-fix, parity-signoff)")
    elif "parity.nox_sessions" in noxfile.read_text(encoding="utf-8", errors="replace"):
        out.append("noxfile.py already registers the parity sessions")
    else:
        out.append("add these two lines to noxfile.py for the parity-* sessions:")
        out.extend(f"    {line}" for line in NOXFILE_HOOK.splitlines())
    out.append("next: parity check")
    for line in out:
        console.print(Text(line), soft_wrap=True)
    return 0
