"""METRICS_ALLOWED_IPS and PROMETHEUS_MULTIPROC_DIR: defaults, and refusals naming the variable."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from adapters.settings import ConfigurationError, load_settings


def test_metrics_answer_only_this_machine_by_default(tmp_path: Path) -> None:
    settings = load_settings({}, var_dir=tmp_path)
    allowed = settings.metrics_allowed_ips
    assert ipaddress.ip_address("127.0.0.1") in allowed[0]
    assert any(ipaddress.ip_address("::1") in network for network in allowed)
    assert not any(ipaddress.ip_address("10.0.0.5") in network for network in allowed)
    assert settings.metrics_multiproc_dir is None


def test_metrics_allowed_ips_take_cidrs_or_none(tmp_path: Path) -> None:
    settings = load_settings(
        {"METRICS_ALLOWED_IPS": "10.1.0.0/16, 192.0.2.10,fd00::/8"}, var_dir=tmp_path
    )
    assert [str(n) for n in settings.metrics_allowed_ips] == [
        "10.1.0.0/16",
        "192.0.2.10/32",
        "fd00::/8",
    ]
    assert (
        load_settings({"METRICS_ALLOWED_IPS": "none"}, var_dir=tmp_path).metrics_allowed_ips == ()
    )


@pytest.mark.parametrize("raw", ["10.0.0.0/33", "metrics.example.org", "10.0.0.1,,oops", ","])
def test_a_malformed_metrics_allowed_ips_stops_the_start_naming_it(
    tmp_path: Path, raw: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings({"METRICS_ALLOWED_IPS": raw}, var_dir=tmp_path)
    assert str(caught.value).startswith("METRICS_ALLOWED_IPS")
    assert "\n" not in str(caught.value)


def test_the_multiprocess_directory_must_exist_and_be_writable(tmp_path: Path) -> None:
    here = load_settings({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}, var_dir=tmp_path)
    assert here.metrics_multiproc_dir == tmp_path
    with pytest.raises(ConfigurationError, match=r"^PROMETHEUS_MULTIPROC_DIR: the directory does"):
        load_settings({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "missing")}, var_dir=tmp_path)
    with pytest.raises(ConfigurationError, match=r"^PROMETHEUS_MULTIPROC_DIR and prometheus_"):
        load_settings(
            {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "prometheus_multiproc_dir": "/elsewhere"},
            var_dir=tmp_path,
        )
