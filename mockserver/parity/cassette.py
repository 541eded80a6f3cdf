"""Reading a go-vcr v4 cassette (format version 2), as the provider's recorder and the mock's journal write it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

FORMAT_VERSION = 2
LOGIN_PATH = "/auth/access-token"  # also under /api, where the 2.x provider asks


class CassetteError(Exception):
    """A file that is not a cassette this replay can read; the message says where."""


@dataclass(frozen=True)
class Interaction:
    number: int  # the interaction's id in the cassette
    method: str
    path: str
    query: str
    headers: dict[str, list[str]]
    body: str
    status: int
    response_body: str
    response_type: str
    # The recorded answer is an excerpt (the mock's journal cuts long bodies): its body cannot be compared.
    response_excerpt: bool = False

    @property
    def is_login(self) -> bool:
        return self.method == "POST" and self.path.endswith(LOGIN_PATH)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}" + (f"?{self.query}" if self.query else "")


def load(path: Path) -> list[Interaction]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CassetteError(f"{path}: cannot read it ({exc})") from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml reads 1,000 interactions ~10x faster
    try:
        document = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise CassetteError(f"{path}: not YAML ({exc})") from None
    return parse(document, str(path))


def parse(document: Any, where: str = "cassette") -> list[Interaction]:
    if not isinstance(document, dict) or not isinstance(document.get("interactions"), list):
        raise CassetteError(f"{where}: not a go-vcr cassette (no list of interactions)")
    if document.get("version") != FORMAT_VERSION:
        raise CassetteError(f"{where}: cassette format version {document.get('version')!r}, "
                            f"expected {FORMAT_VERSION} (what go-vcr v4 writes)")
    return [_interaction(item, index, f"{where}: interaction {index}") for index, item in
            enumerate(document["interactions"])]


def _interaction(item: Any, index: int, where: str) -> Interaction:
    try:
        request, response = item["request"], item["response"]
        url = urlsplit(request["url"])
        headers = {str(name): [str(v) for v in values or []] for name, values in (request.get("headers") or {}).items()}
        response_headers = {str(name).lower(): values for name, values in (response.get("headers") or {}).items()}
        return Interaction(
            number=int(item.get("id", index)), method=str(request["method"]).upper(), path=url.path or "/",
            query=url.query, headers=headers, body=str(request.get("body") or ""), status=int(response["code"]),
            response_body=str(response.get("body") or ""),
            response_type=(response_headers.get("content-type") or [""])[0],
            response_excerpt=_cut(response))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CassetteError(f"{where}: missing or malformed {exc}") from None


def _cut(response: dict) -> bool:
    """Only part of the answer was kept: a body short of its content length that no longer parses.

    A whole body edited by hand (shorter, still JSON) is compared as usual.
    """
    length, body = response.get("content_length"), str(response.get("body") or "")
    return isinstance(length, int) and length > len(body.encode()) and not json_body(body)[0]


def json_body(text: str) -> tuple[bool, Any]:
    """(True, value) for a JSON body, else (False, text); an empty body is JSON null."""
    if not text.strip():
        return True, None
    try:
        return True, json.loads(text)
    except ValueError:
        return False, text
