"""Every imported package is declared, and requirements.lock pins every declared one."""

from __future__ import annotations

from importlib.metadata import packages_distributions
from pathlib import Path

from tests.support.dependencies import (
    DEV_CODE,
    RUNTIME_CODE,
    declared,
    pinned,
    python_files,
    requirements,
    undeclared_imports,
)


def test_the_runtime_code_imports_only_runtime_dependencies() -> None:
    deps = declared()
    missing = undeclared_imports(python_files(RUNTIME_CODE), deps.runtime, packages_distributions())
    assert missing == {}, f"imported but not in [project] dependencies: {missing}"


def test_the_tests_and_benchmarks_import_only_declared_dependencies() -> None:
    deps = declared()
    missing = undeclared_imports(
        python_files(DEV_CODE), deps.runtime | deps.dev, packages_distributions()
    )
    assert missing == {}, f"imported but not declared (dev extra): {missing}"


def test_the_check_finds_a_package_that_arrives_only_transitively(tmp_path: Path) -> None:
    module = tmp_path / "gateway.py"
    module.write_text(
        "from __future__ import annotations\n"
        "import json\n"
        "import requests.exceptions\n"
        "from litestar import get\n"
        "from . import sibling\n"
        "from domain.models import Money\n"
        "def later():\n"
        "    import pytest\n"
    )
    distributions = {"requests": ["requests"], "litestar": ["litestar"], "pytest": ["pytest"]}
    missing = undeclared_imports([module], frozenset({"litestar"}), distributions)
    assert set(missing) == {"requests", "pytest"}
    # A name no installed distribution provides is undeclared too.
    assert "yaml" in undeclared_imports(
        [_write(tmp_path / "b.py", "import yaml\n")], frozenset({"pyyaml"}), {}
    )


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_the_lock_pins_every_declared_dependency_within_its_range() -> None:
    lock = pinned()
    stale = [
        str(requirement)
        for requirement in requirements()
        if requirement.name.lower().replace("_", "-") not in lock
        or not requirement.specifier.contains(
            lock[requirement.name.lower().replace("_", "-")], prereleases=True
        )
    ]
    assert stale == [], f"requirements.lock is stale: run scripts/lock ({stale})"
