"""/kafka-access/kafka-users: create, list, update, delete, and the password never shown."""

from __future__ import annotations


import pytest

PATH = "/kafka-access/kafka-users"
ACL = {"topic_name": "orders", "operation": "READ", "resource_pattern_type": "LITERAL", "resource": "TOPIC"}
ACL_OUT = {"name": "orders", "topic_name": "orders", "operation": "READ", "resource_pattern_type": "LITERAL",
           "resource": "TOPIC"}


def user_body(username="reader", **overrides):
    return {"username": username, "password": "s3cret-Pass", "whitelist_ips": "10.0.0.1,192.168.0.0/24",
            "kafka_acls": [ACL], "is_create_schema_registry": False, "created_from": "terraform", **overrides}


def create(api, as_="mock-client", **overrides):
    response = api.post(PATH, as_=as_, json=user_body(**overrides))
    assert response.status_code == 200, response.text
    return response.json()


def test_create_returns_the_user_without_password(api):
    user = create(api)
    assert user == {
        "username": "reader",
        "whitelist_ips": "10.0.0.1,192.168.0.0/24",
        "kafka_proxy_endpoint": "service-acme-prod.kafka-proxy.streamkap.mock:32400",
        "schema_proxy_endpoint": None,
        "kafka_acls": [ACL_OUT],
        "is_create_schema_registry": False,
    }


def test_schema_registry_gives_a_schema_proxy_endpoint(api):
    user = create(api, is_create_schema_registry=True)
    assert user["schema_proxy_endpoint"] == "https://service-acme-prod.schema-proxy.streamkap.mock"


def test_acl_topic_may_be_sent_as_name(api):
    acl = {k: v for k, v in ACL.items() if k != "topic_name"} | {"name": "orders"}
    assert create(api, kafka_acls=[acl])["kafka_acls"] == [ACL_OUT]


def test_password_is_stored_only_as_a_salted_hash(api):
    create(api, username="a")
    create(api, username="b")
    on_disk = api.disk_text()
    assert "s3cret-Pass" not in on_disk
    stored = {r["username"]: r for r in api.on_disk()["kafka_users"].values()}
    assert stored["a"]["password_hash"] != stored["b"]["password_hash"]  # salted
    assert "password" not in stored["a"]
    assert stored["a"]["created_from"] == "terraform"


def test_list_is_a_bare_array_of_the_callers_users(api):
    assert api.get(PATH).json() == []
    first = create(api, username="reader")
    second = create(api, username="writer")
    create(api, as_="mock-client-2", username="globex-user")
    response = api.get(PATH)
    assert response.status_code == 200
    assert response.json() == [first, second]
    assert [u["username"] for u in api.get(PATH, as_="mock-readonly").json()] == ["reader", "writer"]
    assert [u["username"] for u in api.get(PATH, as_="mock-client-2").json()] == ["globex-user"]


def test_duplicate_username_is_409_but_other_tenants_may_reuse_it(api):
    create(api)
    response = api.post(PATH, json=user_body())
    assert response.status_code == 409
    assert response.json()["detail"] == "Entity with this name already exists"
    assert [u["username"] for u in api.get(PATH).json()] == ["reader"]
    create(api, as_="mock-client-2")


def test_update_replaces_settings_and_keeps_the_password_unless_sent(api):
    create(api)
    stored_hash = lambda: api.backend.repo.find("kafka_users", lambda r: r["username"] == "reader")[0]["password_hash"]  # noqa: E731
    before = stored_hash()
    acl = {"topic_name": "payments", "operation": "WRITE", "resource_pattern_type": "PREFIXED", "resource": "TOPIC"}
    response = api.put(f"{PATH}/reader", json={"whitelist_ips": "10.1.0.0/16", "kafka_acls": [acl],
                                              "is_create_schema_registry": True})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["whitelist_ips"] == "10.1.0.0/16"
    assert updated["kafka_acls"] == [{**acl, "name": "payments"}]
    assert updated["is_create_schema_registry"] is True
    assert updated["schema_proxy_endpoint"] is not None
    assert "password" not in updated
    assert stored_hash() == before
    assert api.get(PATH).json() == [updated]
    api.ok("PUT", f"{PATH}/reader", json={"password": "new-Pass", "kafka_acls": []})
    assert stored_hash() != before


def test_update_or_delete_of_an_unknown_or_foreign_user_is_404(api):
    create(api, as_="mock-client-2", username="globex-user")
    for username in ("nobody", "globex-user"):
        response = api.put(f"{PATH}/{username}", json={"kafka_acls": []})
        assert response.status_code == 404
        assert response.json()["detail"] == "Entity not found"
        response = api.delete(f"{PATH}/{username}")
        assert response.status_code == 404
        assert response.json()["detail"] == "Entity not found"
    assert len(api.get(PATH, as_="mock-client-2").json()) == 1


def test_delete_returns_json_and_frees_the_username(api):
    user = create(api)
    response = api.delete(f"{PATH}/reader")
    assert response.status_code == 200
    assert response.json() == user
    assert api.get(PATH).json() == []
    assert api.delete(f"{PATH}/reader").status_code == 404
    create(api)  # the username can be used again
    assert len(api.backend.repo.find("kafka_users", lambda r: True)) == 2  # soft delete kept the old one


@pytest.mark.parametrize("bad", ["10.0.0.999", "not-an-ip", "10.0.0.1, nope"])
def test_malformed_whitelist_ips_is_400(api, bad):
    response = api.post(PATH, json=user_body(whitelist_ips=bad))
    assert response.status_code == 400
    assert response.json()["detail"].startswith("whitelist_ips: '")
    assert "is not an IP address or CIDR block" in response.json()["detail"]


@pytest.mark.parametrize("drop, where", [
    ("username", ["body", "username"]),
    ("password", ["body", "password"]),
])
def test_username_and_password_are_required(api, drop, where):
    body = {k: v for k, v in user_body().items() if k != drop}
    response = api.post(PATH, json=body)
    assert response.status_code == 422
    assert [issue["loc"] for issue in response.json()["detail"]] == [where]


def test_acl_fields_are_required(api):
    response = api.post(PATH, json=user_body(kafka_acls=[{"operation": "READ"}]))
    assert response.status_code == 422
    locs = [issue["loc"] for issue in response.json()["detail"]]
    assert ["body", "kafka_acls", 0, "resource"] in locs


def test_read_only_cannot_write(api):
    create(api)
    before = api.get(PATH).json()
    for response in (
        api.post(PATH, as_="mock-readonly", json=user_body(username="x")),
        api.put(f"{PATH}/reader", as_="mock-readonly", json={"kafka_acls": []}),
        api.delete(f"{PATH}/reader", as_="mock-readonly"),
    ):
        assert response.status_code == 403
        assert response.json()["detail"] == "The credential 'mock-readonly' lacks the 'write' permission"
    assert api.get(PATH).json() == before


def test_no_token_is_401(api):
    assert api.client.get(PATH).status_code == 401
