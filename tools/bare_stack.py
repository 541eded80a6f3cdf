"""The bare stack the mock is built on, as a benchmark's anchor: what the mock's requests cost at the least.

    python tools/bare_stack.py --port 8000 --db DIR/bare.journal [--records sources.json]

A Starlette app on uvicorn (uvloop, httptools) with orjson that keeps sources in a
dict and appends every write to a journal file, fsync'd before the answer
(concurrent writers share one fsync, as the mock's do). No auth, no validation,
no logging, no control plane. It answers the paths ``tools/benchmark.py`` sends
in the mock's shapes: ``GET /sources/{id}`` and ``GET /sources?page=&page_size=``
in the list envelope, ``PUT /sources/{id}`` and ``POST /sources`` with the record.
At start-up it loads ``--records`` (a JSON list) and replays the journal over it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import uuid
from pathlib import Path

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


class Journal:
    """An append-only file of written records; ``durable`` waits for an fsync that covers a write."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self.written = self.synced = 0
        self.flushing: asyncio.Future | None = None

    def append(self, record: dict) -> int:
        os.write(self.fd, orjson.dumps(record) + b"\n")
        self.written += 1
        return self.written

    def _sync(self, upto: int) -> None:
        os.fsync(self.fd)
        self.synced = max(self.synced, upto)

    async def durable(self, seq: int) -> None:
        while self.synced < seq:
            if self.flushing is None or self.flushing.done():
                self.flushing = asyncio.get_running_loop().run_in_executor(None, self._sync, self.written)
            await asyncio.shield(self.flushing)


def build(db: Path, records: Path | None) -> Starlette:
    sources: dict[str, dict] = {}
    for record in orjson.loads(records.read_bytes()) if records else []:
        sources[record["id"]] = record
    if db.exists():
        for line in db.read_bytes().splitlines():
            record = orjson.loads(line)
            sources[record["id"]] = record
    journal = Journal(db)

    def answer(payload: dict, status: int = 200) -> Response:
        return Response(orjson.dumps(payload), status, media_type="application/json")

    async def list_page(request: Request) -> Response:
        page, size = int(request.query_params.get("page", 1)), int(request.query_params.get("page_size", 10))
        ordered = list(sources.values())
        return answer({"total": len(ordered), "page_size": size, "page": page,
                       "result": ordered[(page - 1) * size: page * size]})

    async def get_one(request: Request) -> Response:
        record = sources.get(request.path_params["id"])
        return answer({"result": [record] if record else []})

    async def write(record: dict, status: int) -> Response:
        sources[record["id"]] = record
        await journal.durable(journal.append(record))
        return answer(record, status)

    async def create(request: Request) -> Response:
        return await write({**orjson.loads(await request.body()), "id": uuid.uuid4().hex[:24]}, 201)

    async def update(request: Request) -> Response:
        entity_id = request.path_params["id"]
        if entity_id not in sources:
            return answer({"detail": "not found"}, 404)
        return await write({**sources[entity_id], **orjson.loads(await request.body()), "id": entity_id}, 200)

    return Starlette(routes=[
        Route("/sources", list_page, methods=["GET"]),
        Route("/sources", create, methods=["POST"]),
        Route("/sources/{id}", get_one, methods=["GET"]),
        Route("/sources/{id}", update, methods=["PUT"]),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", type=Path, required=True, help="the journal file (created if absent)")
    parser.add_argument("--records", type=Path, help="a JSON list of records to start with")
    args = parser.parse_args()
    uvicorn.run(build(args.db, args.records), host="127.0.0.1", port=args.port, log_level="warning",
                access_log=False, ws="none")


if __name__ == "__main__":
    main()
