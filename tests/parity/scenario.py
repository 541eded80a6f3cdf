"""A scripted run that calls every operation of the contract once or more, as one client would."""

from __future__ import annotations

from typing import Any

import httpx

from tests.provider.configs import v3_config

TABLES = "public.orders,public.customers"


class Script:
    def __init__(self, base_url: str, client_id: str = "mock-client", secret: str = "mock-secret") -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30, headers={"Content-Type": "application/json"})
        token = self.call("POST", "/auth/access-token", {"client_id": client_id, "secret": secret})
        self.http.headers["Authorization"] = f"Bearer {token['accessToken']}"
        self.secret = secret

    def call(self, method: str, url: str, body: Any = None, expect: int = 200) -> Any:
        response = self.http.request(method, url, json=body) if body is not None else self.http.request(method, url)
        assert response.status_code == expect, f"{method} {url} -> {response.status_code}: {response.text}"
        return response.json() if response.content else None

    def close(self) -> None:
        self.http.close()


def every_operation(base_url: str) -> None:
    """One pass over every operation of contracts/openapi.json (the login included), all answered 2xx but one 404."""
    run = Script(base_url)
    call = run.call
    call("POST", "/api/auth/access-token", {"client_id": "mock-client", "secret": "mock-secret"})
    roles = call("GET", "/auth/roles")
    credential = call("POST", "/auth/client-credentials",
                      {"role_ids": [roles[0]["id"]], "description": "parity", "created_from": "terraform"})
    call("GET", "/auth/client-credentials")
    call("DELETE", f"/auth/client-credentials/{credential['client_id']}")

    tag = call("POST", "/tags", {"name": "parity", "description": "d", "type": ["sources"], "created_from": "terraform"})
    call("PUT", f"/tags/{tag['id']}", {"name": "parity", "description": "changed", "type": ["sources", "pipelines"]})
    call("GET", f"/tags?tag_ids={tag['id']}")
    call("POST", "/tags/search", {"tag_ids": [tag["id"]]})

    source_config = {**v3_config("sources", "postgresql"), "table.include.list.user.defined": TABLES,
                     "slot.name": "slot_parity", "publication.name": "pub_parity"}
    source = call("POST", "/sources?secret_returned=true&wait=false",
                  {"name": "parity-src", "connector": "postgresql", "config": source_config, "tags": [tag["id"]],
                   "created_from": "terraform"})
    destination = call("POST", "/destinations?secret_returned=true&wait=false",
                       {"name": "parity-dst", "connector": "snowflake",
                        "config": v3_config("destinations", "snowflake"), "created_from": "terraform"})
    for kind, entity in (("sources", source), ("destinations", destination)):
        call("GET", f"/{kind}/{entity['id']}?secret_returned=true")
        call("GET", f"/{kind}?page=1&page_size=100")
        call("POST", f"/{kind}/search", {"ids": [entity["id"]]})
        call("GET", f"/{kind}/brief")
        call("GET", f"/{kind}/connectors")
        call("PUT", f"/{kind}/{entity['id']}?secret_returned=true&wait=false",
             {"name": entity["name"] + "-2", "connector": entity["connector"], "config": entity["config"]})
    call("POST", f"/sources/{source['id']}/actions/pause")

    transform = call("POST", "/transforms?secret_returned=true",
                     {"transform": "map_filter", "config": {**v3_config("transforms", "map_filter"),
                                                             "transforms.name": "parity-transform"},
                      "created_from": "terraform"})
    tid = transform["id"]
    call("GET", "/transforms")
    read = call("GET", f"/transforms/{tid}?secret_returned=true&unwind_topics=false")["result"][0]
    call("PUT", "/transforms?secret_returned=true",
         {"id": tid, "transform": "map_filter", "config": read["config"]})
    call("PUT", f"/transforms/{tid}", {"transform": "map_filter", "config": read["config"]})
    implementation = call("GET", f"/transforms/{tid}/implementation_details")
    call("PUT", f"/transforms/{tid}/implementation_details",
         {"transform_id": tid, "implementation": implementation.get("implementation") or {"language": "SQL"}})
    call("PUT", f"/transforms/{tid}/deploy-job-preview/no-version")
    call("PUT", f"/transforms/{tid}/deploy-job-live/no-version")
    call("GET", f"/transforms/{tid}/job_status")

    pipeline = call("POST", "/pipelines?secret_returned=true&wait=false", {
        "name": "parity-pipe", "snapshot_new_tables": True, "created_from": "terraform",
        "source": {"id": source["id"], "name": source["name"], "connector": "postgresql",
                   "topics": ["public.orders"]},
        "destination": {"id": destination["id"], "name": destination["name"], "connector": "snowflake"},
        "transforms": [], "tags": []})
    call("GET", f"/pipelines/{pipeline['id']}?secret_returned=true")
    call("GET", "/pipelines")
    call("PUT", f"/pipelines/{pipeline['id']}?secret_returned=true&wait=false",
         {**{k: pipeline[k] for k in ("source", "destination", "transforms", "snapshot_new_tables")},
          "name": "parity-pipe-2", "tags": []})

    topics = call("GET", f"/topics?entity_id={source['id']}")
    topic_id = topics["result"][0]["id"]
    call("GET", f"/topics/{topic_id}?detailed=true")
    call("GET", f"/topics/details?entity_id={source['id']}")
    call("POST", "/topics/table_metrics", {"entities": [{"id": source["id"], "entity_type": "sources"}]})
    call("PUT", f"/topics/{topic_id}", {"payload": {"partition_count": 3}})

    acls = [{"topic_name": "orders", "operation": "READ", "resource_pattern_type": "LITERAL", "resource": "TOPIC"}]
    call("POST", "/kafka-access/kafka-users", {"username": "parity-user", "password": "S3cret-pass!",
                                               "kafka_acls": acls, "is_create_schema_registry": True})
    call("GET", "/kafka-access/kafka-users")
    call("PUT", "/kafka-access/kafka-users/parity-user", {"whitelist_ips": "10.0.0.0/8", "kafka_acls": acls,
                                                          "is_create_schema_registry": True})
    call("DELETE", "/kafka-access/kafka-users/parity-user")

    call("DELETE", f"/pipelines/{pipeline['id']}?secret_returned=true")
    call("DELETE", f"/topics/{topic_id}")
    call("DELETE", f"/transforms/{tid}")
    second = call("POST", "/transforms?secret_returned=true",
                  {"transform": "map_filter", "config": {**v3_config("transforms", "map_filter"),
                                                          "transforms.name": "parity-transform-2"}})
    call("DELETE", f"/transforms?id={second['id']}")
    call("DELETE", f"/sources/{source['id']}?secret_returned=true")
    call("DELETE", f"/destinations/{destination['id']}?secret_returned=true")
    call("DELETE", f"/tags/{tag['id']}")
    call("GET", f"/sources/{'0' * 24}", expect=200)  # a missing id reads as an empty envelope
    run.close()
