"""The command line of the Emotional Balance backend: parse the arguments, run one command.

Each command lives in ``commands/``; the objects they use are built in ``composition/``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date

from commands.check import cmd_check
from commands.database import cmd_migrate, cmd_seed_demo
from commands.export_leads import cmd_export_leads
from commands.keys import cmd_generate_keys, cmd_rotate_keys
from commands.serve import cmd_serve
from commands.staff import cmd_create_staff
from commands.worker import DEFAULT_SHUTDOWN_GRACE_SECONDS, cmd_worker
from domain.models import StaffRole
from domain.staff import AccessReason

Command = Callable[[argparse.Namespace], int]
LEAD_STATUSES = ("new", "in_progress", "converted", "lost")


def _default_port() -> int:
    raw = os.environ.get("PORT", "")
    return int(raw) if raw.isdigit() else 8000


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a date as YYYY-MM-DD") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python main.py", description="Emotional Balance backend: service and tools."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Command, help_text: str) -> argparse.ArgumentParser:
        parsed = sub.add_parser(name, help=help_text)
        parsed.set_defaults(handler=handler)
        return parsed

    serve = command(
        "serve", cmd_serve, "run the HTTP service (development applies migrations first)"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=_default_port())

    command("migrate", cmd_migrate, "apply pending database migrations")
    command("seed-demo", cmd_seed_demo, "add demo services and slots (idempotent)")

    staff = command("create-staff", cmd_create_staff, "create a staff user with a role")
    staff.add_argument("username")
    staff.add_argument("--role", required=True, choices=[r.value for r in StaffRole])
    staff.add_argument("--email", default=None)
    staff.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )

    command("generate-keys", cmd_generate_keys, "print new encryption keys")
    rotate = command(
        "rotate-keys", cmd_rotate_keys, "re-encrypt every contact under the newest key (resumable)"
    )
    rotate.add_argument("--batch-size", type=int, default=500)

    export = command(
        "export-leads",
        cmd_export_leads,
        "stream leads to a CSV file (UTF-8 with BOM, formula-safe)",
    )
    export.add_argument("--output", required=True, metavar="FILE")
    export.add_argument(
        "--include-contacts",
        action="store_true",
        help="decrypt contacts into the file (needs --by; writes a contact_access_log row)",
    )
    export.add_argument("--by", metavar="USERNAME", help="the manager or admin responsible")
    export.add_argument("--date-from", type=_iso_date, default=None, metavar="YYYY-MM-DD")
    export.add_argument("--date-to", type=_iso_date, default=None, metavar="YYYY-MM-DD")
    export.add_argument("--status", choices=LEAD_STATUSES)
    export.add_argument(
        "--reason", default=AccessReason.REPORTING.value, choices=[r.value for r in AccessReason]
    )
    export.add_argument("--page-size", type=int, default=2000)

    command("check", cmd_check, "show the configuration (secrets masked)")
    worker = command(
        "worker",
        cmd_worker,
        "deliver outboxes, reconcile payments, expire holds (--once: one pass)",
    )
    worker.add_argument("--once", action="store_true", help="do one pass and exit")
    worker.add_argument("--interval", type=float, default=5.0, help="seconds between idle passes")
    worker.add_argument(
        "--grace",
        type=float,
        default=DEFAULT_SHUTDOWN_GRACE_SECONDS,
        help="on SIGTERM, seconds the current job may still run before it is cancelled",
    )
    worker.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve this worker's /metrics on this port (to METRICS_ALLOWED_IPS only)",
    )
    worker.add_argument(
        "--metrics-host", default="127.0.0.1", help="address of --metrics-port (default 127.0.0.1)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Command = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
