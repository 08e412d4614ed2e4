"""The core never imports an adapter or a platform SDK; knowledge/ holds no code."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("adapters", "slack_bolt", "slack_sdk", "discord", "starlette", "uvicorn", "aiohttp")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_core_imports_no_adapter_or_platform() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / "bot").rglob("*.py"))
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN
    ]
    assert offenders == []


def test_knowledge_is_data_only() -> None:
    code = [p.name for p in (ROOT / "knowledge").rglob("*.py") if p.name != "__init__.py"]
    assert code == []
    init = ROOT / "knowledge" / "__init__.py"
    assert not init.exists() or init.read_text(encoding="utf-8").strip() == ""


def test_no_module_shadows_a_package() -> None:
    shadowing = {"dns", "http", "discord", "slack", "socket", "ssl", "email", "logging", "json"}
    names = {p.stem for folder in ("bot", "adapters") for p in (ROOT / folder).rglob("*.py")}
    assert names & shadowing == set()
