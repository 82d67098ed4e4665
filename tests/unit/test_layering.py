"""Dependencies run one way: the toolkit never imports the reference lakehouse, and back.

See docs/architecture.md. A violation fails with the file, the line and the import.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBRARIES = {p.name for p in (ROOT / "libraries").iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
STDLIB = set(sys.stdlib_module_names) | {"__future__"}


def imports(folder: Path, root: Path = ROOT) -> Iterator[tuple[str, int, str]]:
    """(file, line, top-level module) of every absolute import under ``folder`` (in functions too)."""
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                yield str(path.relative_to(root)), node.lineno, name.split(".")[0]


def violations(folder: str, forbidden: Callable[[str], bool]) -> list[str]:
    return [f"{file}:{line}: imports {module}" for file, line, module in imports(ROOT / folder) if forbidden(module)]


RULES: dict[str, Callable[[str], bool]] = {
    # The product never imports the system it tests.
    "libraries": lambda m: m == "lakehouse",
    "variables": lambda m: m == "lakehouse",
    "benchmarks": lambda m: m == "lakehouse",
    # The system under test never imports the toolkit (nor Robot Framework through it).
    "lakehouse": lambda m: m in LIBRARIES or m in ("robot", "robotlibcore", "assertionengine"),
    # The contract is pure: the standard library, pyarrow for schemas, and itself.
    "contract": lambda m: m not in STDLIB and m not in ("contract", "pyarrow"),
    # Robot-free helpers: the standard library, the contract, themselves.
    "lhcommon": lambda m: m not in STDLIB and m not in ("contract", "lhcommon"),
}


@pytest.mark.parametrize("folder", sorted(RULES))
def test_dependencies_run_one_way(folder: str) -> None:
    found = violations(folder, RULES[folder])
    assert not found, f"{len(found)} forbidden import(s) in {folder}/:\n" + "\n".join(found)


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    """The walker must find a lazy import too: that is how the old tangle hid."""
    (tmp_path / "lib.py").write_text("def f():\n    from lakehouse.settings import Settings\n")
    found = [(line, module) for _, line, module in imports(tmp_path, tmp_path)]
    assert found == [(2, "lakehouse")]

