"""The 3.x client retries a write whose error text contains 429, 502, 503 or 504 (10 s back-off),
and that text carries the response's X-Request-Id: no ordinary 4xx may look retryable."""

from __future__ import annotations

import re

import pytest

from tests.provider.wire import ApiError

RETRYABLE = re.compile(r"429|502|503|504|too many requests", re.IGNORECASE)


def test_no_ordinary_error_reads_as_retryable(v3):
    texts = []
    for n in range(300):
        with pytest.raises(ApiError) as err:
            v3.create_connector("sources", f"bad-{n}", "no-such-connector", {})
        assert err.value.status == 400
        texts.append(f"{err.value} (request id {err.value.request_id})")
    retryable = [text for text in texts if RETRYABLE.search(text)]
    assert not retryable, retryable
