"""Reading a Prometheus scrape back, with prometheus-client's own parser."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (sample.name, dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    ]


def value(text: str, name: str, **labels: str) -> float:
    """The sample's value, 0 when the scrape does not hold it (a counter not touched yet)."""
    for sample_name, sample_labels, sample_value in samples(text):
        if sample_name == name and sample_labels == labels:
            return sample_value
    return 0.0


def label_values(text: str) -> set[str]:
    return {v for _, labels, _ in samples(text) for v in labels.values()}
