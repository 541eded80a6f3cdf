"""The Terraform provider's HTTP calls, as it makes them, against a live mock.

`ProviderClient` sends the URLs, query flags and bodies of the provider's Go
client (`internal/api/*.go`) for one provider line: "v2" (branch `main`, the
2.x releases) or "v3" (branch `develop`, the 3.0 line), and decodes answers
the way the provider does (the list envelope for reads, `None` when its
`result` is empty). See docs/terraform.md for the sequences per resource.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import httpx

ROOT = Path(__file__).resolve().parents[2]
V2, V3 = "v2", "v3"
PAGE_SIZE = 100  # what the 3.x provider asks for when it pages (adopt, sweepers)
TERRAFORM = "terraform"  # the created_from both lines send


class ApiError(Exception):
    """A non-2xx answer, carrying the `detail` string the provider surfaces."""

    def __init__(self, status: int, detail: Any, request_id: str = "") -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        # The 3.x client puts this in its error text (and retries on what it finds there).
        self.request_id = request_id


class ProviderClient:
    def __init__(self, base: str, line: str, client_id: str = "mock-client", secret: str = "mock-secret") -> None:
        self.line = line
        self.http = httpx.Client(base_url=base, timeout=30, headers={
            "Content-Type": "application/json", "Accept": "application/json"})
        token = self._call("POST", "/auth/access-token", {"client_id": client_id, "secret": secret})
        assert set(token) >= {"accessToken", "expires", "expiresIn", "refreshToken"}
        assert isinstance(token["expiresIn"], int)
        self.http.headers["Authorization"] = f"Bearer {token['accessToken']}"

    def close(self) -> None:
        self.http.close()

    # ---- the provider's doRequest: 2xx → JSON, else the detail string ------

    def _call(self, method: str, url: str, body: Any = None) -> Any:
        response = self.http.request(method, url, json=body) if body is not None else self.http.request(method, url)
        assert response.headers.get("x-request-id"), "the provider logs X-Request-Id"
        if not 200 <= response.status_code < 300:
            detail = response.json().get("detail") if response.headers.get("content-type", "").startswith(
                "application/json") else response.text
            raise ApiError(response.status_code, detail, response.headers["x-request-id"])
        return response.json()  # the Go client decodes every 2xx body, deletes included

    def _one(self, url: str) -> dict | None:
        envelope = self._call("GET", url)
        assert set(envelope) >= {"total", "page_size", "page", "result"}, envelope
        assert isinstance(envelope["result"], list)
        return envelope["result"][0] if envelope["result"] else None

    @property
    def _wait(self) -> str:
        return "&wait=false" if self.line == V3 else ""

    # ---- sources and destinations ------------------------------------------

    def create_connector(self, kind: str, name: str, connector: str, config: dict,
                         tags: list[str] | None = None) -> dict:
        if self.line == V2:
            body = {"name": name, "connector": connector, "config": config}
            if kind == "destinations":
                body["id"] = ""  # 2.x Destination.ID has no omitempty
        else:
            body = {"name": name, "connector": connector, "config": config, "tags": tags}
        body["created_from"] = TERRAFORM
        try:
            return self._call("POST", f"/{kind}?secret_returned=true{self._wait}", body)
        except ApiError as err:
            if self.line == V3 and "already exists" in str(err.detail):
                return self._adopt(kind, name, err)
            raise

    def _adopt(self, kind: str, name: str, original: ApiError) -> dict:
        page = 1
        while True:
            envelope = self._call("GET", f"/{kind}?secret_returned=true&page={page}&page_size={PAGE_SIZE}"
                                         f"&partial_name={quote_plus(name)}")
            for entity in envelope["result"]:
                if entity["name"] == name:
                    return entity
            if len(envelope["result"]) < PAGE_SIZE:
                raise original
            page += 1

    def get_connector(self, kind: str, entity_id: str) -> dict | None:
        return self._one(f"/{kind}/{entity_id}?secret_returned=true")

    def update_connector(self, kind: str, entity_id: str, name: str, connector: str, config: dict,
                         tags: list[str] | None = None) -> dict:
        body: dict = {"name": name, "connector": connector, "config": config}
        if kind == "destinations" and self.line == V2:
            body["id"] = entity_id
        if self.line == V3:
            body["tags"] = tags
        return self._call("PUT", f"/{kind}/{entity_id}?secret_returned=true{self._wait}", body)

    def delete_connector(self, kind: str, entity_id: str) -> None:
        self._call("DELETE", f"/{kind}/{entity_id}?secret_returned=true{self._wait}")

    def list_all(self, kind: str) -> list[dict]:
        found, page = [], 1
        while True:
            envelope = self._call("GET", f"/{kind}?secret_returned=true&page={page}&page_size={PAGE_SIZE}")
            found += envelope["result"]
            if len(envelope["result"]) < PAGE_SIZE:
                return found
            page += 1

    # ---- transforms (3.x resources; 2.x only has the data source read) -----

    def create_transform(self, transform: str, config: dict, tags: list[str] | None = None) -> dict:
        return self._call("POST", "/transforms?secret_returned=true",
                          {"transform": transform, "config": config, "created_from": TERRAFORM, "tags": tags})

    def get_transform(self, transform_id: str) -> dict | None:
        return self._one(f"/transforms/{transform_id}?secret_returned=true&unwind_topics=false")

    def update_transform(self, transform_id: str, transform: str, config: dict,
                         tags: list[str] | None = None, implementation: dict | None = None) -> dict:
        body = {"id": transform_id, "transform": transform, "config": config, "tags": tags}
        if implementation:
            body["implementation"] = implementation
        return self._call("PUT", "/transforms?secret_returned=true", body)

    def delete_transform(self, transform_id: str) -> None:
        self._call("DELETE", f"/transforms?id={transform_id}")

    def put_implementation(self, transform_id: str, implementation: dict) -> dict:
        return self._call("PUT", f"/transforms/{transform_id}/implementation_details",
                          {"transform_id": transform_id, "implementation": implementation})

    def get_implementation(self, transform_id: str) -> dict:
        return self._call("GET", f"/transforms/{transform_id}/implementation_details")

    def deploy_preview(self, transform_id: str, replay_window: str = "") -> dict:
        suffix = f"?replay_window={replay_window}" if replay_window not in ("", "0") else ""
        return self._call("PUT", f"/transforms/{transform_id}/deploy-job-preview/no-version{suffix}")

    def deploy_live(self, transform_id: str) -> dict:
        return self._call("PUT", f"/transforms/{transform_id}/deploy-job-live/no-version")

    def job_status(self, transform_id: str) -> dict:
        return self._call("GET", f"/transforms/{transform_id}/job_status")

    # ---- pipelines ----------------------------------------------------------

    def create_pipeline(self, body: dict) -> dict:
        return self._call("POST", f"/pipelines?secret_returned=true{self._wait}", {**body, "created_from": TERRAFORM})

    def get_pipeline(self, pipeline_id: str) -> dict | None:
        return self._one(f"/pipelines/{pipeline_id}?secret_returned=true")

    def update_pipeline(self, pipeline_id: str, body: dict) -> dict:
        return self._call("PUT", f"/pipelines/{pipeline_id}?secret_returned=true{self._wait}", body)

    def delete_pipeline(self, pipeline_id: str) -> None:
        self._call("DELETE", f"/pipelines/{pipeline_id}?secret_returned=true{self._wait}")

    # ---- topics -------------------------------------------------------------

    def get_topic(self, topic_id: str) -> dict:
        return self._call("GET", f"/topics/{topic_id}" + ("?detailed=true" if self.line == V3 else ""))

    def update_topic(self, topic_id: str, partition_count: int, tags: list[str] | None = None) -> Any:
        payload: dict = {"partition_count": partition_count}
        if tags is not None:
            payload["tags"] = tags
        return self._call("PUT", f"/topics/{topic_id}", {"payload": payload})

    def delete_topic(self, topic_id: str) -> None:
        self._call("DELETE", f"/topics/{topic_id}")

    # ---- tags ---------------------------------------------------------------

    def get_tag(self, tag_id: str) -> dict | None:
        query = f"tag_ids={tag_id}" + ("&secret_returned=true" if self.line == V2 else "")
        tags = self._call("GET", f"/tags?{query}")["tags"]
        return tags[0] if tags else None

    def list_tags(self, name: str = "", types: tuple[str, ...] = (), ids: tuple[str, ...] = ()) -> list[dict]:
        params = [("tag_name", name)] if name else []
        params += [("tag_type", t) for t in types] + [("tag_ids", i) for i in ids]
        return self._call("GET", "/tags?" + str(httpx.QueryParams(params)))["tags"]

    def search_tags(self, ids: list[str], name: str = "") -> list[dict]:
        query = f"?tag_name={name}" if name else ""
        return self._call("POST", f"/tags/search{query}", {"tag_ids": ids})["tags"]

    def create_tag(self, name: str, description: str, types: list[str]) -> dict:
        body = {"name": name, "description": description, "type": types, "created_from": TERRAFORM}
        try:
            return self._call("POST", "/tags", body)
        except ApiError as err:
            if "already exists" not in str(err.detail):
                raise
            return next(t for t in self.list_tags(name=name) if t["name"] == name)

    def update_tag(self, tag_id: str, name: str, description: str, types: list[str]) -> dict:
        return self._call("PUT", f"/tags/{tag_id}", {"name": name, "description": description, "type": types})

    def delete_tag(self, tag_id: str) -> None:
        self._call("DELETE", f"/tags/{tag_id}")

    # ---- kafka users, client credentials, roles (3.x) -----------------------

    def create_kafka_user(self, body: dict) -> dict:
        return self._call("POST", "/kafka-access/kafka-users", {**body, "created_from": TERRAFORM})

    def get_kafka_user(self, username: str) -> dict | None:
        users = self._call("GET", "/kafka-access/kafka-users")
        assert isinstance(users, list)
        return next((u for u in users if u["username"] == username), None)

    def update_kafka_user(self, username: str, body: dict) -> dict:
        return self._call("PUT", f"/kafka-access/kafka-users/{username}", body)

    def delete_kafka_user(self, username: str) -> None:
        self._call("DELETE", f"/kafka-access/kafka-users/{username}")

    def list_roles(self) -> list[dict]:
        roles = self._call("GET", "/auth/roles")
        assert isinstance(roles, list)
        return roles

    def create_client_credential(self, role_ids: list[str], description: str) -> dict:
        return self._call("POST", "/auth/client-credentials",
                          {"role_ids": role_ids, "description": description, "created_from": TERRAFORM})

    def get_client_credential(self, client_id: str) -> dict | None:
        credentials = self._call("GET", "/auth/client-credentials")
        assert isinstance(credentials, list)
        return next((c for c in credentials if c["client_id"] == client_id), None)

    def delete_client_credential(self, client_id: str) -> None:
        self._call("DELETE", f"/auth/client-credentials/{client_id}")


def wait_gone(read, timeout: float = 10.0) -> None:
    """The acceptance tests' destroy check: read until the entity is gone (None), never an error."""
    deadline = time.monotonic() + timeout
    while read() is not None:
        assert time.monotonic() < deadline, "still visible after delete"
        time.sleep(0.05)


def same_json(sent: Any, got: Any) -> bool:
    """Equal values of the same JSON type (True is not 1, 5 is not "5")."""
    if type(sent) is not type(got):
        return False
    if isinstance(sent, dict):
        return sent.keys() == got.keys() and all(same_json(sent[k], got[k]) for k in sent)
    if isinstance(sent, list):
        return len(sent) == len(got) and all(same_json(a, b) for a, b in zip(sent, got))
    return sent == got


def assert_config_echoed(sent: dict, got: dict) -> None:
    """Every key the provider sent comes back with the same value and JSON type."""
    wrong = {k: (v, got.get(k, "<absent>")) for k, v in sent.items() if k not in got or not same_json(v, got[k])}
    assert not wrong, f"config read back differently (sent, got): {wrong}"


def implementation_kept(sent: dict, got: dict) -> bool:
    """The 3.x provider's isImplementationSubset: every key it sent reads back equal; the backend may add more."""
    return all(key in got and got[key] == value for key, value in sent.items())
