"""The README and docs/ as a newcomer and an operator read them: a short newcomer part first, every setting
documented exactly once (in one table row across README.md and docs/) with the default the code has, links that
lead somewhere, and doctor's sample output as doctor prints it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from talking_video_mcp.providers.registry import plugins
from talking_video_mcp.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
ROW = re.compile(r"^\|\s*`([A-Z][A-Z0-9_]+)`\s*\|(.*)\|\s*$")
# Settings whose default is computed (a folder of this machine, the user's home): documented in words.
IN_WORDS = {"home": "user data folder", "allowed_roots": "your home directory"}


def _rows() -> dict[str, list[tuple[Path, str]]]:
    """Each variable named at the start of a table row → (page, that row's last cell, its default)."""
    found: dict[str, list[tuple[Path, str]]] = {}
    for page in PAGES:
        for line in page.read_text(encoding="utf-8").splitlines():
            row = ROW.match(line)
            if row:
                found.setdefault(row.group(1), []).append((page, row.group(2).split("|")[-1].strip()))
    return found


def _fields() -> dict[str, FieldInfo]:
    """Every setting by its environment variable: the server's own and each provider's (its declared ones)."""
    # `_INTERNAL_` ones are set by the server itself for its own processes (the sandbox's emulator URL), not by users.
    found = {field.alias or name: field for name, field in Settings.model_fields.items()
             if "_INTERNAL_" not in (field.alias or "")}
    for plugin in plugins():
        found.update({field.alias: field for field in plugin.settings.model_fields.values() if field.alias})
    return found


def _aliases() -> dict[str, str]:
    return {alias: alias for alias in _fields()}


def test_the_newcomer_part_comes_first_and_is_short() -> None:
    text = README.read_text(encoding="utf-8")
    newcomer = text.split("\n## Architecture\n", 1)[0]
    assert newcomer.count("\n") + 1 <= 200, f"the newcomer part has {newcomer.count(chr(10)) + 1} lines"
    body = newcomer.split("\n## More\n", 1)[0]  # the list of links at its end names the operations pages
    for operations in ("PostgreSQL", "SeaweedFS", "mutmut", "SKIP LOCKED", "node-oidc-provider", "replica"):
        assert operations not in body, f"{operations} belongs in docs/"
    for target in re.findall(r"\]\(((?:docs/)?[\w./-]+\.md)(?:#[\w-]+)?\)", text):
        assert (ROOT / target).is_file(), target
    for page in PAGES[1:]:
        for target in re.findall(r"\]\(([\w./-]+\.md)(?:#[\w-]+)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).resolve().is_file(), f"{page.name} links to {target}"


def test_every_setting_is_documented_exactly_once() -> None:
    rows, aliases = _rows(), _aliases()
    missing = sorted(set(aliases) - set(rows))
    twice = sorted(f"{name} in {', '.join(p.name for p, _ in where)}" for name, where in rows.items() if len(where) > 1)
    unknown = sorted(set(rows) - set(aliases))
    assert not missing, f"settings not documented in README.md or docs/: {missing}"
    assert not twice, f"settings documented more than once: {twice}"
    assert not unknown, f"documented variables that are no setting: {unknown}"


def _expected(name: str, default: Any, cell: str) -> str | None:
    """Why `cell` does not state `default`, or None when it does."""
    plain = cell.replace("`", "")
    if name in IN_WORDS:
        return None if IN_WORDS[name] in plain else f"say '{IN_WORDS[name]}'"
    if default is None or default == [] or default == {}:
        return None if plain.startswith("unset") else "start with 'unset'"
    if isinstance(default, bool):
        return None if plain.split()[0] == str(int(default)) else f"be {int(default)}"
    if isinstance(default, int | float):
        number = re.match(r"-?[\d.]+", plain.replace(",", ""))
        return None if number and float(number.group(0)) == float(default) else f"be {default}"
    if isinstance(default, list):
        return None if all(f"`{v}`" in cell for v in default) else f"name {default}"
    return None if f"`{default}`" in cell else f"be `{default}`"


@pytest.mark.parametrize("alias", sorted(_aliases()))
def test_the_documented_default_is_the_codes(alias: str) -> None:
    field = _fields()[alias]
    name = next((n for n, f in Settings.model_fields.items() if f is field), alias)
    default = field.default if field.default is not PydanticUndefined else (
        field.default_factory() if field.default_factory and name not in IN_WORDS else None)  # type: ignore[call-arg]
    where = _rows().get(alias)
    if not where:
        pytest.skip("not documented (test_every_setting_is_documented_exactly_once says so)")
    page, cell = where[0]
    problem = _expected(name, default, cell)
    assert problem is None, f"{alias} in {page.name}: the default column says {cell!r}; it should {problem}"


def test_doctors_sample_is_what_doctor_prints(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    sample = re.search(r"```text\n(talking-video-mcp [^\n]* doctor\n.*?)```", text, re.DOTALL)
    assert sample, "no doctor sample in the README"
    lines = sample.group(1).strip().splitlines()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SEGMIND", "UNIFICALLY", "TALKING_VIDEO"))}
    env["TALKING_VIDEO_HOME"] = str(tmp_path / "home")
    printed = subprocess.run([sys.executable, "-m", "talking_video_mcp", "doctor"], env=env, capture_output=True,
                             text=True, timeout=120, check=False).stdout.strip().splitlines()

    def checks(output: list[str]) -> list[str]:
        return [m.group(1) for line in output if (m := re.match(r"\[(?:ok|FAIL|warn)\]\s+([^:]+):", line))]

    assert checks(lines) == checks(printed), "the README's doctor sample lists other checks than doctor prints"
    assert lines[0] == printed[0]
    stable = ("settings:", "face model:", "voices:", "unifically key:", "transport:")
    for line in printed:
        if line.startswith("[ok]") and line.split(None, 1)[1].startswith(stable):
            assert line in lines, f"doctor now prints {line!r}"
