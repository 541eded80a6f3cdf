"""The 3.x provider adopts a source or destination whose create says `already exists`.

It searches `GET /{kind}?secret_returned=true&page=N&page_size=100&partial_name=<name>`
page by page until a short page, and takes the entity whose name matches exactly.
With more than 100 entities whose names contain the wanted one, the match is on
page 2, so paging, page_size and partial_name all have to be right.
"""

from __future__ import annotations

import pytest

from tests.provider.configs import connectors, plugin_fields, v3_config
from tests.provider.wire import PAGE_SIZE, ApiError

SIMILAR = 120  # names that contain the wanted name, created before it


def smallest_connector(kind: str) -> str:
    # Fewest fields: the quickest entity to create many times over.
    return min(connectors(kind), key=lambda code: (len(plugin_fields(kind, code)), code))


@pytest.mark.parametrize("kind", ["sources", "destinations"])
def test_adopt_finds_the_exact_name_past_the_first_page(v3, ui, v2, kind):
    code = smallest_connector(kind)
    config = v3_config(kind, code)
    wanted = f"orders-{kind}"
    for i in range(SIMILAR):
        ui.create_connector(kind, f"{wanted}-{i:03d}", code, config)
    ui.create_connector(kind, f"unrelated-{kind}", code, config)
    orphan = ui.create_connector(kind, wanted, code, config)  # e.g. a create whose answer was lost

    first = ui._call("GET", f"/{kind}?secret_returned=true&page=1&page_size={PAGE_SIZE}&partial_name={wanted}")
    assert first["total"] == SIMILAR + 1 and first["page_size"] == PAGE_SIZE
    assert len(first["result"]) == PAGE_SIZE and all(wanted in e["name"] for e in first["result"])
    assert wanted not in {e["name"] for e in first["result"]}  # so the provider has to read page 2

    # The backend says 409 "... already exists"; the provider adopts instead of failing.
    with pytest.raises(ApiError) as err:
        ui._call("POST", f"/{kind}?secret_returned=true&wait=false",
                  {"name": wanted, "connector": code, "config": config, "created_from": "terraform", "tags": None})
    assert err.value.status == 409 and "already exists" in err.value.detail
    adopted = v3.create_connector(kind, wanted, code, config)
    assert adopted["id"] == orphan["id"] and adopted["name"] == wanted
    assert v3.get_connector(kind, orphan["id"])["name"] == wanted

    # The provider's full listing (sweepers) pages until a short page too.
    assert len(v3.list_all(kind)) == SIMILAR + 2

    # 2.x has no adopt path: the 409 reaches the user with its detail string.
    with pytest.raises(ApiError) as err:
        v2.create_connector(kind, wanted, code, config)
    assert err.value.status == 409 and "already exists" in err.value.detail
