"""CRM tables: waitlist requests, leads, the lead timeline, the email outbox, withdrawal tokens
and the last waitlist confirmation per contact and service."""

import os

from piccolo.conf.apps import AppConfig

from tables.crm.tables import (
    EmailOutboxTable,
    LeadTable,
    LeadTimelineEventTable,
    WaitlistConfirmationTable,
    WaitlistRequestTable,
    WithdrawalTokenTable,
)

APP_CONFIG = AppConfig(
    app_name="crm",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        LeadTable,
        WaitlistRequestTable,
        LeadTimelineEventTable,
        EmailOutboxTable,
        WaitlistConfirmationTable,
        WithdrawalTokenTable,
    ],
    migration_dependencies=["tables.core.piccolo_app", "piccolo.apps.user.piccolo_app"],
    commands=[],
)
