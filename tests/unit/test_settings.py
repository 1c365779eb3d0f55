"""Settings from the environment: ``_FILE`` secrets, masking, development defaults, refusals."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from adapters.settings import ConfigurationError, Secret, load_settings, mask_url

FERNET_NEW = Fernet.generate_key().decode()
FERNET_OLD = Fernet.generate_key().decode()
INDEX_KEY = "ab" * 32
DB_PASSWORD = "db-pass-Zq81"
SMTP_PASSWORD = "smtp-pass-Kx42"
YOOKASSA_SECRET = "live_S3cr3tS3cr3tS3cr3tS3cr3t"

PRODUCTION = {
    "APP_ENV": "production",
    "DATABASE_URL": f"postgresql://eb:{DB_PASSWORD}@db.internal:5432/eb",
    "CONTACT_ENCRYPTION_KEYS": f"{FERNET_NEW},{FERNET_OLD}",
    "BLIND_INDEX_KEY": INDEX_KEY,
    "YOOKASSA_SHOP_ID": "123456",
    "YOOKASSA_SECRET_KEY": YOOKASSA_SECRET,
    "PUBLIC_SITE_URL": "https://emotional-balance.ru",
    "TELEGRAM_BOT_USERNAME": "eb_concierge_bot",
    "SMTP_URL": f"smtps://mailer:{SMTP_PASSWORD}@smtp.example.ru:465",
    "EMAIL_FROM": "noreply@emotional-balance.ru",
    "TRUSTED_PROXIES": "10.0.0.0/8, fd00::/8",
}
SECRET_TEXTS = (
    FERNET_NEW,
    FERNET_OLD,
    INDEX_KEY,
    DB_PASSWORD,
    SMTP_PASSWORD,
    YOOKASSA_SECRET,
)


def production(**changes: str | None) -> dict[str, str]:
    env = dict(PRODUCTION)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def test_a_complete_production_environment_loads(tmp_path: Path) -> None:
    settings = load_settings(PRODUCTION, var_dir=tmp_path)
    assert settings.is_production
    assert settings.database_is_postgres
    assert settings.contact_encryption_keys.get_secret_value() == (
        FERNET_NEW.encode(),
        FERNET_OLD.encode(),
    )
    assert settings.blind_index_key.get_secret_value() == bytes.fromhex(INDEX_KEY)
    assert settings.yookassa_api_url == "https://api.yookassa.ru/v3"
    assert not settings.uses_yookassa_sandbox
    assert settings.cors_allowed_origins == ("https://emotional-balance.ru",)
    assert not (tmp_path / "dev-keys.json").exists()


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings(PRODUCTION, var_dir=tmp_path)
    with pytest.raises(AttributeError):
        settings.app_env = "development"  # type: ignore[misc]


def test_secrets_never_show_in_repr_str_or_the_summary(tmp_path: Path) -> None:
    settings = load_settings(PRODUCTION, var_dir=tmp_path)
    shown = "\n".join([repr(settings), str(settings), json.dumps(settings.summary())])
    for secret in SECRET_TEXTS:
        assert secret not in shown
    summary = settings.summary()
    assert summary["database_url"] == "postgresql://eb:***@db.internal:5432/eb"
    assert summary["smtp_url"] == "smtps://mailer:***@smtp.example.ru:465"
    assert summary["contact_encryption_keys"] == "*** (2 key(s))"
    assert summary["yookassa_secret_key"] == "*** (set)"
    assert repr(Secret("x")) == str(Secret("x")) == "Secret('***')"
    assert f"{Secret('x')}" == "Secret('***')"


def test_mask_url_keeps_urls_without_a_password() -> None:
    assert mask_url("sqlite:///var/db.sqlite") == "sqlite:///var/db.sqlite"
    assert mask_url("postgresql://u:p@h/db") == "postgresql://u:***@h/db"


@pytest.mark.parametrize(
    "name",
    [
        "DATABASE_URL",
        "CONTACT_ENCRYPTION_KEYS",
        "BLIND_INDEX_KEY",
        "YOOKASSA_SHOP_ID",
        "YOOKASSA_SECRET_KEY",
        "SMTP_URL",
    ],
)
def test_every_secret_can_come_from_a_file(tmp_path: Path, name: str) -> None:
    value = PRODUCTION[name]
    secret_file = tmp_path / f"{name.lower()}.txt"
    secret_file.write_text(value + "\n", encoding="utf-8")
    env = production(**{name: None, f"{name}_FILE": str(secret_file)})

    from_file = load_settings(env, var_dir=tmp_path)

    assert from_file == load_settings(PRODUCTION, var_dir=tmp_path)


def test_a_secret_set_both_directly_and_as_a_file_is_refused(tmp_path: Path) -> None:
    secret_file = tmp_path / "key.txt"
    secret_file.write_text(YOOKASSA_SECRET, encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_settings(production(YOOKASSA_SECRET_KEY_FILE=str(secret_file)), var_dir=tmp_path)
    assert str(caught.value) == (
        "YOOKASSA_SECRET_KEY and YOOKASSA_SECRET_KEY_FILE are both set: set only one"
    )


def test_a_missing_or_empty_secret_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"^BLIND_INDEX_KEY_FILE: cannot read the file"):
        load_settings(
            production(BLIND_INDEX_KEY=None, BLIND_INDEX_KEY_FILE=str(tmp_path / "nope")),
            var_dir=tmp_path,
        )
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"^BLIND_INDEX_KEY_FILE: the file is empty$"):
        load_settings(
            production(BLIND_INDEX_KEY=None, BLIND_INDEX_KEY_FILE=str(empty)), var_dir=tmp_path
        )


# Production refuses to start: (changes, the variable the one-line message must name).
REFUSALS = [
    ({"DATABASE_URL": None}, "DATABASE_URL"),
    ({"DATABASE_URL": "sqlite:///var/prod.sqlite"}, "DATABASE_URL"),
    ({"DATABASE_URL": "mysql://u:p@h/db"}, "DATABASE_URL"),
    ({"CONTACT_ENCRYPTION_KEYS": None}, "CONTACT_ENCRYPTION_KEYS"),
    ({"CONTACT_ENCRYPTION_KEYS": "not-a-fernet-key"}, "CONTACT_ENCRYPTION_KEYS"),
    ({"CONTACT_ENCRYPTION_KEYS": f"{FERNET_NEW},short"}, "CONTACT_ENCRYPTION_KEYS"),
    ({"CONTACT_ENCRYPTION_KEYS": " , "}, "CONTACT_ENCRYPTION_KEYS"),
    ({"BLIND_INDEX_KEY": None}, "BLIND_INDEX_KEY"),
    ({"BLIND_INDEX_KEY": "zz" * 32}, "BLIND_INDEX_KEY"),
    ({"BLIND_INDEX_KEY": "ab" * 31}, "BLIND_INDEX_KEY"),
    ({"YOOKASSA_SHOP_ID": None}, "YOOKASSA_SHOP_ID"),
    ({"YOOKASSA_SHOP_ID": "shop"}, "YOOKASSA_SHOP_ID"),
    ({"YOOKASSA_SECRET_KEY": None}, "YOOKASSA_SECRET_KEY"),
    ({"YOOKASSA_SECRET_KEY": "hunter2"}, "YOOKASSA_SECRET_KEY"),
    ({"YOOKASSA_API_URL": "http://api.yookassa.ru/v3"}, "YOOKASSA_API_URL"),
    ({"YOOKASSA_API_URL": "https://eb.example/sandbox/v3"}, "YOOKASSA_API_URL"),
    ({"YOOKASSA_WEBHOOK_ALLOWED_IPS": "185.71.76.0/27,not-an-ip"}, "YOOKASSA_WEBHOOK_ALLOWED_IPS"),
    ({"TRUSTED_PROXIES": "10.0.0.0/33"}, "TRUSTED_PROXIES"),
    ({"TRUSTED_PROXIES": None}, "TRUSTED_PROXIES"),
    ({"TRUSTED_PROXIES": " "}, "TRUSTED_PROXIES"),
    ({"TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"}, "TRUSTED_PROXIES"),
    ({"TRUSTED_PROXIES": "none,10.0.0.1"}, "TRUSTED_PROXIES"),
    ({"PUBLIC_SITE_URL": None}, "PUBLIC_SITE_URL"),
    ({"PUBLIC_SITE_URL": "http://emotional-balance.ru"}, "PUBLIC_SITE_URL"),
    ({"TELEGRAM_BOT_USERNAME": None}, "TELEGRAM_BOT_USERNAME"),
    ({"TELEGRAM_BOT_USERNAME": "not a bot"}, "TELEGRAM_BOT_USERNAME"),
    ({"SMTP_URL": None}, "SMTP_URL"),
    ({"SMTP_URL": "http://smtp.example.ru"}, "SMTP_URL"),
    ({"SMTP_URL": f"smtp://mailer:{SMTP_PASSWORD}@smtp.example.ru:587?starttls=false"}, "SMTP_URL"),
    ({"SMTP_URL": f"smtp://mailer:{SMTP_PASSWORD}@smtp.example.ru:587?tls=none"}, "SMTP_URL"),
    ({"SMTP_URL": f"smtp://mailer:{SMTP_PASSWORD}@smtp.example.ru:465"}, "SMTP_URL"),
    ({"EMAIL_FROM": None}, "EMAIL_FROM"),
    ({"EMAIL_FROM": "nobody"}, "EMAIL_FROM"),
    ({"CORS_ALLOWED_ORIGINS": "ftp://site.ru"}, "CORS_ALLOWED_ORIGINS"),
    ({"RATE_LIMIT_PER_MINUTE": "many"}, "RATE_LIMIT_PER_MINUTE"),
    ({"REDIS_URL": "http://redis"}, "REDIS_URL"),
    ({"TRACKING_SINK_URL": "http://sink.example"}, "TRACKING_SINK_URL"),
    ({"APP_ENV": "staging"}, "APP_ENV"),
    ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL"),
    ({"HOLD_MINUTES": "1"}, "HOLD_MINUTES"),
    ({"YOOKASSA_SECRET_KEY": "test_S3cr3tS3cr3tS3cr3tS3cr3t"}, "YOOKASSA_SECRET_KEY"),
    ({"YOOKASSA_ALLOW_TEST_KEYS": "maybe"}, "YOOKASSA_ALLOW_TEST_KEYS"),
    ({"PRACTICE_TIMEZONE": "Moscow"}, "PRACTICE_TIMEZONE"),
]


@pytest.mark.parametrize(
    ("changes", "name"), REFUSALS, ids=[f"{n}-{i}" for i, (_, n) in enumerate(REFUSALS)]
)
def test_production_refuses_a_missing_or_malformed_setting_naming_it_in_one_line(
    tmp_path: Path, changes: dict[str, str | None], name: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(production(**changes), var_dir=tmp_path)
    message = str(caught.value)
    assert message.startswith(name)
    assert "\n" not in message
    for secret in SECRET_TEXTS:
        assert secret not in message
    for value in changes.values():
        if value and name in {"CONTACT_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "YOOKASSA_SECRET_KEY"}:
            assert value not in message


def test_development_defaults_use_sqlite_under_var_the_sandbox_and_persisted_keys(
    tmp_path: Path,
) -> None:
    var = tmp_path / "var"
    first = load_settings({}, var_dir=var)

    assert first.app_env == "development"
    assert (
        first.database_url.get_secret_value()
        == f"sqlite:///{var.as_posix()}/emotional_balance.sqlite"
    )
    assert first.uses_yookassa_sandbox
    assert first.smtp_url is None  # the console email sink
    keys_file = var / "dev-keys.json"
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    stored = json.loads(keys_file.read_text(encoding="utf-8"))
    assert first.contact_encryption_keys.get_secret_value() == (
        stored["CONTACT_ENCRYPTION_KEYS"].encode(),
    )
    assert first.blind_index_key.get_secret_value() == bytes.fromhex(stored["BLIND_INDEX_KEY"])
    assert [p.name for p in var.iterdir()] == ["dev-keys.json"]  # no temporary file left

    second = load_settings({}, var_dir=var)
    assert second.contact_encryption_keys == first.contact_encryption_keys
    assert second.blind_index_key == first.blind_index_key


def test_development_keys_given_in_the_environment_win_over_generated_ones(tmp_path: Path) -> None:
    settings = load_settings(
        {"CONTACT_ENCRYPTION_KEYS": FERNET_NEW, "BLIND_INDEX_KEY": INDEX_KEY}, var_dir=tmp_path
    )
    assert settings.contact_encryption_keys.get_secret_value() == (FERNET_NEW.encode(),)
    assert not (tmp_path / "dev-keys.json").exists()


def test_a_damaged_development_key_file_is_named_not_silently_replaced(tmp_path: Path) -> None:
    (tmp_path / "dev-keys.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"dev-keys\.json is not a development key file"):
        load_settings({}, var_dir=tmp_path)
    assert (tmp_path / "dev-keys.json").read_text(encoding="utf-8") == "{not json"


def test_development_accepts_an_explicit_postgres_url(tmp_path: Path) -> None:
    settings = load_settings({"DATABASE_URL": "postgresql://u@127.0.0.1/x"}, var_dir=tmp_path)
    assert settings.database_is_postgres


def test_production_refuses_the_keys_a_development_start_generated(tmp_path: Path) -> None:
    load_settings({}, var_dir=tmp_path)
    dev = json.loads((tmp_path / "dev-keys.json").read_text(encoding="utf-8"))

    with pytest.raises(
        ConfigurationError, match=r"^CONTACT_ENCRYPTION_KEYS holds a development key"
    ):
        load_settings(
            production(CONTACT_ENCRYPTION_KEYS=f"{FERNET_NEW},{dev['CONTACT_ENCRYPTION_KEYS']}"),
            var_dir=tmp_path,
        )
    with pytest.raises(ConfigurationError, match=r"^BLIND_INDEX_KEY is the development key"):
        load_settings(production(BLIND_INDEX_KEY=dev["BLIND_INDEX_KEY"]), var_dir=tmp_path)
    assert load_settings(PRODUCTION, var_dir=tmp_path).is_production


# Durations ---------------------------------------------------------------------------------


def test_hold_and_payment_grace_default_to_30_and_120_minutes(tmp_path: Path) -> None:
    settings = load_settings({}, var_dir=tmp_path)
    assert settings.hold_minutes == 30
    assert settings.payment_grace_minutes == 120
    assert settings.offer_minutes == 120


def test_durations_accept_decimal_minutes_for_demos_and_tests(tmp_path: Path) -> None:
    settings = load_settings(
        {"HOLD_MINUTES": "0.05", "PAYMENT_GRACE_MINUTES": "1,5"}, var_dir=tmp_path
    )
    assert timedelta(minutes=settings.hold_minutes) == timedelta(seconds=3)
    assert timedelta(minutes=settings.payment_grace_minutes) == timedelta(seconds=90)
    assert (
        load_settings({"PAYMENT_GRACE_MINUTES": "0"}, var_dir=tmp_path).payment_grace_minutes == 0
    )
    assert load_settings({"OFFER_MINUTES": "90,5"}, var_dir=tmp_path).offer_minutes == 90.5


@pytest.mark.parametrize(
    ("name", "raw", "says"),
    [
        ("HOLD_MINUTES", "-1", "must not be negative"),
        ("HOLD_MINUTES", "half an hour", "must be a number of minutes"),
        ("HOLD_MINUTES", "0", "must be greater than 0"),
        ("HOLD_MINUTES", "nan", "must be a finite number"),
        ("HOLD_MINUTES", "1441", "must be at most 1440 minutes"),
        ("OFFER_MINUTES", "0", "must be greater than 0"),
        ("OFFER_MINUTES", "-5", "must not be negative"),
        ("OFFER_MINUTES", "two hours", "must be a number of minutes"),
        ("OFFER_MINUTES", "10081", "must be at most 10080 minutes"),
        ("PAYMENT_GRACE_MINUTES", "-0.5", "must not be negative"),
        ("PAYMENT_GRACE_MINUTES", "2h", "must be a number of minutes"),
        ("PAYMENT_GRACE_MINUTES", "inf", "must be a finite number"),
        ("CONTACT_RETENTION_DAYS", "-1", "must not be negative"),
        ("CONTACT_RETENTION_DAYS", "half a year", "must be a number of days"),
        ("CONTACT_RETENTION_DAYS", "nan", "must be a finite number"),
        ("CONTACT_RETENTION_DAYS", "3651", "must be at most 3650 days"),
    ],
)
def test_bad_durations_are_refused_naming_the_variable(
    tmp_path: Path, name: str, raw: str, says: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings({name: raw}, var_dir=tmp_path)
    assert str(caught.value).startswith(f"{name} {says}")
    assert "\n" not in str(caught.value)


def test_contact_retention_defaults_to_180_days_and_takes_decimals_and_zero(
    tmp_path: Path,
) -> None:
    assert load_settings({}, var_dir=tmp_path).contact_retention_days == 180
    half = load_settings({"CONTACT_RETENTION_DAYS": "0,5"}, var_dir=tmp_path)
    assert timedelta(days=half.contact_retention_days) == timedelta(hours=12)
    assert (
        load_settings({"CONTACT_RETENTION_DAYS": "0"}, var_dir=tmp_path).contact_retention_days == 0
    )


def test_production_takes_decimal_holds_of_at_least_5_minutes(tmp_path: Path) -> None:
    settings = load_settings(
        production(HOLD_MINUTES="7.5", PAYMENT_GRACE_MINUTES="90"), var_dir=tmp_path
    )
    assert settings.hold_minutes == 7.5
    assert settings.payment_grace_minutes == 90
    with pytest.raises(ConfigurationError, match=r"^HOLD_MINUTES must be at least 5 when"):
        load_settings(production(HOLD_MINUTES="4.99"), var_dir=tmp_path)


def test_the_visitors_wait_for_yookassa_defaults_to_10_seconds_and_takes_decimals(
    tmp_path: Path,
) -> None:
    assert load_settings({}, var_dir=tmp_path).yookassa_request_budget_seconds == 10
    settings = load_settings({"YOOKASSA_REQUEST_BUDGET_SECONDS": "0.5"}, var_dir=tmp_path)
    assert settings.yookassa_request_budget_seconds == 0.5
    comma = load_settings({"YOOKASSA_REQUEST_BUDGET_SECONDS": "2,5"}, var_dir=tmp_path)
    assert comma.yookassa_request_budget_seconds == 2.5


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("ten", "must be a number of seconds"),
        ("0", "must be greater than 0"),
        ("-1", "must be greater than 0"),
        ("nan", "must be a finite number of seconds"),
        ("inf", "must be a finite number of seconds"),
        ("121", "must be at most 120 seconds"),
    ],
)
def test_a_bad_request_budget_is_refused_in_one_line(tmp_path: Path, raw: str, says: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings({"YOOKASSA_REQUEST_BUDGET_SECONDS": raw}, var_dir=tmp_path)
    message = str(caught.value)
    assert message.startswith(f"YOOKASSA_REQUEST_BUDGET_SECONDS {says}")
    assert "\n" not in message


# Live mode ---------------------------------------------------------------------------------


def test_production_takes_a_test_key_only_when_told_to(tmp_path: Path) -> None:
    key = "test_S3cr3tS3cr3tS3cr3tS3cr3t"
    with pytest.raises(ConfigurationError) as caught:
        load_settings(production(YOOKASSA_SECRET_KEY=key), var_dir=tmp_path)
    assert "YOOKASSA_ALLOW_TEST_KEYS=true" in str(caught.value)
    assert key not in str(caught.value)

    allowed = load_settings(
        production(YOOKASSA_SECRET_KEY=key, YOOKASSA_ALLOW_TEST_KEYS="true"), var_dir=tmp_path
    )
    assert allowed.yookassa_test_shop
    assert not load_settings(PRODUCTION, var_dir=tmp_path).yookassa_test_shop


def test_the_development_sandbox_is_a_test_shop(tmp_path: Path) -> None:
    assert load_settings({}, var_dir=tmp_path).yookassa_test_shop


# The practice's timezone -------------------------------------------------------------------


def test_the_practice_timezone_defaults_to_moscow(tmp_path: Path) -> None:
    settings = load_settings({}, var_dir=tmp_path)
    assert settings.practice_timezone == "Europe/Moscow"
    assert settings.practice_time.key == "Europe/Moscow"
    assert settings.summary()["practice_timezone"] == "Europe/Moscow"


def test_another_iana_zone_is_taken(tmp_path: Path) -> None:
    settings = load_settings({"PRACTICE_TIMEZONE": " Asia/Yekaterinburg "}, var_dir=tmp_path)
    assert settings.practice_timezone == "Asia/Yekaterinburg"
    assert settings.practice_time.label(datetime.now(UTC)) == "Екатеринбург"


@pytest.mark.parametrize("raw", ["Moscow", "Mars/Olympus", "Europe", "../../etc/passwd", "MSK+3"])
def test_a_zone_that_does_not_exist_is_refused_naming_the_variable(
    tmp_path: Path, raw: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings({"PRACTICE_TIMEZONE": raw}, var_dir=tmp_path)
    assert str(caught.value) == (
        "PRACTICE_TIMEZONE must be an IANA time zone name such as Europe/Moscow"
    )


def test_max_active_holds_per_contact_defaults_to_2_and_reads_the_environment(
    tmp_path: Path,
) -> None:
    assert load_settings({}, var_dir=tmp_path).max_active_holds_per_contact == 2
    settings = load_settings({"MAX_ACTIVE_HOLDS_PER_CONTACT": "5"}, var_dir=tmp_path)
    assert settings.max_active_holds_per_contact == 5


@pytest.mark.parametrize(
    ("raw", "says"),
    [("0", "must be between 1 and 1000"), ("-1", "must be between"), ("two", "must be an")],
)
def test_a_bad_max_active_holds_per_contact_is_refused_naming_the_variable(
    tmp_path: Path, raw: str, says: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings({"MAX_ACTIVE_HOLDS_PER_CONTACT": raw}, var_dir=tmp_path)
    assert str(caught.value).startswith(f"MAX_ACTIVE_HOLDS_PER_CONTACT {says}")


def test_production_takes_smtp_with_starttls_and_development_a_local_server_in_clear(
    tmp_path: Path,
) -> None:
    starttls = load_settings(
        production(SMTP_URL="smtp://mailer:pw@smtp.example.ru:587"), var_dir=tmp_path
    )
    assert starttls.smtp_url is not None and starttls.is_production
    local = load_settings({"SMTP_URL": "smtp://127.0.0.1:1025?starttls=false"}, var_dir=tmp_path)
    assert local.smtp_url is not None and not local.is_production


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("none", ()),
        ("NONE", ()),
        ("10.0.0.0/8, fd00::/8", ("10.0.0.0/8", "fd00::/8")),
        ("10.1.2.3", ("10.1.2.3/32",)),
    ],
)
def test_trusted_proxies_are_cidrs_or_none_for_clients_connecting_directly(
    tmp_path: Path, raw: str, expected: tuple[str, ...]
) -> None:
    settings = load_settings(production(TRUSTED_PROXIES=raw), var_dir=tmp_path)
    assert tuple(str(network) for network in settings.trusted_proxies) == expected
    shown = settings.summary()["trusted_proxies"]
    assert shown == (", ".join(expected) or "none (no forwarded header is believed)")


def test_development_trusts_no_proxy_unless_told(tmp_path: Path) -> None:
    settings = load_settings({"APP_ENV": "development"}, var_dir=tmp_path)
    assert settings.trusted_proxies == ()
