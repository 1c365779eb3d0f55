"""CRM tables: waitlist requests, leads, the lead timeline, the email outbox, withdrawal tokens
the last waitlist confirmation per contact and service, freed slots and waitlist offers."""

import os

from piccolo.conf.apps import AppConfig

from tables.crm.tables import (
    EmailOutboxTable,
    FreedSlotTable,
    LeadTable,
    LeadTimelineEventTable,
    WaitlistConfirmationTable,
    WaitlistOfferTable,
    WaitlistOfferTokenTable,
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
        FreedSlotTable,
        WaitlistOfferTable,
        WaitlistOfferTokenTable,
    ],
    migration_dependencies=["tables.core.piccolo_app", "piccolo.apps.user.piccolo_app"],
    commands=[],
)
