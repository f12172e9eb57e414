"""Predict, without running pytest, whether a pytest command collects and runs one test, and why not."""

from __future__ import annotations

import fnmatch
import posixpath
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from parity.errors import InputError
from parity.matchexpr import MatchExpr, compile_match_expr, evaluate_match_expr, match_expr_idents
from parity.pytestargs import PytestArgs, parse_pytest, parse_pytest_options
from parity.pytestconfig import PathKind, PytestConfig, RepoFiles
from parity.selectmodel import NotRunReason, PythonTest, Selection

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

__all__ = ["select_python"]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Ctx:
    """One pytest invocation: the options after `addopts`, where it runs, and its config."""

    opts: PytestArgs
    cli: PytestArgs  # the step's own options, to tell them from `addopts`
    cwd: str
    cfg: PytestConfig
    files: RepoFiles

    def origin(self, value: str, field: str) -> str:
        current = getattr(self.cli, field)
        from_cli = value in current if isinstance(current, tuple) else value == current
        return "" if from_cli else " (from `addopts`)"


@dataclass(frozen=True, slots=True)
class _Arg:
    """One collection argument (`resolve_collection_argument`), repo-relative."""

    text: str
    path: str
    parts: tuple[str, ...]
    parametrization: str | None
    is_dir: bool


def _norm(path: str) -> str:
    joined = posixpath.normpath(path)
    return "" if joined == "." else joined


def _under(path: str, base: str) -> bool:
    return base in {"", path} or path.startswith(base + "/")


def _no(reason: NotRunReason, detail: str, *, certain: bool = True) -> Selection:
    return Selection(selected=False, reason=reason, detail=detail, certain=certain)


def _resolve(files: RepoFiles, cwd: str, text: str) -> _Arg:
    base, bracket, rest = text.partition("[")
    path_text, *parts = base.split("::")
    if bracket and not parts:
        raise InputError(text, f"path cannot contain [] parametrization: {text}")
    path = _norm(posixpath.join(cwd, path_text))
    kind = files.kind(path)
    if kind is PathKind.MISSING:
        raise InputError(text, f"file or directory not found: {text}")
    if parts and kind is PathKind.DIR:
        raise InputError(text, f"directory argument cannot contain :: selection parts: {text}")
    return _Arg(text, path, tuple(parts), bracket + rest if bracket else None, kind is PathKind.DIR)


def _subsumed(arg: _Arg, by: _Arg) -> bool:
    """`is_collection_argument_subsumed_by`."""
    if by.path != arg.path:
        return not by.parts and _under(arg.path, by.path)
    if len(by.parts) > len(arg.parts) or arg.parts[: len(by.parts)] != by.parts:
        return False
    return by.parametrization is None or by.parametrization == arg.parametrization


def _normalize(args: list[_Arg]) -> list[_Arg]:
    ordered = sorted(enumerate(args), key=lambda p: (p[1].path, p[1].parts, p[1].parametrization or ""))
    kept: list[tuple[int, _Arg]] = []
    for index, arg in ordered:
        if not kept or not _subsumed(arg, kept[-1][1]):
            kept.append((index, arg))
    return [arg for _, arg in sorted(kept, key=lambda p: p[0])]


def _fnmatch_ex(pattern: str, path: str, files: RepoFiles) -> bool:
    """`_pytest.pathlib.fnmatch_ex`: no `/` in the pattern matches the basename only."""
    if "/" not in pattern:
        return fnmatch.fnmatch(posixpath.basename(path), pattern)
    absolute = posixpath.join(files.root.as_posix(), path)
    return fnmatch.fnmatch(absolute, pattern if pattern.startswith("/") else f"*/{pattern}")


def _ignored(ctx: _Ctx, path: str, *, is_dir: bool) -> str | None:
    """`pytest_ignore_collect` for a path met while recursing (not an initial path)."""
    opts, root = ctx.opts, ctx.files.root.as_posix()
    if posixpath.basename(path) == "__pycache__":
        return "pytest never collects `__pycache__`"
    for ignore in opts.ignore:
        if _norm(posixpath.join(ctx.cwd, ignore)) == path:
            return f"`--ignore {ignore}`{ctx.origin(ignore, 'ignore')} skips `{path}`"
    for pattern in opts.ignore_glob:
        if fnmatch.fnmatch(
            posixpath.join(root, path), posixpath.normpath(posixpath.join(root, ctx.cwd, pattern))
        ):
            return f"`--ignore-glob {pattern}`{ctx.origin(pattern, 'ignore_glob')} skips `{path}`"
    if is_dir and not opts.collect_in_virtualenv and ctx.files.is_venv(path):
        return f"`{path}` is a virtualenv, which pytest does not recurse into"
    if is_dir:
        for pattern in ctx.cfg.norecursedirs:
            if _fnmatch_ex(pattern, path, ctx.files):
                return f"`norecursedirs` pattern `{pattern}` skips directory `{path}`"
    return None


def _reach(ctx: _Ctx, arg: _Arg, test: PythonTest) -> tuple[NotRunReason | None, str]:
    """(None, "") if collecting `arg` reaches the test's function, else the reason and why."""
    if not arg.is_dir:
        if arg.path != test.file:
            return NotRunReason.FILTERED, ""
        wanted = tuple(test.nodeid_in_file.split("::"))
        named = len(arg.parts) <= len(wanted) and wanted[: len(arg.parts)] == arg.parts
        if not named or (arg.parametrization is not None and len(arg.parts) < len(wanted)):
            return NotRunReason.FILTERED, f"the step names node `{arg.text}`, not `{test.nodeid_in_file}`"
        return None, ""
    if not _under(test.file, arg.path) or test.file == arg.path:
        return NotRunReason.FILTERED, ""
    current = arg.path
    for part in posixpath.relpath(test.file, arg.path or ".").split("/")[:-1]:
        current = _norm(posixpath.join(current, part))
        why = _ignored(ctx, current, is_dir=True)
        if why is not None:
            return NotRunReason.NOT_COLLECTED, why
    why = _ignored(ctx, test.file, is_dir=False)
    if why is not None:
        return NotRunReason.NOT_COLLECTED, why
    patterns = ctx.cfg.python_files
    if not test.file.endswith(".py") or not any(_fnmatch_ex(p, test.file, ctx.files) for p in patterns):
        shown = ", ".join(f"`{p}`" for p in patterns)
        return (
            NotRunReason.NOT_COLLECTED,
            f"`{posixpath.basename(test.file)}` does not match `python_files` ({shown})",
        )
    return None, ""


def _initial_args(ctx: _Ctx) -> tuple[list[_Arg], str]:
    """The collection arguments (`Config._decide_args`) and how to describe where they came from."""
    if ctx.opts.paths:
        texts, source = list(ctx.opts.paths), "the step collects only"
    else:
        texts = []
        if ctx.cwd == ctx.cfg.rootdir:
            for pattern in ctx.cfg.testpaths:
                texts.extend(posixpath.relpath(p, ctx.cwd or ".") for p in ctx.files.glob(ctx.cwd, pattern))
        source = "with no path arguments pytest collects `testpaths`"
        if not texts:
            texts, source = ["."], "with no path arguments pytest collects"
    args = [_resolve(ctx.files, ctx.cwd, t) for t in texts]
    return (args if ctx.opts.keep_duplicates else _normalize(args)), source


def _find(ctx: _Ctx, test: PythonTest) -> _Arg | Selection:
    """The argument whose collection reaches the test, or why none does."""
    args, source = _initial_args(ctx)
    blocked: tuple[NotRunReason, str] | None = None
    for arg in args:
        reason, why = _reach(ctx, arg, test)
        if reason is None:
            return arg
        if why and (blocked is None or reason is NotRunReason.NOT_COLLECTED):
            blocked = (reason, why)
    if blocked is not None:
        return _no(*blocked)
    shown = ", ".join(f"`{a.text}`" for a in args)
    where = f" (in `{ctx.cwd}`)" if ctx.cwd else ""
    return _no(NotRunReason.FILTERED, f"{source} {shown}{where}, which does not include `{test.file}`")


def _name_matches(options: tuple[str, ...], name: str) -> bool:
    """`PyCollector._matches_prefix_or_glob_option`."""
    return any(
        name.startswith(o) or (any(c in o for c in "*?[") and fnmatch.fnmatch(name, o)) for o in options
    )


def _keyword_names(test: PythonTest, cfg: PytestConfig, arg: _Arg, files: RepoFiles) -> list[str]:
    """Names of the test's parent nodes that `KeywordMatcher.from_item` matches `-k` against.

    Session.collect starts at the highest ancestor of the argument that is not above the
    confcutdir; that first directory node (a child of the Session) is left out.
    """
    root = files.root.as_posix()

    def absolute(path: str) -> str:
        return posixpath.normpath(posixpath.join(root, path))

    confcutdir = absolute(cfg.confcutdir)
    start = absolute(arg.path)
    while start != "/":
        parent = posixpath.dirname(start)
        if parent != confcutdir and (parent == "/" or confcutdir.startswith(parent + "/")):
            break
        start = parent
    module = absolute(test.file)
    if start == module:
        return [posixpath.relpath(test.file, cfg.rootdir or ".")]
    return posixpath.relpath(module, start).split("/")


def _module_nodeid(file: str, rootdir: str, reached: _Arg) -> str:
    """`FSCollector` node ids: rootdir-relative, else relative to the initial path holding the file."""
    if _under(file, rootdir) and not rootdir.startswith("/"):
        return posixpath.relpath(file, rootdir or ".")
    return "" if file == reached.path else posixpath.relpath(file, reached.path or ".")


def _case_names(test: PythonTest) -> list[str]:
    return [test.name] if test.param_ids is None else [f"{test.name}[{case}]" for case in test.param_ids]


def _compile(ctx: _Ctx) -> tuple[MatchExpr | None, MatchExpr | None]:
    """`-k` and `-m` as pytest parses them; pytest refuses bad ones before running anything."""
    text = (ctx.opts.keyword or "").lstrip()
    keyword = compile_match_expr(text, option="-k") if text else None
    if keyword is not None and match_expr_idents(keyword)[1]:
        raise InputError("-k", "Keyword expressions do not support call parameters.")
    mark = compile_match_expr(ctx.opts.markexpr, option="-m") if ctx.opts.markexpr else None
    return keyword, mark


def _collected(ctx: _Ctx, test: PythonTest, markers: set[str]) -> Selection | None:
    """Why pytest would not make a test item of the function, if it would not."""
    *classes, function = test.nodeid_in_file.split("::")
    cfg = ctx.cfg
    for cls in classes:
        if not _name_matches(cfg.python_classes, cls):
            shown = ", ".join(cfg.python_classes)
            return _no(NotRunReason.NOT_COLLECTED, f"class `{cls}` does not match `python_classes` ({shown})")
    if not _name_matches(cfg.python_functions, function):
        shown = ", ".join(cfg.python_functions)
        return _no(NotRunReason.NOT_COLLECTED, f"`{function}` does not match `python_functions` ({shown})")
    unregistered = sorted(m for m in markers if m not in cfg.markers)
    if (cfg.strict_markers or ctx.opts.strict_markers) and unregistered:
        detail = (
            f"with `--strict-markers`, the unregistered marker `{unregistered[0]}` makes its module"
            " a collection error (unless a plugin registers it)"
        )
        return _no(NotRunReason.NOT_COLLECTED, detail, certain=False)
    return None


def _deselection(
    ctx: _Ctx,
    *,
    case: str,
    nodeid: str,
    names: list[str],
    markers: set[str],
    exprs: tuple[MatchExpr | None, MatchExpr | None],
) -> Selection | None:
    keyword, mark = exprs
    opts = ctx.opts
    lowered = [n.lower() for n in names]
    if keyword is not None and not evaluate_match_expr(
        keyword, lambda sub, _kw: any(sub.lower() in n for n in lowered)
    ):
        text = opts.keyword or ""
        detail = (
            f"`-k {shlex.quote(text)}`{ctx.origin(text, 'keyword')} deselects `{case}`"
            f" (it matches against: {', '.join(names)})"
        )
        return _no(NotRunReason.DESELECTED, detail)
    if mark is not None and not evaluate_match_expr(mark, lambda name, _kw: name in markers):
        text = opts.markexpr or ""
        return _no(
            NotRunReason.DESELECTED,
            f"`-m {shlex.quote(text)}`{ctx.origin(text, 'markexpr')} deselects `{case}`",
        )
    hit = next((p for p in opts.deselect if nodeid.startswith(p)), None)
    if hit is not None:
        return _no(
            NotRunReason.DESELECTED, f"`--deselect {hit}`{ctx.origin(hit, 'deselect')} deselects `{nodeid}`"
        )
    return None


def _select(ctx: _Ctx, test: PythonTest) -> Selection:
    exprs = _compile(ctx)
    markers = set(test.markers) | ({"parametrize"} if test.param_ids is not None else set())
    if exprs[1] is not None and (ctx.cfg.strict_markers or ctx.opts.strict_markers):
        unknown = sorted(match_expr_idents(exprs[1])[0] - set(ctx.cfg.markers))
        if unknown:
            detail = (
                f"pytest rejects the command: Unknown marker(s) in '-m' expression: {', '.join(unknown)}"
                " (unless a plugin registers them)"
            )
            return _no(NotRunReason.NOT_A_TEST_COMMAND, detail, certain=False)
    found = _find(ctx, test)
    if isinstance(found, Selection):
        return found
    refused = _collected(ctx, test, markers)
    if refused is not None:
        return refused
    *classes, function = test.nodeid_in_file.split("::")
    prefix = "::".join([_module_nodeid(test.file, ctx.cfg.rootdir, found), *classes])
    base_names = [*_keyword_names(test, ctx.cfg, found, ctx.files), *classes]
    outcomes: list[Selection] = []
    for case in _case_names(test):
        if found.parametrization is not None and case != function + found.parametrization:
            outcomes.append(_no(NotRunReason.FILTERED, f"the step names node `{found.text}`, not `{case}`"))
            continue
        names = [*base_names, case, *sorted(markers)]
        nodeid = f"{prefix}::{case}"
        dropped = _deselection(ctx, case=case, nodeid=nodeid, names=names, markers=markers, exprs=exprs)
        outcomes.append(dropped or Selection(selected=True, reason=None, detail=nodeid))
    chosen = [o for o in outcomes if o.selected]
    if not chosen:
        return outcomes[0]
    runtime = sorted(markers & {"skip", "skipif", "xfail"})
    note = (
        f"; it is marked `{runtime[0]}`, which decides at run time whether it is skipped" if runtime else ""
    )
    if len(chosen) < len(outcomes):
        dropped_one = next(o for o in outcomes if not o.selected)
        note += f"; only {len(chosen)} of {len(outcomes)} cases run: {dropped_one.detail}"
    where = f"`{found.text}`" if ctx.opts.paths else "the default paths"
    certain = exprs[1] is None or not match_expr_idents(exprs[1])[1]
    return Selection(
        selected=True,
        reason=None,
        detail=f"collecting {where} reaches `{chosen[0].detail}`{note}",
        certain=certain,
    )


def _dirs_between(top: str, file: str) -> list[str]:
    dirs = []
    current = posixpath.dirname(file)
    while _under(current, top):
        dirs.append(_norm(current))
        if current in {"", top}:
            break
        current = posixpath.dirname(current)
    return dirs


def select_python(
    argv: Sequence[str],
    *,
    cwd: str,
    repo_root: Path,
    config: PytestConfig,
    test: PythonTest,
    files: RepoFiles | None = None,
) -> Selection:
    """Would `argv`, run in repo-relative `cwd`, run `test` (any of its parametrized cases)?

    `config` must come from `load_pytest_config(repo_root, cwd, argv)`; its `addopts` go before
    the step's own arguments, as in pytest. Calls may share `files` (of `repo_root`) and its answers.
    """
    parsed = parse_pytest(list(argv))
    if parsed is None:
        return _no(NotRunReason.NOT_A_TEST_COMMAND, f"`{shlex.join(argv)}` is not a pytest command")
    own = list(argv[len(parsed.launcher) :])
    opts = parse_pytest_options([*config.addopts, *own])
    if opts.errors:
        return _no(NotRunReason.NOT_A_TEST_COMMAND, f"pytest rejects the command: {opts.errors[0]}")
    if opts.stops:
        return _no(NotRunReason.NOT_A_TEST_COMMAND, f"`{opts.stops[0]}` makes pytest run no test")
    files = files if files is not None else RepoFiles(repo_root)
    try:
        ctx = _Ctx(
            opts=opts,
            cli=parse_pytest_options(own),
            cwd=_norm(posixpath.join(cwd, parsed.chdir or ".")),
            cfg=config.with_overrides(opts.overrides),
            files=files,
        )
        result = _select(ctx, test)
    except InputError as exc:
        return _no(NotRunReason.NOT_A_TEST_COMMAND, f"pytest rejects the command: {exc.message}")
    notes = [f"`{flag}` depends on state parity cannot see" for flag in opts.uncertain[:1]]
    notes += [f"parity does not know the option `{flag}` (a plugin's?)" for flag in opts.unknown[:1]]
    hooks = files.conftest_hooks(_dirs_between(ctx.cfg.confcutdir, test.file))
    notes += [f"{hook} can change collection" for hook in hooks[:1]]
    if notes:
        return result._replace(detail=f"{result.detail} ({'; '.join(notes)})", certain=False)
    return result
