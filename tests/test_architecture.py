"""The layering the README describes, checked on the code: imports only point down, and no function grows
past what a reader takes in at once."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "talking_video_mcp"
NAME = "talking_video_mcp"


def _modules() -> dict[str, ast.Module]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        dotted = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        found[dotted] = ast.parse(path.read_text(encoding="utf-8"))
    return found


MODULES = _modules()


def _imports(tree: ast.Module) -> set[str]:
    """Every module of the package this one imports (at the top, in a function, or under TYPE_CHECKING)."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith(NAME))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(NAME):
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES)
    return out


def _in(module: str, package: str) -> bool:
    full = f"{NAME}.{package}"
    return module == full or module.startswith(f"{full}.")


# (importer package, imported package): never.
FORBIDDEN = [
    ("jobs", "providers"),
    ("providers", "jobs"),
    ("providers", "tools"),
    ("providers", "server"),
    ("providers", "emulator"),
    ("emulator", "providers"),
    ("tools", "runtime"),
    ("tools", "emulator"),
    ("tools", "server"),
    ("ui", "runtime"),
    ("domain", "jobs"),
    ("domain", "providers"),
    ("domain", "tools"),
    ("domain", "services"),
    ("media", "providers"),
    ("render", "providers"),
    ("tts", "providers"),
    ("models", "domain"),
    ("errors", "domain"),
    ("settings", "domain"),
]


@pytest.mark.parametrize(("importer", "imported"), FORBIDDEN, ids=[f"{a}-not-{b}" for a, b in FORBIDDEN])
def test_imports_point_down(importer: str, imported: str) -> None:
    offenders = sorted(
        f"{module} imports {target}"
        for module, tree in MODULES.items() if _in(module, importer)
        for target in _imports(tree) if _in(target, imported)
    )
    assert not offenders, offenders


def test_nothing_imports_the_wiring_or_the_command_line() -> None:
    allowed = {f"{NAME}.cli", f"{NAME}.http_app", f"{NAME}.__main__", f"{NAME}.demo"}
    offenders = sorted(
        f"{module} imports {target}"
        for module, tree in MODULES.items()
        if module not in allowed and not _in(module, "server")
        for target in _imports(tree) if _in(target, "server") or target == f"{NAME}.cli"
    )
    assert not offenders, offenders


def test_functions_stay_short() -> None:
    long = sorted(
        f"{module}.{node.name}: {node.end_lineno - node.lineno + 1} lines"
        for module, tree in MODULES.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None and node.end_lineno - node.lineno + 1 > 80
    )
    assert not long, long


def test_build_server_reads_in_one_screen() -> None:
    tree = MODULES[f"{NAME}.server"]
    build = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "build_server")
    assert build.end_lineno is not None and build.end_lineno - build.lineno + 1 < 60
