"""Secrets at rest (mockserver.domain.secrets.SecretBox), without a server."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from mockserver.domain.secrets import MASK, SecretBox


def test_a_config_stored_without_secret_keys_shows_as_it_is():
    box = SecretBox(Fernet.generate_key())
    stored = {"config": {"host": "db", "port": 5432}}
    assert box.open_config(stored) == {"host": "db", "port": 5432}
    assert box.shown_config(stored, secret_returned=False) == {"host": "db", "port": 5432}


def test_secrets_round_trip_sealed_and_show_masked_unless_asked():
    box = SecretBox(Fernet.generate_key())
    # "!" is outside the sealed text's base64 alphabet, so it cannot show up there by chance.
    stored = box.seal_config({"host": "db", "password": "pw!", "port": 1}, ["password", "absent"])
    assert stored["secret_keys"] == ["password"] and "pw!" not in str(stored["config"])
    assert box.shown_config(stored, secret_returned=True) == {"host": "db", "password": "pw!", "port": 1}
    assert box.shown_config(stored, secret_returned=False) == {"host": "db", "password": MASK, "port": 1}


def test_a_secret_sealed_with_another_key_is_a_clear_error():
    sealed = SecretBox(Fernet.generate_key()).seal("pw")
    with pytest.raises(RuntimeError) as err:
        SecretBox(Fernet.generate_key()).open(sealed)
    assert str(err.value) == "stored secret cannot be decrypted with the configured key"
