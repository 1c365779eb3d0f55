"""The command line's consoles and the one way a command gets its settings."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from adapters.settings import ConfigurationError, Settings, load_settings

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


def settings_or_exit(*, port: int | None = None) -> Settings:
    try:
        return load_settings(port=port)
    except ConfigurationError as exc:
        # One line whatever the terminal width, and no markup read from the message.
        err_console.print(f"[bold red]Configuration error:[/] {escape(str(exc))}", soft_wrap=True)
        raise SystemExit(2) from None


def fail(message: str) -> int:
    """Print one line on stderr (never wrapped: scripts read it) and return exit code 1."""
    err_console.print(message, soft_wrap=True)
    return 1
