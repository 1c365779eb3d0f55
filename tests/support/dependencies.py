"""What the project imports against what pyproject.toml declares (and requirements.lock pins).

A package that arrives only because something else depends on it can vanish at the next
upgrade of that something: every third-party package a module imports must be declared, the
runtime code's in ``dependencies``, the tests' and benchmarks' at least in the ``dev`` extra.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_CODE = (
    "api",
    "admin",
    "domain",
    "tables",
    "adapters",
    "composition",
    "commands",
    "main.py",
    "piccolo_conf.py",
)
DEV_CODE = ("tests", "bench", "scripts")
FIRST_PARTY = frozenset(
    {"api", "admin", "domain", "tables", "adapters", "composition", "commands", "main"}
    | {"piccolo_conf", "tests", "bench"}
)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Declared:
    runtime: frozenset[str]
    dev: frozenset[str]


def declared(pyproject: Path = ROOT / "pyproject.toml") -> Declared:
    project = tomllib.loads(pyproject.read_text())["project"]
    runtime = [Requirement(r) for r in project["dependencies"]]
    dev = [Requirement(r) for r in project["optional-dependencies"]["dev"]]
    return Declared(
        runtime=frozenset(canonical(r.name) for r in runtime),
        dev=frozenset(canonical(r.name) for r in dev),
    )


def requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[Requirement]:
    project = tomllib.loads(pyproject.read_text())["project"]
    return [
        Requirement(r) for r in (*project["dependencies"], *project["optional-dependencies"]["dev"])
    ]


def python_files(roots: Iterable[str], base: Path = ROOT) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        path = base / root
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(
                p for p in sorted(path.rglob("*.py")) if "piccolo_migrations" not in p.parts
            )
    return files


def imported_packages(path: Path) -> set[str]:
    """Top-level names of absolute imports (relative ones are the file's own package)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return {
        name
        for name in names
        if name not in sys.stdlib_module_names and name not in FIRST_PARTY and name != "__future__"
    }


def undeclared_imports(
    files: Iterable[Path], allowed: frozenset[str], distributions: Mapping[str, list[str]]
) -> dict[str, set[str]]:
    """``{import name: files}`` for each import no allowed distribution provides."""
    missing: dict[str, set[str]] = {}
    for path in files:
        for name in imported_packages(path):
            providers = {canonical(d) for d in distributions.get(name, ())}
            if not providers & allowed:
                missing.setdefault(name, set()).add(
                    str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
                )
    return missing


def pinned(lock: Path = ROOT / "requirements.lock") -> dict[str, str]:
    """``{distribution: version}`` from the ``name==version`` lines of the lock."""
    found: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", line)
        if match:
            found[canonical(match.group(1))] = match.group(2)
    return found
