"""Migrations as a release step: ``migrate`` one at a time, ``serve``/``worker`` never in production.

Every process is a real ``python main.py`` on a brand-new database of the kind this run tests.
Production needs PostgreSQL, so its tests run in the PostgreSQL pass only.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from composition.database import MIGRATION_LOCK_KEY
from tests.cli.cli import ROOT, clean_environ, run_main
from tests.cli.test_serve import serve
from tests.support.fresh_database import applied_migrations, query, table_names
from tests.unit.test_settings import production

pytestmark = [pytest.mark.db]

PENDING_LINE = "Database migrations are pending"
MIGRATE = "python main.py migrate"


def development(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url}


def production_env(url: str, var_dir: Path) -> dict[str, str]:
    # production() is the complete production environment of tests/unit/test_settings.py.
    return clean_environ(**production(DATABASE_URL=url), VAR_DIR=str(var_dir))


def start_migrate(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "main.py", "migrate"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_every_migration_recorded_once(url: str) -> None:
    rows = applied_migrations(url)
    assert rows, "nothing was migrated"
    assert [row for row, n in Counter(rows).items() if n > 1] == []
    reference = run_main("migrate", env=development(url))
    assert reference.returncode == 0, reference.stderr
    assert applied_migrations(url) == rows, "a second migrate still found work to do"


def test_several_migrate_at_once_on_an_empty_database_all_succeed_and_apply_once(
    empty_database_url: str,
) -> None:
    processes = [start_migrate(development(empty_database_url)) for _ in range(4)]
    outputs = [process.communicate(timeout=240) for process in processes]

    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stdout + stderr
        assert "Migrations applied" in stdout
        assert "Traceback" not in stderr
    assert_every_migration_recorded_once(empty_database_url)


@contextmanager
def migration_lock_held_by_someone_else(url: str) -> Iterator[None]:
    """The lock ``migrate`` takes, held by this test process."""
    if url.startswith("sqlite"):
        database = Path(url.removeprefix("sqlite:///"))
        with database.with_name(database.name + ".migrate.lock").open("ab") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield
        return
    import asyncio

    import asyncpg  # type: ignore[import-untyped]

    loop = asyncio.new_event_loop()
    conn = loop.run_until_complete(asyncpg.connect(url))
    try:
        loop.run_until_complete(conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY))
        yield
    finally:
        loop.run_until_complete(conn.close())  # the session ends, and its lock with it
        loop.close()


def test_migrate_waits_while_another_run_holds_the_lock(empty_database_url: str) -> None:
    with migration_lock_held_by_someone_else(empty_database_url):
        process = start_migrate(development(empty_database_url))
        time.sleep(4)  # time enough to start Python and reach the lock
        assert process.poll() is None, process.communicate()
        assert applied_migrations(empty_database_url) is None
    stdout, stderr = process.communicate(timeout=240)

    assert process.returncode == 0, stdout + stderr
    assert_every_migration_recorded_once(empty_database_url)


def test_development_worker_still_migrates_an_empty_database_at_start(
    empty_database_url: str,
) -> None:
    result = run_main("worker", "--once", env=development(empty_database_url))

    assert result.returncode == 0, result.stdout + result.stderr
    assert {"waitlist_requests", "payments", "migration"} <= table_names(empty_database_url)


@pytest.mark.postgres
@pytest.mark.parametrize("command", [("serve", "--port", "1"), ("worker", "--once")])
def test_production_refuses_to_start_with_every_migration_pending_and_creates_nothing(
    empty_database_url: str, tmp_path: Path, command: tuple[str, ...]
) -> None:
    result = run_main(*command, env=production_env(empty_database_url, tmp_path), timeout=60)

    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(PENDING_LINE) and MIGRATE in lines[0], lines[0]
    assert table_names(empty_database_url) == set()


@pytest.mark.postgres
@pytest.mark.parametrize("command", [("serve", "--port", "1"), ("worker", "--once")])
def test_production_refuses_to_start_with_one_migration_pending_and_does_not_apply_it(
    empty_database_url: str, tmp_path: Path, command: tuple[str, ...]
) -> None:
    assert run_main("migrate", env=development(empty_database_url)).returncode == 0
    last = query(
        empty_database_url,
        "DELETE FROM migration WHERE id = (SELECT max(id) FROM migration) RETURNING name",
    )
    before = applied_migrations(empty_database_url)

    result = run_main(*command, env=production_env(empty_database_url, tmp_path), timeout=60)

    assert result.returncode != 0
    assert result.stderr.strip() == (
        f"Database migrations are pending (1): run `{MIGRATE}` first."
    ), result.stderr
    assert applied_migrations(empty_database_url) == before
    assert last[0][0] not in {name for _, name in before or []}


@pytest.mark.postgres
def test_production_starts_once_migrate_has_run(empty_database_url: str, tmp_path: Path) -> None:
    migrated = run_main("migrate", env=production_env(empty_database_url, tmp_path))
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    env = production_env(empty_database_url, tmp_path)
    before = applied_migrations(empty_database_url)

    worker = run_main("worker", "--once", env=env, timeout=60)
    assert worker.returncode == 0, worker.stdout + worker.stderr
    with serve(env, tmp_path / "serve.log") as url:
        assert url.startswith("http://127.0.0.1:")
    assert applied_migrations(empty_database_url) == before
