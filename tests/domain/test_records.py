"""What every stored entity shares (mockserver.domain.records), without a server."""

from __future__ import annotations

import re

import pytest

from mockserver.domain import ids, records
from mockserver.domain.records import Page
from mockserver.domain.tenancy import Principal
from mockserver.store import Repository

ACME_PROD = Principal("c", "tenant-acme", "service-acme-prod", "sub-acme")


def record(tenant="tenant-acme", service="service-acme-prod", **extra) -> dict:
    return {"id": "a" * 24, "tenant_id": tenant, "service_id": service, **extra}


@pytest.mark.parametrize("tenant,service,inside", [
    ("tenant-acme", "service-acme-prod", True),
    ("tenant-acme", "service-acme-staging", False),  # another service of the same tenant
    ("tenant-globex", "service-acme-prod", False),  # another tenant, even with a service id alike
    ("tenant-globex", "service-globex-prod", False),
])
def test_in_scope_needs_both_the_tenant_and_the_service(tenant, service, inside):
    assert records.in_scope(record(tenant, service), ACME_PROD) is inside
    assert records.in_scope({"id": "x"}, ACME_PROD) is False


def test_owned_by_stamps_the_callers_tenant_service_and_sub():
    assert records.owned_by(ACME_PROD) == {"tenant_id": "tenant-acme", "service_id": "service-acme-prod",
                                           "sub_id": "sub-acme"}


def test_a_deleted_record_is_visible_only_within_its_grace():
    deleted = records.mark_deleted(record(), now=100.0, grace=5.0)
    assert deleted["deleted"] is True and deleted["visible_until"] == 105.0
    assert deleted["deleted_at"] == "1970-01-01T00:01:40.000Z"
    assert records.is_visible(deleted, ACME_PROD, 104.9) is True
    assert records.is_visible(deleted, ACME_PROD, 105.0) is False
    assert records.is_visible(records.mark_deleted(record(), 100.0, 0), ACME_PROD, 100.0) is False
    assert records.is_visible(record(), ACME_PROD, 0) is True
    assert records.is_visible(record(deleted=False), ACME_PROD, 0) is True
    assert records.is_visible(record(service="other"), ACME_PROD, 0) is False
    assert records.is_live(deleted) is False and records.is_live(record()) is True


def test_lookups_by_id_respect_scope_deletion_and_grace():
    repo = Repository(":memory:")
    mine = repo.insert("sources", record(id="1" * 24))
    repo.insert("sources", record(id="2" * 24, service="service-acme-staging"))
    repo.insert("sources", records.mark_deleted(record(id="3" * 24), now=100.0, grace=10.0))
    assert records.find_live(repo, "sources", ACME_PROD, "1" * 24) == mine
    assert records.find_visible(repo, "sources", ACME_PROD, "1" * 24, 0) == mine
    for lookup in (lambda i: records.find_live(repo, "sources", ACME_PROD, i),
                   lambda i: records.find_visible(repo, "sources", ACME_PROD, i, 200.0)):
        assert lookup("2" * 24) is None  # another service's
        assert lookup("3" * 24) is None  # deleted, grace over
        assert lookup("9" * 24) is None  # never existed
    # Within its grace a deleted record is still read, but never written.
    assert records.find_visible(repo, "sources", ACME_PROD, "3" * 24, 105.0)["id"] == "3" * 24
    assert records.find_live(repo, "sources", ACME_PROD, "3" * 24) is None


@pytest.mark.parametrize("page,size,bounds", [(1, 10, (0, 10)), (2, 10, (10, 20)), (3, 7, (14, 21)), (1, 1, (0, 1))])
def test_page_bounds(page, size, bounds):
    assert Page(page, size).bounds == bounds
    assert Page() == Page(1, 10)


def test_envelopes():
    assert records.envelope(Page(2, 5), 12, iter([1, 2])) == {"total": 12, "page_size": 5, "page": 2, "result": [1, 2]}
    assert records.envelope_of_one(None) == {"total": 0, "page_size": 10, "page": 1, "result": []}
    assert records.envelope_of_one({"id": "x"}) == {"total": 1, "page_size": 10, "page": 1, "result": [{"id": "x"}]}


def test_new_ids_are_distinct_object_ids_unless_preset():
    ids = {records.new_id() for _ in range(1000)}
    assert len(ids) == 1000 and all(re.fullmatch(r"[0-9a-f]{24}", i) for i in ids)
    with records.preset_id("b" * 24):
        assert records.new_id() == "b" * 24
        assert records.new_id() != "b" * 24
    assert records.new_id() != "b" * 24


def test_iso_now_is_utc_with_milliseconds():
    assert records.iso_now(1_800_000_000.25) == "2027-01-15T08:00:00.250Z"


def test_a_deleted_record_without_a_grace_time_is_gone():
    assert records.is_visible(record(deleted=True), ACME_PROD, 0.5) is False


def test_the_object_id_counter_counts_up_by_one_and_wraps_at_three_bytes(monkeypatch):
    monkeypatch.setattr(ids, "_counter", 0xFFFFFE)
    first, second = records.new_id(), records.new_id()
    assert (first[-6:], second[-6:]) == ("ffffff", "000000") and len(second) == 24


def test_a_listing_holds_the_callers_live_records_and_those_in_a_delete_grace_oldest_first():
    repo = Repository(":memory:")
    rows = [  # live records are stored with deleted=False, as the services write them
        record(id="a" * 24, deleted=False),
        records.mark_deleted(record(id="d" * 24), now=100.0, grace=10.0),
        record(id="b" * 24, deleted=False),
        records.mark_deleted(record(id="e" * 24), now=100.0, grace=1.0),  # a grace of one second still counts
        records.mark_deleted(record(id="f" * 24), now=100.0, grace=0.0),  # gone at once
        record(id="9" * 24, service="service-acme-staging", deleted=False),
        record(id="c" * 24, deleted=False),
    ]
    for row in rows:
        repo.insert("sources", row)

    def ids(now, start=0, stop=None, match=None):
        total, page = records.select_visible(repo, "sources", ACME_PROD, now, start, stop, match)
        return total, [r["id"][0] for r in page]

    assert ids(100.5) == (5, ["a", "d", "b", "e", "c"])
    assert ids(100.5, 1, 3) == (5, ["d", "b"])
    assert ids(100.5, 1, 3, match=lambda r: r["id"] != "d" * 24) == (4, ["b", "e"])
    assert ids(105.0) == (4, ["a", "d", "b", "c"])
    assert ids(200.0) == (3, ["a", "b", "c"])
    assert ids(200.0, 1, 2) == (3, ["b"])


def test_a_deleted_record_is_stored_as_a_tombstone_once_its_grace_is_over():
    live = record(deleted=False, config={"host": "db"}, name="pg")
    assert records.tombstone(live, 1e12) == live
    deleted = records.mark_deleted(live, now=100.0, grace=5.0)
    assert records.tombstone(deleted, 104.9) == deleted
    stone = {"id": "a" * 24, "tenant_id": "tenant-acme", "service_id": "service-acme-prod", "deleted": True,
             "deleted_at": "1970-01-01T00:01:40.000Z", "visible_until": 105.0, "name": "pg"}
    assert records.tombstone(deleted, 105.0) == stone
    # A record deleted with no grace time recorded is a tombstone at once.
    assert records.tombstone(record(deleted=True, config={"x": 1}), 0.5) == record(deleted=True)
