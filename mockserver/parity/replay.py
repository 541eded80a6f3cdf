"""Sending a cassette's requests, in order, to a server and comparing each answer with the recorded one."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Iterable

import httpx

from mockserver.parity.cassette import LOGIN_PATH, Interaction, json_body
from mockserver.parity.compare import Comparison, Finding, IdMap, learn_ids

# Not replayed as recorded: the transport's own, and the login's token (the replay brings its own).
_SKIPPED_HEADERS = {"host", "content-length", "connection", "transfer-encoding", "authorization", "accept-encoding"}


class ReplayError(Exception):
    """The replay could not go on (the target cannot be reached); the message says why."""


@dataclass(frozen=True)
class Credentials:
    client_id: str
    secret: str


@dataclass(frozen=True)
class Outcome:
    interaction: Interaction
    status: int | None  # None: no answer
    findings: tuple[Finding, ...]

    @property
    def identical(self) -> bool:
        return not self.findings


@dataclass
class Result:
    cassette: str
    target: str
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    # Values the replay itself sent or received that must not reach a report (the secret, tokens).
    secrets: set[str] = field(default_factory=set, repr=False)

    @property
    def identical(self) -> int:
        return sum(outcome.identical for outcome in self.outcomes)

    @property
    def parity(self) -> float:
        return self.identical / len(self.outcomes) if self.outcomes else 1.0

    @property
    def differences(self) -> list[tuple[Outcome, Finding]]:
        return [(outcome, finding) for outcome in self.outcomes for finding in outcome.findings]


class Replay:
    """One replay against ``target``: ids it learns and the token it holds live as long as the object."""

    def __init__(self, target: str, credentials: Credentials | None = None, *, ignore: Iterable[str] = (),
                 timeout: float = 30.0, client: httpx.Client | None = None) -> None:
        self.target = target.rstrip("/")
        self.credentials = credentials
        self.ignore = tuple(ignore)
        self.ids = IdMap()
        self.token: str | None = None
        self._client = client or httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def run(self, interactions: list[Interaction], cassette: str = "") -> Result:
        result = Result(cassette=cassette, target=self.target)
        if self.credentials is not None:
            result.secrets.add(self.credentials.secret)
        # The provider's recorder deletes Authorization from every request: then every request
        # but a login gets the token; where the header was recorded (masked), only those do.
        authorize_all = not any(_has_header(i, "authorization") for i in interactions)
        started = time.perf_counter()
        if self.credentials is not None and not any(i.is_login for i in interactions):
            answer = self._log_in(LOGIN_PATH, {}, {}, result)
            if isinstance(answer, str) or not answer.is_success:
                status = answer if isinstance(answer, str) else answer.status_code
                raise ReplayError(f"logging in at {self.target}{LOGIN_PATH} as {self.credentials.client_id} "
                                  f"failed: {status}")
        for interaction in interactions:
            result.outcomes.append(self._replay(interaction, authorize_all, result))
        result.seconds = time.perf_counter() - started
        return result

    # ---- one interaction ------------------------------------------------------

    def _replay(self, interaction: Interaction, authorize_all: bool, result: Result) -> Outcome:
        headers = {name: ", ".join(values) for name, values in interaction.headers.items()
                   if name.lower() not in _SKIPPED_HEADERS}
        if interaction.is_login:
            _, recorded_body = json_body(interaction.body)
            answer = self._log_in(interaction.path, recorded_body if isinstance(recorded_body, dict) else {},
                                  headers, result)
        else:
            if self.token and (authorize_all or _has_header(interaction, "authorization")):
                headers["Authorization"] = f"Bearer {self.token}"
            url = self.target + self.ids.apply(interaction.path)
            if interaction.query:
                url += "?" + self.ids.apply(interaction.query)
            answer = self._send(interaction.method, url, headers, self.ids.apply(interaction.body).encode())
        if isinstance(answer, str):  # no answer at all
            return Outcome(interaction, None, (Finding("status", "$", interaction.status, answer),))
        return Outcome(interaction, answer.status_code, tuple(self._compare(interaction, answer)))

    def _log_in(self, path: str, recorded: dict, headers: dict[str, str], result: Result) -> httpx.Response | str:
        body = dict(recorded)
        if self.credentials is not None:
            body.update(client_id=self.credentials.client_id, secret=self.credentials.secret)
        headers = {**headers, "Content-Type": "application/json"}
        answer = self._send("POST", self.target + path, headers, json.dumps(body).encode())
        if not isinstance(answer, str) and answer.is_success:
            try:
                payload = answer.json()
            except ValueError:
                payload = None
            if isinstance(payload, dict):
                self.token = payload.get("accessToken") or payload.get("access_token") or self.token
                result.secrets.update(str(v) for k, v in payload.items() if "token" in k.lower() and v)
        return answer

    def _send(self, method: str, url: str, headers: dict[str, str], body: bytes) -> httpx.Response | str:
        try:
            return self._client.request(method, url, headers=headers, content=body or None)
        except httpx.ConnectError as exc:
            raise ReplayError(f"cannot reach {self.target}: {exc}") from None
        except httpx.HTTPError as exc:  # a timeout, a dropped connection: this interaction has no answer
            return f"no answer ({type(exc).__name__})"

    def _compare(self, interaction: Interaction, answer: httpx.Response) -> list[Finding]:
        recorded_json, recorded = json_body(interaction.response_body)
        replayed_json, replayed = json_body(answer.text)
        if answer.status_code != interaction.status:
            if recorded_json and replayed_json and answer.is_success and 200 <= interaction.status < 300:
                learn_ids(recorded, replayed, self.ids)  # 201 for 200 still created what later requests name
            # Bodies of two different outcomes say different things; the status is the difference.
            return [Finding("status", "$", interaction.status, answer.status_code)]
        if interaction.response_excerpt:
            return []  # a part of a body cannot be held against the whole: the status is all there is
        if recorded_json and replayed_json:
            return Comparison(self.ids, self.ignore, shape_only=interaction.is_login)(recorded, replayed)
        if recorded_json != replayed_json or self.ids.apply(recorded) != replayed:
            return [Finding("value" if recorded_json == replayed_json else "type", "$", recorded, replayed)]
        return []


def _has_header(interaction: Interaction, name: str) -> bool:
    return any(key.lower() == name for key in interaction.headers)


def replay(interactions: list[Interaction], target: str, credentials: Credentials | None = None, *,
           cassette: str = "", ignore: Iterable[str] = (), timeout: float = 30.0) -> Result:
    session = Replay(target, credentials, ignore=ignore, timeout=timeout)
    try:
        return session.run(interactions, cassette)
    finally:
        session.close()

