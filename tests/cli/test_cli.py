"""The command line without a database: help, keys, configuration check, production refusal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.fernet_encryptor import parse_blind_index_key, parse_fernet_keys
from tests.cli.cli import clean_environ, run_main
from tests.unit.test_settings import PRODUCTION, REFUSALS, SECRET_TEXTS, production

COMMANDS = (
    "serve",
    "migrate",
    "seed-demo",
    "create-staff",
    "generate-keys",
    "rotate-keys",
    "check",
    "worker",
)


def test_help_lists_every_command() -> None:
    result = run_main("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert re.search(rf"^\s+{re.escape(command)}\b", result.stdout, re.MULTILINE), command


def test_create_staff_help_shows_its_options() -> None:
    result = run_main("create-staff", "--help")
    assert result.returncode == 0
    for option in ("USERNAME", "--role", "{operator,manager,admin}", "--email", "--password-stdin"):
        assert option.lower() in result.stdout.lower()


def test_serve_help_shows_host_and_port() -> None:
    result = run_main("serve", "--help")
    assert "--host" in result.stdout and "--port" in result.stdout


def test_generate_keys_prints_valid_new_keys_even_on_a_narrow_terminal() -> None:
    outputs = [run_main("generate-keys", env=clean_environ(COLUMNS="40")) for _ in range(2)]
    found = []
    for result in outputs:
        assert result.returncode == 0
        keys = dict(
            re.findall(
                r"^(CONTACT_ENCRYPTION_KEYS|BLIND_INDEX_KEY)=(\S+)$", result.stdout, re.MULTILINE
            )
        )
        assert set(keys) == {"CONTACT_ENCRYPTION_KEYS", "BLIND_INDEX_KEY"}, result.stdout
        assert len(parse_fernet_keys(keys["CONTACT_ENCRYPTION_KEYS"])) == 1
        assert len(parse_blind_index_key(keys["BLIND_INDEX_KEY"])) == 32
        found.append(keys)
    assert found[0] != found[1]


def test_check_shows_the_configuration_with_every_secret_masked(tmp_path: Path) -> None:
    database = tmp_path / "check.sqlite"
    env = clean_environ(
        **{k: v for k, v in PRODUCTION.items() if k != "APP_ENV" and k != "DATABASE_URL"},
        DATABASE_URL=f"sqlite:///{database}",
        VAR_DIR=str(tmp_path / "var"),
        COLUMNS="220",
    )
    result = run_main("check", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    for secret in SECRET_TEXTS:
        assert secret not in output
    assert "smtps://mailer:***@smtp.example.ru:465" in output  # masked, not dropped
    assert "*** (2 key(s))" in output
    assert "123456" in output  # the shop id is not a secret
    assert "development" in output
    assert re.search(r"database reachable\s*│\s*yes", output)


def test_check_masks_the_database_password_and_says_when_it_is_unreachable(tmp_path: Path) -> None:
    env = clean_environ(
        DATABASE_URL="postgresql://eb:Db-Pa55-Secret@127.0.0.1:1/eb",
        VAR_DIR=str(tmp_path / "var"),
        COLUMNS="220",
    )
    result = run_main("check", env=env)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "Db-Pa55-Secret" not in output
    assert "postgresql://eb:***@127.0.0.1:1/eb" in output
    assert "Traceback" not in output


def assert_one_clear_line(result, name: str) -> None:  # type: ignore[no-untyped-def]
    assert result.returncode == 2, result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Configuration error: {name}"), lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    for secret in SECRET_TEXTS:
        assert secret not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("changes", "name"), REFUSALS, ids=[f"{n}-{i}" for i, (_, n) in enumerate(REFUSALS)]
)
def test_check_in_production_refuses_bad_configuration_in_one_line(
    tmp_path: Path, changes: dict[str, str | None], name: str
) -> None:
    env = clean_environ(**production(**changes), VAR_DIR=str(tmp_path), COLUMNS="40")
    assert_one_clear_line(run_main("check", env=env), name)


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({"CONTACT_ENCRYPTION_KEYS": None}, "CONTACT_ENCRYPTION_KEYS"),
        ({"BLIND_INDEX_KEY": "00"}, "BLIND_INDEX_KEY"),
        ({"YOOKASSA_SECRET_KEY": None}, "YOOKASSA_SECRET_KEY"),
        ({"DATABASE_URL": "sqlite:///prod.sqlite"}, "DATABASE_URL"),
        ({"PUBLIC_SITE_URL": "http://emotional-balance.ru"}, "PUBLIC_SITE_URL"),
        ({"SMTP_URL": None}, "SMTP_URL"),
        ({"PRACTICE_TIMEZONE": "Europe/Moskva"}, "PRACTICE_TIMEZONE"),
    ],
)
def test_serve_in_production_refuses_to_start_in_one_line(
    tmp_path: Path, changes: dict[str, str | None], name: str
) -> None:
    env = clean_environ(**production(**changes), VAR_DIR=str(tmp_path))
    result = run_main("serve", "--port", "1", env=env, timeout=60)
    assert_one_clear_line(result, name)
    assert not (tmp_path / "dev-keys.json").exists()


def test_worker_and_rotate_keys_refuse_bad_production_configuration_too(tmp_path: Path) -> None:
    env = clean_environ(**production(BLIND_INDEX_KEY=None), VAR_DIR=str(tmp_path))
    for command in (("worker", "--once"), ("rotate-keys",), ("migrate",)):
        assert_one_clear_line(run_main(*command, env=env), "BLIND_INDEX_KEY")


def test_a_secret_file_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    env = clean_environ(
        **production(YOOKASSA_SECRET_KEY=None),
        YOOKASSA_SECRET_KEY_FILE=str(tmp_path / "missing"),
    )
    assert_one_clear_line(run_main("check", env=env), "YOOKASSA_SECRET_KEY_FILE")
