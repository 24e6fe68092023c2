"""The apps' layers, read from their import statements: branches ← pledges ← reviews.

An app imports only itself and the apps below it; config, on top, may import every app.
A page or command that combines apps lives in the highest app it uses.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each package of the project and the project packages it may import.
ALLOWED = {
    "branches": {"branches"},
    "pledges": {"branches", "pledges"},
    "reviews": {"branches", "pledges", "reviews"},
    "config": {"branches", "pledges", "reviews", "config"},
}


def _imported_modules(tree: ast.AST, package: str) -> list[tuple[int, str]]:
    """(line, dotted module) of every import in the tree, those inside functions included;
    a relative import is resolved against `package`, the importing file's package."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return found


def upward_imports(app: str, source: str, *, name: str, package: str | None = None) -> list[str]:
    """'file:line imports module' for each import of `source` that reaches a project
    package `app` may not import."""
    tree = ast.parse(source, filename=name)
    return [
        f"{name}:{line} imports {module}"
        for line, module in _imported_modules(tree, package or app)
        if module.split(".")[0] in ALLOWED and module.split(".")[0] not in ALLOWED[app]
    ]


def _sources(app: str) -> list[Path]:
    return sorted(path for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts)


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_layers_app_imports_no_higher_app(app):
    sources = _sources(app)
    assert sources, f"no Python files under {app}/"
    upward = []
    for path in sources:
        relative = path.relative_to(ROOT)
        package = ".".join(relative.with_suffix("").parts[:-1])
        upward += upward_imports(
            app, path.read_text(encoding="utf-8"), name=str(relative), package=package
        )
    assert upward == []


@pytest.mark.parametrize(
    ("app", "source", "expected"),
    [
        ("branches", "import pledges.models\n", ["x.py:1 imports pledges.models"]),
        ("branches", "from reviews import dashboard\n", ["x.py:1 imports reviews"]),
        (
            "pledges",
            "def todo():\n    from reviews.models import MonthlyReport\n",
            ["x.py:2 imports reviews.models"],
        ),
        ("pledges", "from branches.models import Branch\nimport pledges.enums\n", []),
        ("reviews", "from pledges.models import Pledge\nfrom branches import models\n", []),
        ("reviews", "from config import urls\n", ["x.py:1 imports config"]),
        ("config", "from reviews.views import dashboard\nimport pledges.urls\n", []),
        ("branches", "import datetime\nfrom django.db import models\n", []),
    ],
)
def test_layers_check_reads_every_import(app, source, expected):
    assert upward_imports(app, source, name="x.py") == expected


def test_layers_check_resolves_relative_imports_within_the_app():
    source = "from ..selectors import branch_for\nfrom . import members\n"
    tree = ast.parse(source)
    assert _imported_modules(tree, "branches.views") == [
        (1, "branches.selectors"),
        (2, "branches.views"),
    ]
    assert upward_imports("branches", source, name="x.py", package="branches.views") == []
