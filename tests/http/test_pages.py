"""The pages a person opens: ``/`` (where to start), ``/docs`` and the control plane's ``/__mock/docs``."""

from __future__ import annotations

import re

from mockserver import __version__


def test_the_home_page_shows_the_version_credentials_and_links(api):
    response = api.client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert f"streamkap-mock {__version__}" in page
    for credential in api.backend.directory.fixture_credentials():
        assert f"<code>{credential.client_id}</code></td><td><code>{credential.secret}</code>" in page
    assert set(re.findall(r'href="([^"]+)"', page)) == {"/docs", "/openapi.json", "/__mock/docs", "/__mock/health"}
    for link in ("/docs", "/openapi.json", "/__mock/docs", "/__mock/health"):
        assert api.client.get(link).status_code == 200, link


def test_without_a_control_plane_the_home_page_does_not_link_to_it(make_api):
    api = make_api(admin=False)
    page = api.client.get("/").text
    assert "/__mock" not in page
    assert api.client.get("/__mock/docs").status_code == 404


def test_the_control_plane_page_is_swagger_ui_over_its_own_document(api):
    page = api.client.get("/__mock/docs").text
    assert '"url": "/__mock/openapi.json"' in page
    assert "/docs/assets/swagger-ui-bundle.js" in page
    assert api.client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_the_control_plane_page_needs_no_admin_token_but_its_document_and_operations_do(make_api):
    api = make_api(admin_token="s3cret")
    assert api.client.get("/__mock/docs").status_code == 200
    assert api.client.get("/__mock/openapi.json").status_code == 401
    assert api.client.get("/__mock/openapi.json", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    assert api.client.get("/__mock/faults").status_code == 401


def _login_example(document: dict, path: str) -> dict:
    media = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]
    [ref] = [example["$ref"] for example in media["examples"].values()]
    return document["components"]["examples"][ref.rsplit("/", 1)[1]]["value"]


def test_the_docs_login_is_filled_in_with_a_credential_that_logs_in(api):
    document = api.client.get("/openapi.json").json()
    for path in ("/auth/access-token", "/api/auth/access-token"):
        body = _login_example(document, path)
        response = api.client.post(path, json=body)
        assert response.status_code == 200, (path, response.text)
        assert response.json()["accessToken"]


def test_the_documents_speak_to_users_not_maintainers(api):
    for url in ("/openapi.json", "/__mock/openapi.json"):
        document = api.client.get(url).json()
        assert document["info"]["version"] == __version__
        text = str(document).lower()
        assert "regenerate" not in text and "appendix" not in text, url
