"""Secrets at rest and on the wire.

Values of secret config keys are stored as Fernet tokens (never in clear in the
TinyDB file) and shown masked unless the caller asks for ``secret_returned``.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import re
import stat
from pathlib import Path
from typing import Any, Callable, Iterable

from cryptography.fernet import Fernet, InvalidToken

from mockserver.errors import StartupError

MASK = "********"
_PREFIX = "enc:v1:"


class SecretBox:
    def __init__(self, key: str | bytes) -> None:
        self._fernet = Fernet(key)
        # A token's clear text, remembered: every update opens the stored secrets, to compare and to keep them.
        self._decrypt = functools.lru_cache(maxsize=4096)(self._fernet.decrypt)

    def seal(self, value: Any) -> Any:
        # JSON-encode first so a secret keeps its JSON type after a round trip.
        if value is None:
            return None
        token = self._fernet.encrypt(json.dumps(value).encode()).decode()
        return _PREFIX + token

    def open(self, value: Any) -> Any:
        if not _is_sealed(value):
            return value
        try:
            return json.loads(self._decrypt(value[len(_PREFIX):].encode()))
        except InvalidToken as exc:  # a db written with another key
            raise RuntimeError("stored secret cannot be decrypted with the configured key") from exc

    def seal_config(self, config: dict, secret_keys: Iterable[str], previous: dict | None = None) -> dict:
        """A config's stored form, ``{"config", "secret_keys"}``: the secrets it holds sealed, and their keys.

        ``previous``: the stored config it replaces; a secret it already holds keeps its token
        (a Fernet encryption per secret was a tenth of an update's time).
        """
        keys = sorted(set(secret_keys) & config.keys())
        sealed = dict(config)
        for key in keys:
            kept = (previous or {}).get(key)
            # A token only (a value stored in clear is sealed now), compared as JSON text: 1 and true
            # are equal in Python, not as secrets.
            unchanged = _is_sealed(kept) and json.dumps(self.open(kept)) == json.dumps(sealed[key])
            sealed[key] = kept if unchanged else self.seal(sealed[key])
        return {"config": sealed, "secret_keys": keys}

    def open_config(self, stored: dict) -> dict:
        """The config of a record stored by ``seal_config``, secrets in clear."""
        return _with_values(stored["config"], stored.get("secret_keys", []), self.open)

    def shown_config(self, stored: dict, *, secret_returned: bool) -> dict:
        """The config of a record stored by ``seal_config`` as a response shows it: secrets in clear or masked."""
        if secret_returned:
            return self.open_config(stored)
        # A sealed value is null exactly when the secret was: masking needs no decryption.
        return mask_config(stored["config"], stored.get("secret_keys", []))


def _is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(_PREFIX)


def _with_values(config: dict, keys: Iterable[str], change: Callable[[Any], Any]) -> dict:
    changed = dict(config)
    for key in keys:
        if key in changed:
            changed[key] = change(changed[key])
    return changed


def unmask(config: dict, stored: dict, keys: Iterable[str]) -> dict:
    """A config sent back on update, each secret still masked (``********``) replaced by its stored value.

    A client that reads an entity without ``secret_returned`` and PUTs the config
    back keeps its secrets instead of storing the mask as the new value.
    """
    kept = dict(config)
    for key in keys:
        if kept.get(key) == MASK and stored.get(key) is not None:
            kept[key] = stored[key]
    return kept


def mask_config(config: dict, keys: Iterable[str]) -> dict:
    """Hide secret values; an absent (null) secret stays null, as the backend does."""
    masked = dict(config)
    for key in keys:
        if masked.get(key) is not None:
            masked[key] = MASK
    return masked


SEALED = re.compile(rb'"(' + _PREFIX.encode() + rb'[^"]+)"')


def box_for(db_path: str | None, key: str | None, sealed: str | None = None) -> SecretBox:
    """The box of a db file (``None``: a store in memory), checked against ``sealed``, a secret it holds.

    A lost or wrong key stops start-up here; served, it would fail every read of a secret.
    """
    key_path = Path(f"{db_path}.key")
    if key is None and sealed and not key_path.exists():
        raise StartupError(f"{db_path} holds secrets sealed with a key, but {key_path} is missing: "
                           "restore it, or pass the key with --secret-key")
    source = "--secret-key" if key else str(key_path)
    try:
        box = SecretBox(key or (load_or_create_key(db_path) if db_path else ephemeral_key()))
    except ValueError as exc:
        raise StartupError(f"{source} is not a Fernet key: {exc}") from None
    if sealed:
        try:
            box.open(sealed)
        except RuntimeError:
            raise StartupError(f"the secrets in {db_path} were sealed with another key than {source}") from None
    return box


def load_or_create_key(db_path: str) -> str:
    """The key of a db file, kept in ``<db>.key`` beside it.

    Mode 0600, or 0660 (less the umask) in a group-writable folder such as the
    image's ``/data``: there every uid of the group shares the database, so it
    needs the key too.
    """
    key_path = Path(db_path + ".key")
    if key_path.exists():
        return key_path.read_text().strip()
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    shared = key_path.parent.stat().st_mode & stat.S_IWGRP
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o660 if shared else 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def ephemeral_key() -> str:
    return Fernet.generate_key().decode()


# ---- one-way hashes for passwords and client secrets ----------------------------

_HASH_SCHEME = "pbkdf2_sha256"
_HASH_ROUNDS = 60_000


def hash_secret(secret: str) -> str:
    """A salted PBKDF2 hash; only the hash is stored, so the secret cannot be read back."""
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, _HASH_ROUNDS)
    return f"{_HASH_SCHEME}${_HASH_ROUNDS}${salt.hex()}${digest.hex()}"


def verify_secret(secret: str, stored: str) -> bool:
    scheme, rounds, salt, digest = stored.split("$")
    if scheme != _HASH_SCHEME:
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", secret.encode(), bytes.fromhex(salt), int(rounds))
    return hmac.compare_digest(candidate.hex(), digest)
