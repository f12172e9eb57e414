"""Cache entries and shard assignment as units (the real-run cache and merge tests live in test_scale.py)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from parity.cache import CacheEntryError, CacheSession, ResultCache, cache_key, tree_digest
from parity.errors import InputError
from parity.outcomecache import OutcomeCache, outcome_key
from parity.plan import Invocation
from parity.results import CommandResult, CommandStatus
from parity.shard import assign_shards, check_shard_set, parse_shard


def _invocation(
    key: str, argv: tuple[str, ...] = ("cargo", "test"), env: tuple[tuple[str, str], ...] = ()
) -> Invocation:
    return Invocation(
        key=key, argv=argv, cwd="", env=env, kind="cargo", workflow="ci.yml", job="test", step_line=1
    )


def _result(tmp_path: Path, key: str = "k" * 16) -> CommandResult:
    log = tmp_path / "run.log"
    log.write_text("running 0 tests\n")
    return CommandResult(
        key=key,
        display="cargo test",
        status=CommandStatus.RAN,
        exit_code=0,
        duration=1.5,
        log_path=str(log),
        log_sha256=hashlib.sha256(log.read_bytes()).hexdigest(),
    )


def test_cache_round_trip_marks_cached_and_points_at_its_own_log(tmp_path: Path) -> None:
    cache = ResultCache(directory=tmp_path / "cache")
    cache.store("ab" + "0" * 62, _result(tmp_path))
    loaded = cache.load("ab" + "0" * 62)
    assert loaded is not None
    assert (loaded.status, loaded.exit_code, loaded.duration) == (CommandStatus.CACHED, 0, 1.5)
    sha = _result(tmp_path).log_sha256
    assert loaded.log_path == str(tmp_path / "cache" / "ab" / f"{'ab' + '0' * 62}.{sha[:16]}.log")
    assert cache.load("cd" + "0" * 62) is None
    assert (tmp_path / "cache" / ".gitignore").read_text().endswith("*\n")


def test_truncated_or_altered_entries_are_detected(tmp_path: Path) -> None:
    cache = ResultCache(directory=tmp_path / "cache")
    key = "ef" + "1" * 62
    cache.store(key, _result(tmp_path))
    entry = tmp_path / "cache" / "ef" / f"{key}.json"
    full = entry.read_bytes()
    entry.write_bytes(full[: len(full) // 2])
    with pytest.raises(CacheEntryError, match="unreadable cache entry"):
        cache.load(key)
    document = json.loads(full)
    document["payload"]["exit_code"] = 1
    entry.write_text(json.dumps(document))
    with pytest.raises(CacheEntryError, match="checksum or format mismatch"):
        cache.load(key)
    entry.write_bytes(full)
    (log,) = (tmp_path / "cache" / "ef").glob(f"{key}.*.log")
    log.write_text("tampered\n")
    with pytest.raises(CacheEntryError, match="cached log missing or altered"):
        cache.load(key)


def test_errors_are_never_cached(tmp_path: Path) -> None:
    cache = ResultCache(directory=tmp_path / "cache")
    cache.store(
        "aa" + "2" * 62, CommandResult(key="x", display="x", status=CommandStatus.ERROR, error="timeout")
    )
    assert cache.load("aa" + "2" * 62) is None


def test_cache_key_covers_every_input(tmp_path: Path) -> None:
    base = cache_key(_invocation("a"), tree="t1", toolchain={"cargo": "1.95"}, tool_version="0.1.0")
    assert base == cache_key(_invocation("a"), tree="t1", toolchain={"cargo": "1.95"}, tool_version="0.1.0")
    changed = [
        cache_key(
            _invocation("a", argv=("cargo", "test", "--lib")),
            tree="t1",
            toolchain={"cargo": "1.95"},
            tool_version="0.1.0",
        ),
        cache_key(
            _invocation("a", env=(("SEED", "7"),)),
            tree="t1",
            toolchain={"cargo": "1.95"},
            tool_version="0.1.0",
        ),
        cache_key(_invocation("a"), tree="t2", toolchain={"cargo": "1.95"}, tool_version="0.1.0"),
        cache_key(_invocation("a"), tree="t1", toolchain={"cargo": "1.96"}, tool_version="0.1.0"),
        cache_key(_invocation("a"), tree="t1", toolchain={"cargo": "1.95"}, tool_version="0.2.0"),
    ]
    assert len({base, *changed}) == 6


def test_tree_digest_sees_content_not_mtime(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lib.rs").write_text("fn a() {}\n")
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "junk").write_text("build output\n")
    first = tree_digest(tmp_path)
    (tmp_path / "target" / "junk").write_text("other build output\n")
    (tmp_path / "src" / "lib.rs").touch()
    assert tree_digest(tmp_path) == first
    (tmp_path / "src" / "lib.rs").write_text("fn b() {}\n")
    assert tree_digest(tmp_path) != first
    assert tree_digest(tmp_path, ["src/lib.rs"]) == tree_digest(tmp_path)


def test_tree_digest_sees_where_a_symlink_points(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a\n")
    (tmp_path / "b.txt").write_text("b\n")
    (tmp_path / "link").symlink_to("a.txt")
    first = tree_digest(tmp_path)
    (tmp_path / "link").unlink()
    (tmp_path / "link").symlink_to("b.txt")
    assert tree_digest(tmp_path) != first


def test_toolchains_are_probed_per_selecting_env_and_prefetched_next_time(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    session = CacheSession(tmp_path, cache, tmp_path / "logs")
    plain = _invocation("a", env=(("CARGO_TERM_COLOR", "always"),))
    colour = _invocation("b", env=(("CARGO_TERM_COLOR", "never"),))  # selects no other toolchain
    pinned = _invocation("c", env=(("RUSTUP_TOOLCHAIN", "no-such-toolchain"),))
    versions = [session._toolchain(i) for i in (plain, colour, pinned)]
    assert versions[0] is versions[1]  # one probe for the two
    assert versions[0]["cargo"].startswith("cargo ")
    assert versions[2] is not versions[0]  # probed on its own (rustup would refuse that toolchain)
    session.remember_toolchains()
    remembered = json.loads((cache / "toolchains.json").read_text())
    assert [(e["kind"], e["env"]) for e in remembered] == [
        ("cargo", [["CARGO_TERM_COLOR", "always"]]),
        ("cargo", [["RUSTUP_TOOLCHAIN", "no-such-toolchain"]]),
    ]
    later = CacheSession(tmp_path, cache, tmp_path / "logs")
    later.prefetch()
    assert len(later._probing) == 2  # both remembered slots are being probed already
    assert later._toolchain(plain) == versions[0]
    (cache / "toolchains.json").write_text("[{")  # a torn record: no prefetch, no error
    torn = CacheSession(tmp_path, cache, tmp_path / "logs")
    torn.prefetch()
    assert torn._probing == {}


def _document(**changes: object) -> dict[str, object]:
    command = {
        "key": "k1",
        "argv": ["cargo", "test"],
        "cwd": "",
        "env": {},
        "kind": "cargo",
        "workflow": "ci.yml",
        "job": "test",
        "step_line": 3,
        "rows": [10],
        "status": "ran",
        "error": "",
        "log_path": "run.log",
    }
    document: dict[str, object] = {
        "interrupted": False,
        "for_signoff": False,
        "commands": [command],
        "rows": [],
    }
    command.update({k: v for k, v in changes.items() if k in command})
    document.update({k: v for k, v in changes.items() if k not in command})
    return document


@pytest.mark.parametrize(
    "changes",
    [
        {"interrupted": True},
        {"for_signoff": True},
        {"shard": {"index": 1, "count": 2}},
        {"status": "error", "error": "timed out after 5s"},
        {"status": "not run"},
        {"status": "interrupted"},
    ],
)
def test_outcomes_of_incomplete_runs_are_not_kept(tmp_path: Path, changes: dict[str, object]) -> None:
    outcomes = OutcomeCache(directory=tmp_path / "cache", root=tmp_path)
    session = CacheSession(tmp_path, tmp_path / "cache", tmp_path / "logs")
    key = outcome_key("tree", {"rows": []})
    assert outcomes.store(key, _document(**changes), session) is False
    assert not (tmp_path / "cache" / "outcomes").exists()


def test_an_outcome_without_its_command_entries_is_a_miss(tmp_path: Path) -> None:
    outcomes = OutcomeCache(directory=tmp_path / "cache", root=tmp_path)
    session = CacheSession(tmp_path, tmp_path / "cache", tmp_path / "logs")
    key = outcome_key("tree", {"rows": []})
    assert key != outcome_key("tree", {"rows": ["Backfill"]}) != outcome_key("other tree", {"rows": []})
    assert outcomes.store(key, _document(), session) is True  # a complete run: kept...
    assert outcomes.replay(key, session) is None  # ...but no result cache entry vouches for `k1`


def test_shards_are_disjoint_complete_deterministic_and_balanced() -> None:
    invocations = [_invocation(f"key{n}") for n in range(7)]
    durations = {
        "key0": 100.0,
        "key1": 50.0,
        "key2": 50.0,
        "key3": 10.0,
        "key4": 10.0,
        "key5": 5.0,
        "key6": 5.0,
    }
    assignment = assign_shards(invocations, 3, durations)
    assert assignment == assign_shards(list(reversed(invocations)), 3, durations)
    assert sorted(assignment) == sorted(i.key for i in invocations)
    loads = {shard: sum(durations[k] for k, s in assignment.items() if s == shard) for shard in (1, 2, 3)}
    assert loads == {1: 100.0, 2: 65.0, 3: 65.0}
    even = assign_shards(invocations, 3, {})
    assert sorted(list(even.values()).count(s) for s in (1, 2, 3)) == [2, 2, 3]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0/3", "--shard: expected K/N with 1 <= K <= N, got '0/3' (e.g. --shard 2/4)"),
        ("4/3", "--shard: expected K/N with 1 <= K <= N, got '4/3' (e.g. --shard 2/4)"),
        ("two", "--shard: expected K/N with 1 <= K <= N, got 'two' (e.g. --shard 2/4)"),
    ],
)
def test_parse_shard_errors(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_shard(text)
    assert caught.value.render() == message
    assert str(parse_shard(" 2 / 4 ")) == "2/4"


def _doc(index: int, count: int = 3, revision: str = "abc") -> dict[str, object]:
    return {
        "command": "prove",
        "shard": {
            "index": index,
            "count": count,
            "revision": revision,
            "matrix_sha256": "m",
            "plan": ["k1", "k2"],
        },
    }


def test_shard_set_validation() -> None:
    check_shard_set([("s1.json", _doc(1)), ("s2.json", _doc(2)), ("s3.json", _doc(3))])
    cases = [
        ([("s1.json", _doc(1)), ("s2.json", _doc(2))], "s1.json: shard(s) 3/3 missing"),
        (
            [("s1.json", _doc(1)), ("s1b.json", _doc(1)), ("s3.json", _doc(3))],
            "s1b.json: shard 1/3 is given twice (also s1.json)",
        ),
        (
            [("s1.json", _doc(1)), ("s2.json", _doc(2, revision="def")), ("s3.json", _doc(3))],
            "s2.json: comes from a different commit than s1.json ('def' != 'abc')",
        ),
        (
            [("s1.json", {"command": "check"})],
            "s1.json: not a shard result of `parity prove --shard K/N --json FILE`",
        ),
    ]
    for documents, message in cases:
        with pytest.raises(InputError) as caught:
            check_shard_set(documents)  # type: ignore[arg-type]
        assert caught.value.message == message.split(": ", 1)[1]
        assert caught.value.path == message.split(": ", 1)[0]
