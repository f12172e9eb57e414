"""Two lines in another repository's noxfile give it the parity sessions (`register()`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["register"]


def register(
    *,
    install: Sequence[str] = ("parity",),
    repo: str = ".",
    extra_install: Sequence[str] = ("pytest",),
    prefix: str = "parity",
) -> tuple[str, ...]:
    """Define `parity-check`, `-prove`, `-fix`, `-signoff` and `-merge` in the calling noxfile.

    Usage in a noxfile (with parity importable where nox runs, e.g. a PEP 723 header
    `dependencies = ["nox", "parity"]`)::

        from parity.nox_sessions import register
        register()

    `install` is what each session pip-installs (a path, a VCS URL or a pinned name); `extra_install`
    goes into the prove sessions too, because cited pytest commands run with the session's Python.
    """
    import nox  # noqa: PLC0415 - only importable where nox runs

    def make(verb: str, extra: Sequence[str], doc: str) -> None:
        def session(session: nox.Session) -> None:
            session.install(*install, *extra)
            posargs = list(session.posargs)
            if not any(a == "--repo" or a.startswith("--repo=") for a in posargs):
                posargs = ["--repo", repo, *posargs]
            session.run("parity", verb, *posargs)

        session.__doc__ = doc
        nox.session(name=f"{prefix}-{verb}", reuse_venv=True)(session)

    make("check", (), "Statically validate every evidence link of the parity matrix.")
    make("prove", extra_install, "Run every cited CI command and prove each cited test passed under it.")
    make("fix", (), "Show (or --write) line-number fixes for drifted evidence refs.")
    make("signoff", extra_install, "Full proof for a release; writes a sign-off manifest.")
    make("merge", (), "Combine `parity-prove -- --shard K/N --json FILE` results into one report.")
    return tuple(f"{prefix}-{verb}" for verb in ("check", "prove", "fix", "signoff", "merge"))
