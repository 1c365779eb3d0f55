"""Piccolo configuration: the engine from ``DATABASE_URL`` and every app with its migrations."""

from piccolo.conf.apps import AppRegistry

from adapters.settings import resolve_database_url
from tables.database import engine_from_url

DB = engine_from_url(resolve_database_url())

APP_REGISTRY = AppRegistry(
    apps=[
        "piccolo.apps.user.piccolo_app",
        "piccolo_api.session_auth.piccolo_app",
        "tables.core.piccolo_app",
        "tables.staff.piccolo_app",
        "tables.crm.piccolo_app",
        "tables.payments.piccolo_app",
    ]
)
