"""contact_access_log is append-only: PostgreSQL refuses UPDATE and DELETE on it.

On SQLite (development and tests) the rule is kept by the code alone: nothing but an insert
touches the table, and the admin shows it read-only.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

ID = "2026-11-22T07:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "contact_access_log append-only on PostgreSQL"

STATEMENTS = (
    """
    CREATE OR REPLACE FUNCTION contact_access_log_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'contact_access_log is append-only'
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS contact_access_log_append_only ON contact_access_log",
    """
    CREATE TRIGGER contact_access_log_append_only
        BEFORE UPDATE OR DELETE ON contact_access_log
        FOR EACH ROW EXECUTE FUNCTION contact_access_log_append_only()
    """,
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="staff", description=DESCRIPTION)

    async def run():
        from piccolo.apps.user.tables import BaseUser

        engine = BaseUser._meta.db
        if isinstance(engine, PostgresEngine):
            for statement in STATEMENTS:
                await engine.run_querystring(QueryString(statement))

    manager.add_raw(run)
    return manager
