"""The YAML boundary: read a workflow safely (size, encoding, alias bombs) and keep every node's line."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import yaml

from parity.errors import InputError

__all__ = [
    "MAX_ALIASES",
    "MAX_ALIAS_NODES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "YamlNode",
    "compose_yaml",
    "is_mapping",
    "is_null",
    "is_scalar",
    "is_sequence",
    "is_string",
    "node_line",
    "pairs",
    "read_text",
    "yaml_bool_or_text",
    "yaml_mapping",
    "yaml_str",
    "yaml_strings",
]

YamlNode = yaml.Node
# libyaml when available, like pre-commit's `pre_commit/yaml.py`; both record marks on nodes.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_BYTES = 5 * 1024 * 1024
MAX_ALIASES = 100
MAX_ALIAS_NODES = 10_000  # nodes that aliases would add if the document were expanded
MAX_DEPTH = 64  # libyaml's composer recurses in C: 100k nested `[` crash the interpreter
_CORE = "tag:yaml.org,2002:"
_CORE_TAGS = frozenset(_CORE + t for t in ("str", "int", "float", "bool", "null", "seq", "map"))
_BOMB = "too many YAML aliases (possible billion-laughs)"


def read_text(repo_root: Path, rel_path: str) -> str:
    """The file's text; refuses paths outside the repo, big files and non-UTF-8 bytes."""
    pure = PurePosixPath(rel_path)
    if pure.is_absolute() or ".." in pure.parts:
        raise InputError(
            rel_path,
            "workflow path must be relative to the repository root",
            hint="e.g. .github/workflows/ci.yml",
        )
    try:
        with (Path(repo_root) / rel_path).open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InputError(
            rel_path, f"cannot read workflow: {reason}", hint="check the workflow path"
        ) from None
    if len(data) > MAX_BYTES:
        raise InputError(rel_path, "workflow is larger than 5 MB", hint="refusing to parse it")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        bad = data[error.start]
        raise InputError(
            rel_path, f"not UTF-8 (byte 0x{bad:02x})", line=line, column=column, hint="save the file as UTF-8"
        ) from None
    return text.removeprefix("\ufeff")


def _error(path: str, error: yaml.YAMLError) -> InputError:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        problem = " ".join(str(error.problem or "syntax error").split())
        context = " ".join(str(error.context).split()) if error.context else ""
        if context and problem.startswith("but "):  # "expected a single document ..., but found ..."
            message = f"YAML syntax error: {context}, {problem}"
        else:
            message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
        return InputError(
            path, message, line=mark.line + 1, column=mark.column + 1, hint="check indentation and quoting"
        )
    if isinstance(error, yaml.reader.ReaderError):
        return InputError(
            path, f"unreadable YAML: {' '.join(str(error.reason).split())} at character {error.position}"
        )
    return InputError(path, f"unreadable YAML: {' '.join(str(error).split())}")


def _scan(text: str, path: str) -> None:
    """Walk the event stream (no recursion) to refuse bombs before anything is composed."""
    sizes: dict[str, int] = {}  # anchor -> node count of its expansion
    anchors: list[str | None] = [None]  # per open collection
    counts: list[int] = [0]
    aliases = expanded = 0
    for event in yaml.parse(text, Loader=_Loader):
        mark = event.start_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _CORE_TAGS:
            raise InputError(
                path,
                f"unsupported YAML tag `{tag}`",
                line=line,
                column=column,
                hint="workflows use plain YAML",
            )
        if isinstance(event, yaml.AliasEvent):
            anchor = str(event.anchor)
            if anchor in anchors:
                raise InputError(path, f"recursive YAML alias `*{anchor}`", line=line, column=column)
            aliases += 1
            expanded += sizes.get(anchor, 1)
            if aliases > MAX_ALIASES or expanded > MAX_ALIAS_NODES:
                raise InputError(
                    path,
                    _BOMB,
                    line=line,
                    column=column,
                    hint=f"at most {MAX_ALIASES} small aliases are allowed",
                )
            counts[-1] += sizes.get(anchor, 1)
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                sizes[event.anchor] = 1
            counts[-1] += 1
        elif isinstance(event, yaml.CollectionStartEvent):
            anchors.append(event.anchor)
            counts.append(1)
            if len(anchors) > MAX_DEPTH:
                raise InputError(
                    path, f"YAML nesting deeper than {MAX_DEPTH} levels", line=line, column=column
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            closed, count = anchors.pop(), counts.pop()
            if closed is not None:
                sizes[closed] = count
            counts[-1] += count


def compose_yaml(text: str, path: str) -> YamlNode | None:
    """The node graph of a one-document YAML text (None when empty), after the safety scan."""
    try:
        _scan(text, path)
        return yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as error:
        raise _error(path, error) from None


def node_line(node: YamlNode) -> int:
    return int(node.start_mark.line) + 1


def is_null(node: YamlNode) -> bool:
    return bool(node.tag == _CORE + "null")


def is_mapping(node: YamlNode) -> bool:
    return isinstance(node, yaml.MappingNode)


def is_sequence(node: YamlNode) -> bool:
    return isinstance(node, yaml.SequenceNode)


def is_scalar(node: YamlNode) -> bool:
    return isinstance(node, yaml.ScalarNode)


def is_string(node: YamlNode) -> bool:
    return is_scalar(node) and node.tag == _CORE + "str"


def _describe(node: YamlNode) -> str:
    if is_mapping(node):
        return "a mapping"
    if is_sequence(node):
        return "a list"
    kinds = {"null": "null", "bool": "a boolean", "int": "a number", "float": "a number"}
    return kinds.get(str(node.tag).removeprefix(_CORE), "a string")


def pairs(path: str, node: YamlNode, what: str) -> list[tuple[str, int, YamlNode]]:
    """(key, key line, value) of a mapping, refusing duplicate keys and merge keys."""
    if not is_mapping(node):
        raise InputError(path, f"{what} must be a mapping, not {_describe(node)}", line=node_line(node))
    seen: set[str] = set()
    found: list[tuple[str, int, YamlNode]] = []
    for key_node, value in node.value:
        line = node_line(key_node)
        if not is_scalar(key_node):
            raise InputError(path, f"keys of {what} must be strings", line=line)
        # Keys keep their source text: PyYAML would read the `on:` key as the boolean True.
        key = str(key_node.value)
        if key == "<<" and key_node.tag == _CORE + "merge":
            raise InputError(path, "YAML merge keys (`<<`) are not supported by GitHub Actions", line=line)
        if key in seen:
            raise InputError(path, f"duplicate key `{key}` in {what}", line=line, hint="GitHub rejects it")
        seen.add(key)
        found.append((key, line, value))
    return found


def yaml_mapping(path: str, node: YamlNode, what: str) -> dict[str, YamlNode]:
    return {key: value for key, _line, value in pairs(path, node, what)}


def yaml_str(path: str, node: YamlNode | None, what: str) -> str | None:
    """A scalar's source text (numbers and booleans too); None when absent or null."""
    if node is None or is_null(node):
        return None
    if not is_scalar(node):
        raise InputError(path, f"{what} must be a string, not {_describe(node)}", line=node_line(node))
    return str(node.value)


def yaml_strings(path: str, node: YamlNode, what: str) -> tuple[str, ...]:
    """A scalar or a list of scalars."""
    if is_null(node):
        return ()
    if is_sequence(node):
        return tuple(yaml_str(path, item, f"items of {what}") or "" for item in node.value)
    return (yaml_str(path, node, what) or "",)


def yaml_bool_or_text(path: str, node: YamlNode | None, what: str) -> bool | str:
    """`true`/`false`, or an expression string such as `${{ matrix.experimental }}`."""
    if node is None or is_null(node):
        return False
    if is_scalar(node) and node.tag == _CORE + "bool":
        return bool(yaml.constructor.SafeConstructor.bool_values[str(node.value).lower()])
    if is_scalar(node) and node.tag == _CORE + "str":
        return str(node.value).strip()
    raise InputError(
        path, f"{what} must be a boolean or an expression, not {_describe(node)}", line=node_line(node)
    )
