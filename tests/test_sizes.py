"""No module of edi837 over 400 lines, no function over 80 (docs/architecture.md): a module or a function
that grows past them holds more than one job, and is split before it is read by a person again."""

from __future__ import annotations

import ast

from tests.helpers import REPO

MODULE_LINES, FUNCTION_LINES = 400, 80


def test_no_module_is_over_400_lines() -> None:
    long = {str(p.relative_to(REPO)): n for p in (REPO / "edi837").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MODULE_LINES}
    assert long == {}


def test_no_function_is_over_80_lines() -> None:
    long = []
    for path in sorted((REPO / "edi837").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lines = (node.end_lineno or node.lineno) - first + 1
                if lines > FUNCTION_LINES:
                    long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}: {lines} lines")
    assert long == []
