"""Behaviour bugs found by driving a live server as a client would; each test reproduces one."""

from __future__ import annotations


def test_a_kafka_user_that_could_never_be_addressed_is_refused(api):
    # The username is a path segment of PUT/DELETE; with a '/' in it the user could not be deleted.
    body = {"username": "team/etl", "password": "pw", "whitelist_ips": "", "kafka_acls": [],
            "is_create_schema_registry": False}
    response = api.post("/kafka-access/kafka-users", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "username"]
    assert api.get("/kafka-access/kafka-users").json() == []
