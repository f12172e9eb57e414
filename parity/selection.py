"""Would this CI command select this test, and if not, why: the one entry point for `check` and `prove`.

The work is split by runner: `cargoselect` (with `cargoargs`, `cargofeatures`, `cargotoml`,
`cfgexpr`) for `cargo test`, and `pytestselect` (with `pytestargs`, `pytestconfig`,
`matchexpr`) for pytest. Both only read manifests and config files through the
`Workspace`/`PytestConfig` objects they are handed.
"""

from __future__ import annotations

from parity.cargoargs import CargoTestArgs, LibtestArgs, parse_cargo_test
from parity.cargoselect import select_rust
from parity.pytestargs import PytestArgs, parse_pytest
from parity.pytestselect import select_python
from parity.selectmodel import NotRunReason, PythonTest, RustTest, Selection

__all__ = [
    "CargoTestArgs",
    "LibtestArgs",
    "NotRunReason",
    "PytestArgs",
    "PythonTest",
    "RustTest",
    "Selection",
    "parse_cargo_test",
    "parse_pytest",
    "select_python",
    "select_rust",
]
