"""Staff access rules in PostgreSQL itself.

- ``staff_access_changes`` and ``contact_access_log`` are append-only: UPDATE, DELETE and
  TRUNCATE are refused.
- No change leaves the practice without an active admin: demoting or deleting the role of,
  or deactivating, the last active admin is refused (whatever code or person tries it).

On SQLite (development and tests) the rules are kept by the code alone: nothing but an insert
touches the audit tables, and the change-access use case refuses to remove the last admin.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

ID = "2026-12-02T12:52:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only staff audits, and never without an active admin, on PostgreSQL"

APPEND_ONLY = ("staff_access_changes", "contact_access_log")

STATEMENTS = (
    """
    CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    *(
        statement
        for table in APPEND_ONLY
        for statement in (
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"""
            CREATE TRIGGER {table}_append_only
                BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION audit_append_only()
            """,
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"""
            CREATE TRIGGER {table}_no_truncate
                BEFORE TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()
            """,
        )
    ),
    """
    CREATE OR REPLACE FUNCTION staff_keep_an_active_admin() RETURNS trigger AS $$
    DECLARE
        user_id integer;
        loses_admin boolean;
    BEGIN
        IF TG_TABLE_NAME = 'staff_roles' THEN
            user_id := OLD."user";
            loses_admin := OLD.role = 'admin'
                AND (TG_OP = 'DELETE' OR NEW.role IS DISTINCT FROM 'admin')
                AND EXISTS (SELECT 1 FROM piccolo_user WHERE id = user_id AND active);
        ELSE
            user_id := OLD.id;
            loses_admin := OLD.active
                AND (TG_OP = 'DELETE' OR NOT NEW.active)
                AND EXISTS (SELECT 1 FROM staff_roles WHERE "user" = user_id AND role = 'admin');
        END IF;
        IF loses_admin AND NOT EXISTS (
            SELECT 1 FROM staff_roles r JOIN piccolo_user u ON u.id = r."user"
            WHERE r.role = 'admin' AND u.active AND u.id <> user_id
        ) THEN
            RAISE EXCEPTION 'the last active admin can be neither demoted nor deactivated'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS staff_roles_keep_an_admin ON staff_roles",
    """
    CREATE TRIGGER staff_roles_keep_an_admin
        BEFORE UPDATE OR DELETE ON staff_roles
        FOR EACH ROW EXECUTE FUNCTION staff_keep_an_active_admin()
    """,
    "DROP TRIGGER IF EXISTS piccolo_user_keep_an_admin ON piccolo_user",
    """
    CREATE TRIGGER piccolo_user_keep_an_admin
        BEFORE UPDATE OF active OR DELETE ON piccolo_user
        FOR EACH ROW EXECUTE FUNCTION staff_keep_an_active_admin()
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
