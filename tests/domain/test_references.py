"""References between entities (mockserver.domain.references), without a server."""

from __future__ import annotations

import pytest

from mockserver.domain import references
from mockserver.domain.tenancy import Principal
from mockserver.errors import BadRequest, Conflict
from mockserver.store import Repository

ACME = Principal("c", "tenant-acme", "service-acme-prod", "sub-acme")
SCOPE = {"tenant_id": "tenant-acme", "service_id": "service-acme-prod", "deleted": False}


@pytest.fixture
def repo():
    repo = Repository(":memory:")
    for n, name in enumerate(("first", "second")):
        repo.insert("pipelines", {"id": f"p{n}", "name": name, **SCOPE, "source": {"id": "src"},
                                  "destination": {"id": "dst"}, "transforms": [{"id": "tf-step"}],
                                  "topic_auto_discovery_transforms": [{"transform_id": "tf-rule"}]})
    repo.insert("pipelines", {"id": "gone", "name": "deleted", **SCOPE, "deleted": True, "source": {"id": "old"}})
    return repo


@pytest.mark.parametrize("entity_type,entity_id", [
    ("sources", "src"), ("destinations", "dst"), ("transforms", "tf-step"), ("transforms", "tf-rule"),
])
def test_an_entity_a_live_pipeline_uses_cannot_be_deleted(repo, entity_type, entity_id):
    with pytest.raises(Conflict) as err:
        references.ensure_unused(repo, ACME, entity_type, entity_id)
    assert err.value.detail == "Cannot delete: it is used by pipeline 'first', 'second'"


@pytest.mark.parametrize("entity_type,entity_id", [
    ("sources", "dst"), ("destinations", "src"), ("transforms", "src"), ("sources", "old"), ("tags", "src"),
])
def test_an_entity_no_live_pipeline_uses_may_be_deleted(repo, entity_type, entity_id):
    references.ensure_unused(repo, ACME, entity_type, entity_id)


def test_another_scope_does_not_hold_an_entity(repo):
    staging = Principal("c", "tenant-acme", "service-acme-staging", "sub-acme")
    references.ensure_unused(repo, staging, "sources", "src")


def test_names_are_free_per_scope_and_for_ones_own_id(repo):
    with pytest.raises(Conflict) as err:
        references.ensure_name_free(repo, "pipelines", ACME, "first", None)
    assert err.value.detail == "Entity with this name already exists"
    references.ensure_name_free(repo, "pipelines", ACME, "first", "p0")  # its own name
    references.ensure_name_free(repo, "pipelines", ACME, "deleted", None)  # a deleted one's
    references.ensure_name_free(repo, "pipelines", Principal("c", "tenant-globex", "service-globex-prod", "s"),
                                "first", None)


def test_tag_ids_must_be_live_tags_of_the_scope_or_system_tags(repo):
    repo.insert("tags", {"id": "mine", **SCOPE})
    repo.insert("tags", {"id": "system", "system": True, "tenant_id": None, "service_id": None, "deleted": False})
    repo.insert("tags", {"id": "theirs", **SCOPE, "tenant_id": "tenant-globex"})
    repo.insert("tags", {"id": "dropped", **SCOPE, "deleted": True})
    references.check_tag_ids(repo, ACME, ["mine", "system", "mine"])
    references.check_tag_ids(repo, ACME, None)
    with pytest.raises(BadRequest) as err:
        references.check_tag_ids(repo, ACME, ["mine", "theirs", "dropped", "nope"])
    assert err.value.detail == "Tag not found: theirs, dropped, nope"


def test_a_topic_is_held_only_by_live_pipelines_reading_it_from_its_own_source(repo):
    topic = {"id": "t" * 24, "entity_id": "src", "name": "source_src.public.orders"}
    repo.insert("pipelines", {"id": "p9", "name": "other-source", **SCOPE, "source": {"id": "src2",
                              "topics": ["source_src.public.orders", "public.orders", "t" * 24]}})
    references.ensure_topic_unused(repo, ACME, topic)  # another source's pipeline, though it names the topic
    for named in ("source_src.public.orders", "public.orders", "t" * 24):
        repo.insert("pipelines", {"id": f"reads-{named}", "name": f"reads {named}", **SCOPE,
                                  "source": {"id": "src", "topics": ["public.other", named]}})
    with pytest.raises(Conflict) as err:
        references.ensure_topic_unused(repo, ACME, topic)
    assert err.value.detail == ("Cannot delete: it is used by pipeline 'reads source_src.public.orders', "
                                "'reads public.orders', 'reads " + "t" * 24 + "'")
