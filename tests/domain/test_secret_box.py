"""Secrets at rest (mockserver.domain.secrets.SecretBox), without a server."""

from __future__ import annotations

import stat

import pytest
from cryptography.fernet import Fernet

from mockserver.domain.secrets import MASK, SecretBox, box_for
from mockserver.errors import StartupError


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


def test_a_db_files_key_is_made_once_beside_it_with_mode_0600_and_reused(tmp_path):
    db = tmp_path / "not" / "yet" / "there.json"
    sealed = box_for(str(db), None).seal("pw")
    key_file = tmp_path / "not" / "yet" / "there.json.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert box_for(str(db), None, sealed).open(sealed) == "pw"
    assert SecretBox(key_file.read_text()).open(sealed) == "pw"


def test_a_store_in_memory_gets_a_key_of_its_own():
    box = box_for(None, None)
    assert box.open(box.seal({"a": 1})) == {"a": 1}
    assert box_for(None, None).seal("x") != box.seal("x")


def test_a_given_key_needs_no_key_file(tmp_path):
    key = Fernet.generate_key().decode()
    sealed = SecretBox(key).seal("pw")
    assert box_for(str(tmp_path / "db.json"), key, sealed).open(sealed) == "pw"
    assert not (tmp_path / "db.json.key").exists()


def test_a_lost_or_wrong_key_stops_start_up_naming_the_file_or_the_flag(tmp_path):
    db = str(tmp_path / "db.json")
    sealed = SecretBox(Fernet.generate_key()).seal("pw")
    problems = {
        (None, sealed): f"{db} holds secrets sealed with a key, but {db}.key is missing: "
                        "restore it, or pass the key with --secret-key",
        ("not-a-key", None): "--secret-key is not a Fernet key: ",
        (Fernet.generate_key().decode(), sealed): f"the secrets in {db} were sealed with another key than --secret-key",
    }
    for (key, held), message in problems.items():
        with pytest.raises(StartupError) as err:
            box_for(db, key, held)
        assert str(err.value).startswith(message), str(err.value)
    (tmp_path / "db.json.key").write_text(Fernet.generate_key().decode())
    with pytest.raises(StartupError) as err:
        box_for(db, None, sealed)
    assert str(err.value) == f"the secrets in {db} were sealed with another key than {db}.key"
    (tmp_path / "db.json.key").write_text("garbage")
    with pytest.raises(StartupError) as err:
        box_for(db, None)
    assert str(err.value).startswith(f"{db}.key is not a Fernet key: ")


def test_an_update_keeps_the_token_of_an_unchanged_secret_and_seals_a_changed_or_clear_one():
    box = SecretBox(Fernet.generate_key())
    before = box.seal_config({"password": 1, "token": "t", "key": "k!"}, ["password", "token", "key"])["config"]
    before["key"] = "k!"  # stored in clear (written before the key was a secret): sealed on the next write
    after = box.seal_config({"password": True, "token": "t", "key": "k!"}, ["password", "token", "key"], before)
    assert after["config"]["token"] == before["token"]
    # 1 == True in Python; as secrets they differ, and the new one is kept with its JSON type.
    assert after["config"]["password"] != before["password"]
    assert after["config"]["key"] != "k!"
    assert box.open_config(after) == {"password": True, "token": "t", "key": "k!"}
