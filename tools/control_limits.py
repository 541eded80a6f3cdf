"""Figures for the control plane's limits (docs/control-plane.md, "Limits"), against a live server.

    python tools/control_limits.py [--compare-with TREE]

Starts ``streamkap-mock serve`` (control plane on, the defaults otherwise) on a
temporary database and prints:

- upload: time to a 413 and RSS growth for ``Content-Length: 52428800`` sent with
  no body, and for 200 chunks of 1 MiB sent without a length;
- journal: RSS growth after 300 requests of 250 KB;
- cassette: the longest wait of a health probe (sent every 50 ms) while the
  cassette of a full journal is exported, and the export's time;
- regex: how long ``(a+)+$`` holds a request to ``/aaa…a!`` and the longest wait
  of a health probe sent meanwhile, and the same for the largest pattern RE2 is allowed on the longest
  path the server takes.

With ``--compare-with TREE`` (a checkout, e.g. ``git worktree add /tmp/before main``)
the same runs against that tree's server too. Figures only: nothing here passes or
fails, and a busy machine changes them; say what else ran beside the figures you keep.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchmark import ROOT, Mock, rss_mib  # noqa: E402

MiB = 1 << 20


def _send_and_time(port: int, head: bytes, chunks: int = 0, chunk: bytes = b"") -> tuple[float, bytes]:
    """Send ``head`` then up to ``chunks`` chunks (chunked encoding) while reading; seconds to the status line."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        started = time.perf_counter()
        sock.sendall(head)
        answer = bytearray()

        def upload() -> None:
            try:
                for _ in range(chunks):
                    sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                if chunks:
                    sock.sendall(b"0\r\n\r\n")
            except OSError:  # the server answered and closed: the rest is never sent
                pass

        sender = threading.Thread(target=upload, daemon=True)
        sender.start()
        sock.settimeout(120)
        while b"\r\n" not in answer:
            data = sock.recv(4096)
            if not data:
                break
            answer += data
        elapsed = time.perf_counter() - started
        sender.join(timeout=5)
    return elapsed, bytes(answer.split(b"\r\n", 1)[0])


def upload(mock: Mock) -> None:
    port, pid = mock.port, mock.process.pid
    before = rss_mib(pid)
    head = (b"POST /sources HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 52428800\r\n\r\n")
    elapsed, status = _send_and_time(port, head)
    print(f"  Content-Length 50 MB, no body: {status.decode()!r} after {elapsed * 1000:.0f} ms, "
          f"RSS +{rss_mib(pid) - before:.1f} MiB")
    before = rss_mib(pid)
    head = (b"POST /sources HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    elapsed, status = _send_and_time(port, head, 200, b"x" * MiB)
    print(f"  200 x 1 MiB chunked: {status.decode()!r} after {elapsed * 1000:.0f} ms, "
          f"RSS +{rss_mib(pid) - before:.1f} MiB")


def journal(mock: Mock, count: int = 300, size: int = 250_000) -> None:
    pid = mock.process.pid
    body = b'{"name":"big","connector":"postgresql","config":{"table.include.list.user.defined":"' \
           + b"t," * (size // 2) + b'"}}'
    before = rss_mib(pid)
    with httpx.Client(base_url=mock.url, timeout=60) as client:
        for _ in range(count):  # no token: 401, so only the journal keeps anything
            client.post("/sources", content=body, headers={"Content-Type": "application/json"})
    print(f"  {count} requests of {len(body) // 1000} KB: RSS +{rss_mib(pid) - before:.1f} MiB")


def probe_while(mock: Mock, work) -> tuple[float, float]:
    """(longest health probe wait, seconds ``work`` took), probing every 50 ms while it runs."""
    done, waits = threading.Event(), []

    def probe() -> None:
        with httpx.Client(base_url=mock.url, timeout=120) as client:
            while not done.is_set():
                started = time.perf_counter()
                client.get("/__mock/health")
                waits.append(time.perf_counter() - started)
                time.sleep(0.05)

    prober = threading.Thread(target=probe)
    prober.start()
    time.sleep(0.2)
    started = time.perf_counter()
    work()
    took = time.perf_counter() - started
    done.set()
    prober.join()
    return max(waits), took


def cassette(mock: Mock) -> None:
    journal(mock, 1_100)  # past the byte cap: the journal is full
    with httpx.Client(base_url=mock.url, timeout=600) as client:
        texts: list[bytes] = []
        waited, took = probe_while(mock, lambda: texts.append(
            client.get("/__mock/requests", params={"format": "cassette"}).content))
    interactions = texts[0].count(b"\n- id: ")
    print(f"  cassette of {interactions} interactions ({len(texts[0]) / MiB:.0f} MiB) in {took:.1f} s; "
          f"longest health probe meanwhile {waited * 1000:.0f} ms")


def regex(mock: Mock) -> None:
    with httpx.Client(base_url=mock.url, timeout=600) as client:
        for pattern, path in ((r"(a+)+$", "/" + "a" * 27 + "!"), (r"(.*a){26}", "/" + "a" * 60_000 + "!")):
            client.delete("/__mock/faults")
            added = client.post("/__mock/faults", json={"match": {"path_regex": pattern}, "respond": {"status": 503}})
            if added.status_code != 201:
                print(f"  fault {pattern!r}: refused {added.status_code} {added.json()['detail'][:80]}")
                continue
            held: list[float] = []

            def request() -> None:
                started = time.perf_counter()
                client.get(path)
                held.append(time.perf_counter() - started)

            waited, took = probe_while(mock, request)
            print(f"  fault {pattern!r} on a {len(path):,}-char path: request held {held[0] * 1000:.0f} ms, "
                  f"longest health probe meanwhile {waited * 1000:.0f} ms")
            waited, took = probe_while(mock, lambda: client.get("/__mock/requests", params={"path_regex": pattern}))
            print(f"  journal filter {pattern!r}: {took * 1000:.0f} ms, longest health probe meanwhile "
                  f"{waited * 1000:.0f} ms")
        client.delete("/__mock/faults")


def run(tree: Path) -> None:
    print(f"server from {tree}")
    for name, measure in (("upload", upload), ("journal", journal), ("cassette", cassette), ("regex", regex)):
        with tempfile.TemporaryDirectory() as folder:
            mock = Mock(Path(folder) / "db.json", tree)
            try:
                print(f"{name}:")
                measure(mock)
            except (httpx.HTTPError, OSError) as exc:
                print(f"  failed: {type(exc).__name__}: {exc}")
            finally:
                mock.process.kill()
                mock.process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--compare-with", type=Path, help="another checkout to measure the same way")
    args = parser.parse_args()
    run(ROOT)
    if args.compare_with:
        run(args.compare_with)


if __name__ == "__main__":
    main()
