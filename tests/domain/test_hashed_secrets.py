"""One-way secret hashes, and credentials that check against them."""

from __future__ import annotations

from mockserver.domain.secrets import hash_secret, verify_secret
from mockserver.domain.tenancy import Credential


def test_hash_is_salted_and_verifies_only_the_right_secret():
    first, second = hash_secret("s3cret"), hash_secret("s3cret")
    assert first != second
    assert "s3cret" not in first
    assert verify_secret("s3cret", first) and verify_secret("s3cret", second)
    assert not verify_secret("s3cret!", first)
    assert not verify_secret("s3cret", "md5$1$00$00")


def test_credential_checks_its_hash_or_its_clear_fixture_secret():
    hashed = Credential("c1", "", "tenant-acme", "service-acme-prod", ("admin",), secret_hash=hash_secret("abc"))
    clear = Credential("c2", "abc", "tenant-acme", "service-acme-prod", ("admin",))
    assert hashed.verify("abc") and clear.verify("abc")
    assert not hashed.verify("") and not clear.verify("abd")
