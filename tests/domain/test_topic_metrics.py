"""Topic metrics are made up, but must be stable and add up like real ones."""

from __future__ import annotations

from mockserver.domain.topics import topic_metrics


def test_metrics_add_up_for_many_topics():
    for i in range(500):
        m = topic_metrics(f"entity-{i % 7}", f"source_x.public.t{i}")
        assert 10_000 <= m["messages_in"]
        assert 0 <= m["lag"] <= m["messages_in"]
        assert m["messages_out"] == m["messages_in"] - m["lag"]
        assert m["bytes_in"] >= 200 * m["messages_in"]
        assert m["bytes_out"] * m["messages_in"] == m["bytes_in"] * m["messages_out"]
        assert 20 <= m["avg_latency_ms"] < 500


def test_metrics_depend_only_on_the_ids():
    assert topic_metrics("a", "t") == topic_metrics("a", "t")
    assert topic_metrics("a", "t") != topic_metrics("a", "u")
    assert topic_metrics("a", "t") != topic_metrics("b", "t")
