"""How ``export-leads --include-contacts`` reads the password of ``--by``."""

from __future__ import annotations

import io

import pytest

from commands import export_leads


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_pipe_gives_one_plain_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("pass word 1\r\nnext line\n"))
    assert export_leads.read_password("manager") == "pass word 1"


def test_a_terminal_is_asked_without_echo(monkeypatch: pytest.MonkeyPatch) -> None:
    prompts: list[str] = []

    def no_echo(prompt: str) -> str:
        prompts.append(prompt)
        return "typed-unseen"

    monkeypatch.setattr("sys.stdin", Terminal("never read\n"))
    monkeypatch.setattr(export_leads.getpass, "getpass", no_echo)
    assert export_leads.read_password("manager") == "typed-unseen"
    assert prompts == ["Password of manager: "]
