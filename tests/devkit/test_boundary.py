"""The development package stays out of the runtime package: transforms/ does not import devkit/, and the wheel
does not hold it."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def _devkit_imports(path: Path) -> list[tuple[int, str]]:
    """(line, enclosing function) of every import of devkit in a file; "" for module level."""
    tree = ast.parse(path.read_text("utf-8"))
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                names = [child.module]
            if any(n == "devkit" or n.startswith("devkit.") for n in names):
                found.append((child.lineno, function))
            inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            visit(child, inner)

    visit(tree, "")
    return found


def test_transforms_imports_devkit_only_lazily_in_the_generate_command() -> None:
    imports = {
        str(path.relative_to(PROJECT)): found
        for path in sorted((PROJECT / "transforms").rglob("*.py"))
        if (found := _devkit_imports(path))
    }
    assert list(imports) == ["transforms/cli.py"], imports
    assert [function for _, function in imports["transforms/cli.py"]] == ["generate"]


def test_the_wheel_packages_transforms_alone() -> None:
    settings = tomllib.loads((PROJECT / "pyproject.toml").read_text("utf-8"))
    assert settings["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["transforms"]
    runtime = " ".join(settings["project"]["dependencies"]).lower()
    assert "splink" not in runtime
    assert not (PROJECT / "transforms" / "sample_data").exists() and not (PROJECT / "transforms" / "bench").exists()
