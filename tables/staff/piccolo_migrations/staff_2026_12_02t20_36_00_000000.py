"""``schedule_changes`` is append-only on PostgreSQL: UPDATE, DELETE and TRUNCATE are refused.

Reuses ``audit_append_only()`` from migration ``2026-12-02T12:52`` (the staff audits). On
SQLite only inserts ever touch the table. A migration of its own: Piccolo runs a migration's
raw steps before its table steps, so the table must exist already.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

ID = "2026-12-02T20:36:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "schedule_changes is append-only on PostgreSQL"

FORWARDS = (
    "DROP TRIGGER IF EXISTS schedule_changes_append_only ON schedule_changes",
    """
    CREATE TRIGGER schedule_changes_append_only
        BEFORE UPDATE OR DELETE ON schedule_changes
        FOR EACH ROW EXECUTE FUNCTION audit_append_only()
    """,
    "DROP TRIGGER IF EXISTS schedule_changes_no_truncate ON schedule_changes",
    """
    CREATE TRIGGER schedule_changes_no_truncate
        BEFORE TRUNCATE ON schedule_changes
        FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()
    """,
)
BACKWARDS = (
    "DROP TRIGGER IF EXISTS schedule_changes_append_only ON schedule_changes",
    "DROP TRIGGER IF EXISTS schedule_changes_no_truncate ON schedule_changes",
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="staff", description=DESCRIPTION)

    def run_on_postgres(statements):
        async def run():
            engine = engine_finder()
            if isinstance(engine, PostgresEngine):
                for statement in statements:
                    await engine.run_querystring(QueryString(statement))

        return run

    manager.add_raw(run_on_postgres(FORWARDS))
    manager.add_raw_backwards(run_on_postgres(BACKWARDS))
    return manager
