"""Figures for docs/benchmarks.md: the mock beside the bare stack and json-server, and as its store grows.

    python tools/benchmark.py concurrent [--records 1000] [--duration 10] [--connections 32] [--no-json-server]
    python tools/benchmark.py profile [--duration 10] [--top 15]
    python tools/benchmark.py scale [--sizes 1000,10000,100000] [--samples 200] [--compare-with TREE]
    python tools/benchmark.py turns --compare-with TREE [--rounds 3] [--duration 4]
    python tools/benchmark.py            # both

``concurrent`` runs ``wrk -t2 -c<connections> -d<duration>s`` (Debian: ``apt-get install wrk``)
for GET by id, a list page of 10, PUT and POST against the mock, the bare stack
it is built on (``tools/bare_stack.py``: Starlette, uvicorn, orjson, a dict and an
fsync'd journal; run op by op in turns with the mock) and, when
``npx -y json-server@0.17.4`` runs, json-server holding the same records; it prints
requests/s, the ratios, server CPU per request (from /proc/<pid>/stat), non-2xx
answers, the latency of a GET sent every 20 ms while the POSTs run, and whether
every acknowledged create is still there after a restart, and the start-up of
the mock and json-server on those records (json-server's executable is run directly).

``profile`` runs the same wrk load against the mock, op by op, under ``py-spy
record`` (``pip install py-spy``; it needs ptrace rights) and prints, per op, the
functions with the most samples: own % (on top of the stack) and cumulative %
(anywhere in it), counted over the server's event-loop thread and its workers.

``turns`` runs the same four operations against a mock from this checkout and
one from ``--compare-with TREE`` (e.g. ``git worktree add /tmp/before <commit>``),
each on its own copy of the same records, in turns for ``--rounds`` rounds, and
prints the medians: a change measured beside what it changes, on the same machine.

``scale`` fills a database with N sources (copies of one made through the API),
then prints start-up time (on that file, then on a restart), RSS, file size and
sequential p50/p99 of get, list (middle page), post, put and delete. With
``--compare-with TREE`` it also times restarts of another checkout (e.g. ``git
worktree add /tmp/before <commit>``) on a copy of each file, in turns with this one.

Figures only: nothing here passes or fails. The machine's load changes them; say
which machine and what else ran beside the figures you keep.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from mockserver.domain.records import new_id  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CONFIG = {
    "database.hostname.user.defined": "db.example.com",
    "database.port.user.defined": 5432,
    "database.user": "streamkap",
    "database.password": "secret123",
    "database.dbname": "mydb",
    "schema.include.list": "public",
    "table.include.list.user.defined": "public.users,public.orders,public.items",
}


def source_body(name: str) -> dict:
    return {"name": name, "connector": "postgresql",
            "config": {**CONFIG, "slot.name": f"slot_{name}", "publication.name": f"pub_{name}"}}


def update_body(name: str) -> dict:
    """A source's whole-body update: no slot or publication, which are set once and kept."""
    return {"name": name, "connector": "postgresql", "config": dict(CONFIG)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 120) -> float:
    """Seconds until ``url`` answers, asked over a bare socket (an HTTP client's own set-up would count)."""
    started = time.perf_counter()
    host_port, _, path = url.split("://", 1)[1].partition("/")
    port = int(host_port.split(":")[1])
    request = f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nConnection: close\r\n\r\n".encode()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"server exited: {process.args} (its log, if any, is beside its database)")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
                sock.sendall(request)
                if sock.recv(16).startswith(b"HTTP/"):
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.005)
    raise SystemExit(f"{process.args} did not answer within {timeout} s")


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its descendants (npx starts node as a child)."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += tree_cpu_seconds(int(child))
    except FileNotFoundError:
        pass
    return total


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Mock:
    """A ``streamkap-mock serve`` process on a database file, from this checkout or from ``tree``."""

    # The server's own default: an access line per request, written (to a file beside the database).
    log_level = "info"

    def __init__(self, db: Path, tree: Path = ROOT) -> None:
        self.db = db
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # As installed from a wheel, with bytecode: a shell that forbids writing it would time compiling.
        # Started from the database's folder, so that only ``tree`` holds a ``mockserver`` package.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPATH"] = str(tree)
        self.log = db.with_name(db.name + ".log")  # the server's own lines, out of the figures' way
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-c", "from mockserver.cli import main; main()",
                                             "serve", "--port", str(self.port), "--db", str(db),
                                             "--log-level", self.log_level], stdout=subprocess.DEVNULL, stderr=log,
                                            env=env, cwd=db.parent)
        self.startup = wait_until_up(f"{self.url}/auth/access-token", self.process)  # a 405, at once
        token = httpx.post(f"{self.url}/auth/access-token",
                           json={"client_id": "mock-client", "secret": "mock-secret"}).json()["accessToken"]
        self.headers = {"Authorization": f"Bearer {token}"}
        self.http = httpx.Client(base_url=self.url, headers=self.headers, timeout=60)

    def stop(self) -> None:
        self.http.close()
        self.process.send_signal(signal.SIGINT)  # a clean shutdown: compacts the journal
        self.process.wait(timeout=600)


def startup_of(db: Path, tree: Path = ROOT) -> float:
    """Seconds a server from ``tree`` takes to answer on ``db`` (it is stopped again)."""
    mock = Mock(db, tree)
    mock.stop()
    return mock.startup


def fill(db: Path, count: int) -> list[str]:
    """A database holding ``count`` sources (copies of one made by the mock) and their topics; their ids."""
    mock = Mock(db)
    try:
        made = mock.http.post("/sources", json=source_body("template")).json()
    finally:
        mock.stop()
    data = json.loads(db.read_text())
    template = data["sources"]["1"]
    topic_templates = list(data["topics"].values())
    sources, topics, ids = {}, {}, []
    for n in range(count):
        entity_id, name = new_id(), f"bench-{n}"
        topic_ids = [new_id() for _ in topic_templates]
        topic_names = [t["name"].replace(made["id"], entity_id) for t in topic_templates]
        config = {**template["config"], "slot.name": f"slot_{name}", "publication.name": f"pub_{name}"}
        sources[str(n + 1)] = {**template, "id": entity_id, "name": name, "config": config,
                               "topic_ids": topic_ids, "topics": topic_names}
        for t, (topic_id, topic_name) in enumerate(zip(topic_ids, topic_names)):
            topics[str(len(topics) + 1)] = {**topic_templates[t], "id": topic_id, "name": topic_name,
                                            "prefix": topic_name.split(".", 1)[0], "entity_id": entity_id}
        ids.append(entity_id)
    data["sources"], data["topics"] = sources, topics
    db.write_text(json.dumps(data, separators=(",", ":")))
    return ids


# ---- concurrent: wrk against the mock and json-server --------------------------

LUA = """
local counter = 0
local ids = {%(ids)s}
local template = [==[%(template)s]==]
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function request()
  counter = counter + 1
  local name = "%(kind)s_" .. tid .. "_" .. counter .. "_" .. math.random(1000000000)
  local body = template:gsub("__NAME__", name)
  local path = "%(path)s"
  if "%(method)s" == "PUT" then path = path .. ids[(counter %% #ids) + 1] end
  return wrk.format("%(method)s", path, {["Content-Type"] = "application/json", %(auth)s}, body)
end
"""


def json_server() -> str | None:
    """json-server 0.17.4's executable as npx installs it; run directly, as npx's own start-up takes ~1 s."""
    if shutil.which("npx") is None:
        return None
    found = subprocess.run(["npx", "-y", "-p", "json-server@0.17.4", "-c", "command -v json-server"],
                           capture_output=True, text=True, check=False)
    return found.stdout.strip() or None


def wrk(url: str, script: str | None, duration: int, connections: int, headers: dict, pid: int) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script or "")
    if script:
        command += ["-s", lua.name]
    cpu = tree_cpu_seconds(pid)
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    cpu = tree_cpu_seconds(pid) - cpu
    os.unlink(lua.name)
    total = int(re.search(r"(\d+) requests in", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)), "requests": total,
            "cpu_ms": cpu * 1000 / max(total, 1), "non2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(1) if errors else ""}


def settled(count: Callable[[], int]) -> int:
    """A count once it stops moving: wrk stops counting at its deadline, with up to one request
    per connection still in the server, which it then answers (and a create adds a record)."""
    last = count()
    while True:
        time.sleep(0.3)
        now = count()
        if now == last:
            return now
        last = now


def lua_script(kind: str, method: str, path: str, body: dict, ids: list[str], auth: dict) -> str:
    template = json.dumps(body).replace(json.dumps(kind + "-name")[1:-1], "__NAME__")
    return LUA % {"ids": ",".join(json.dumps(i) for i in ids[:200]), "template": template, "kind": kind,
                  "path": path, "method": method,
                  "auth": ", ".join(f'["{k}"] = "{v}"' for k, v in auth.items())}


def probe_gets(url: str, headers: dict, stop: threading.Event, samples: list[float]) -> None:
    """A GET every 20 ms while the writers run: how long does an unrelated read wait?"""
    with httpx.Client(headers=headers, timeout=30) as http:
        while not stop.is_set():
            started = time.perf_counter()
            http.get(url)
            samples.append((time.perf_counter() - started) * 1000)
            time.sleep(0.02)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else float("nan")


class BareStack:
    """``tools/bare_stack.py`` on the same records: the least the mock's stack costs per request."""

    def __init__(self, folder: Path, records: list[dict]) -> None:
        folder.mkdir(exist_ok=True)
        self.seed, self.journal = folder / "records.json", folder / "bare.journal"
        self.seed.write_text(json.dumps(records))
        self.start()

    def start(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([sys.executable, str(ROOT / "tools" / "bare_stack.py"), "--port",
                                         str(self.port), "--db", str(self.journal), "--records", str(self.seed)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_up(f"{self.url}/sources?page_size=1", self.process)

    def total(self) -> int:
        return httpx.get(f"{self.url}/sources?page_size=1").json()["total"]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)


def operations(base: str, ids: list[str], auth: dict, middle: int) -> dict[str, tuple[str, str | None]]:
    """The four measured operations on the mock's paths (the bare stack answers the same ones)."""
    return {
        "GET /sources/{id}": (f"{base}/sources/{ids[len(ids) // 2]}", None),
        "GET /sources (page of 10)": (f"{base}/sources?page={middle}&page_size=10", None),
        "PUT /sources/{id}": (base, lua_script("put", "PUT", "/sources/", update_body("put-name"), ids, auth)),
        "POST /sources": (base, lua_script("post", "POST", "/sources", source_body("post-name"), ids, auth)),
    }


def concurrent(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "db.json"
        ids = fill(db, args.records)
        mock = Mock(db)
        presented = [mock.http.get(f"/sources/{i}").json()["result"][0] for i in ids]
        mock.stop()
        js_server = json_server() if args.json_server else None
        js_dir = Path(tmp) / "json-server"
        js_dir.mkdir()
        (js_dir / "db.json").write_text(json.dumps({"sources": presented}))

        def start_json_server() -> tuple[subprocess.Popen, str, float]:
            assert js_server is not None
            port = free_port()
            process = subprocess.Popen([js_server, "--port", str(port), "--quiet", "db.json"], cwd=js_dir,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            base = f"http://127.0.0.1:{port}"
            return process, base, wait_until_up(f"{base}/sources/{ids[0]}", process)

        # Start-up on these records, before any write: the mock restarts on its own file, in
        # turns with json-server on the same records.
        startups: dict[str, list[float]] = {"mock": [], "json-server": []}
        for _ in range(args.restarts if js_server is not None else 0):
            startups["mock"].append(startup_of(db))
            server, _, startup = start_json_server()
            startups["json-server"].append(startup)
            server.terminate()
            server.wait()
        mock, bare = Mock(db), BareStack(Path(tmp) / "bare", presented)
        results: dict[str, dict[str, dict]] = {"mock": {}, "bare": {}, "json-server": {}}
        middle = args.records // 20
        get_probe: list[float] = []
        try:
            auth = mock.headers
            mine, anchor = operations(mock.url, ids, auth, middle), operations(bare.url, ids, auth, middle)
            for op, (url, script) in mine.items():
                # The bare stack first, then the mock: each pair sees the same machine.
                results["bare"][op] = wrk(*anchor[op], args.duration, args.connections, auth, bare.process.pid)
                stop = threading.Event()
                probe = None
                if op.startswith("POST"):
                    probe = threading.Thread(target=probe_gets, args=(
                        f"{mock.url}/sources/{ids[0]}", auth, stop, get_probe))
                    probe.start()
                results["mock"][op] = wrk(url, script, args.duration, args.connections, auth, mock.process.pid)
                stop.set()
                if probe:
                    probe.join()
            before = settled(lambda: mock.http.get("/sources?page_size=1").json()["total"])
            bare_before = settled(bare.total)
        finally:
            mock.stop()
            bare.stop()
        mock = Mock(db)
        after = mock.http.get("/sources?page_size=1").json()["total"]
        mock.stop()
        bare.start()
        bare_after = bare.total()
        bare.stop()

        if js_server is not None:
            server, base, _ = start_json_server()
            try:
                flat = {k: v for k, v in presented[0].items() if k not in ("id",)}
                ops = {
                    "GET /sources/{id}": (f"{base}/sources/{ids[len(ids) // 2]}", None),
                    "GET /sources (page of 10)": (f"{base}/sources?_page={middle}&_limit=10", None),
                    "PUT /sources/{id}": (base, lua_script("put", "PUT", "/sources/",
                                                           {**flat, "name": "put-name"}, ids, {})),
                    "POST /sources": (base, lua_script("post", "POST", "/sources",
                                                       {**flat, "name": "post-name"}, ids, {})),
                }
                for op, (url, script) in ops.items():
                    results["json-server"][op] = wrk(url, script, args.duration, args.connections, {}, server.pid)
            finally:
                server.terminate()
                server.wait()

    print(f"\nwrk -t2 -c{args.connections} -d{args.duration}s, {args.records} stored sources, "
          f"{os.cpu_count()} CPUs, load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")
    print("| op | bare stack req/s | streamkap-mock req/s | mock / bare | CPU ms per request, mock / bare | "
          "json-server req/s | mock / json-server | non-2xx, mock / bare |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for op, mine in results["mock"].items():
        anchor, theirs = results["bare"][op], results["json-server"].get(op)
        print(f"| {op} | {anchor['rps']:,.0f} | {mine['rps']:,.0f} | {mine['rps'] / anchor['rps']:.2f}x | "
              f"{mine['cpu_ms']:.3f} / {anchor['cpu_ms']:.3f} | "
              + (f"{theirs['rps']:,.0f} | {mine['rps'] / theirs['rps']:.2f}x | " if theirs else "- | - | ")
              + f"{mine['non2xx']} / {anchor['non2xx']} |")
    for server, rows in results.items():
        for op, row in rows.items():
            if row["socket_errors"]:
                print(f"{server} {op}: socket errors {row['socket_errors']}")
    print(f"\nGET /sources/{{id}} sent every 20 ms during the POST run: {len(get_probe)} samples, "
          f"p50 {percentile(get_probe, 0.5):.1f} ms, p99 {percentile(get_probe, 0.99):.1f} ms")
    if startups["mock"]:
        print(f"start-up on these records (median of {args.restarts}, to the first answer): "
              f"json-server {statistics.median(startups['json-server']):.3f} s, "
              f"streamkap-mock {statistics.median(startups['mock']):.3f} s")
    for name, (was, now) in {"streamkap-mock": (before, after), "bare stack": (bare_before, bare_after)}.items():
        print(f"{name}: sources before restart {was}, after restart {now} "
              f"({'every acknowledged create kept' if was == now else 'LOST WRITES'})")


# ---- profile: where the mock's time goes under the same load ---------------------

def collapsed_table(path: Path, top: int) -> list[tuple[str, float, float]]:
    """(function, own %, cumulative %) from py-spy's collapsed stacks, most own time first."""
    own: dict[str, int] = {}
    cumulative: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        # A frame reads "function (file:line)"; the same function on several lines counts once.
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")[1:]]  # [0] is the thread
        if not frames:
            continue
        own[frames[-1]] = own.get(frames[-1], 0) + samples
        for frame in set(frames):
            cumulative[frame] = cumulative.get(frame, 0) + samples
    ranked = sorted(own, key=own.get, reverse=True)[:top]
    return [(frame, 100 * own[frame] / total, 100 * cumulative[frame] / total) for frame in ranked]


def short(frame: str) -> str:
    """``function (path/to/module.py)`` as ``module.py:function``, package paths cut."""
    match = re.fullmatch(r"(.*) \((.*)\)", frame)
    if not match:
        return frame
    function, path = match.groups()
    for marker in ("site-packages/", "mockserver/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{path.split('/')[-1] if 'mockserver' not in frame else path}:{function}"


def copy_of(db: Path, folder: Path) -> Path:
    """A copy of a database and the files beside it (journal, key, index), for a server of its own."""
    folder.mkdir()
    for path in db.parent.glob(db.name + "*"):
        if path.is_file():
            shutil.copy(path, folder / path.name)
    return folder / db.name


def turns(args: argparse.Namespace) -> None:
    """The four operations against a mock from this tree and one from ``--compare-with``, in turns."""
    if shutil.which("wrk") is None or args.compare_with is None:
        raise SystemExit("turns needs wrk (apt-get install wrk) and --compare-with TREE")
    trees = {"that tree": args.compare_with, "this tree": ROOT}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "db.json"
        ids = fill(db, args.records)
        results: dict[str, dict[str, list[dict]]] = {name: {} for name in trees}
        for round_number in range(args.rounds):
            for name, tree in trees.items():
                mock = Mock(copy_of(db, Path(tmp) / f"{round_number}-{name.split()[0]}"), tree)
                try:
                    for op, target in operations(mock.url, ids, mock.headers, args.records // 20).items():
                        results[name].setdefault(op, []).append(
                            wrk(*target, args.duration, args.connections, mock.headers, mock.process.pid))
                finally:
                    mock.stop()
    print(f"\nwrk -t2 -c{args.connections} -d{args.duration}s, {args.records} stored sources, {args.rounds} rounds "
          f"in turns, medians; that tree: {args.compare_with}; load average {load:.2f} at the start")
    print("| op | that tree req/s | this tree req/s | change | CPU ms per request, that / this | non-2xx |")
    print("|---|---:|---:|---:|---:|---:|")
    for op in results["this tree"]:
        that, this = ({key: statistics.median(row[key] for row in results[name][op]) for key in ("rps", "cpu_ms")}
                      for name in trees)
        bad = sum(row["non2xx"] for name in trees for row in results[name][op])
        print(f"| {op} | {that['rps']:,.0f} | {this['rps']:,.0f} | {this['rps'] / that['rps'] - 1:+.0%} | "
              f"{that['cpu_ms']:.3f} / {this['cpu_ms']:.3f} | {bad} |")


def profile(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None or shutil.which("py-spy") is None:
        raise SystemExit("profile needs wrk (apt-get install wrk) and py-spy (pip install py-spy)")
    load = os.getloadavg()[0]
    tables = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "db.json"
        ids = fill(db, args.records)
        mock = Mock(db)
        try:
            for op, (url, script) in operations(mock.url, ids, mock.headers, args.records // 20).items():
                out = Path(tmp) / "profile.txt"
                spy = subprocess.Popen(["py-spy", "record", "--pid", str(mock.process.pid), "--format", "raw",
                                        "--rate", "200", "--duration", str(args.duration), "--output", str(out),
                                        "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                result = wrk(url, script, args.duration, args.connections, mock.headers, mock.process.pid)
                spy.wait()
                tables[op] = (result, collapsed_table(out, args.top))
        finally:
            mock.stop()
    print(f"\npy-spy record --rate 200 --nonblocking during wrk -t2 -c{args.connections} -d{args.duration}s, "
          f"{args.records} sources; load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")
    for op, (result, rows) in tables.items():
        print(f"\n{op}: {result['rps']:,.0f} req/s, {result['cpu_ms']:.3f} CPU ms per request "
              "(slower under the profiler)\n")
        print("| function | own % | cumulative % |")
        print("|---|---:|---:|")
        for frame, own, cumulative in rows:
            print(f"| `{short(frame)}` | {own:.1f} | {cumulative:.1f} |")


# ---- scale: the mock as the store grows ----------------------------------------

def sequential(fn, count: int) -> tuple[float, float]:
    samples = []
    for n in range(count):
        started = time.perf_counter()
        fn(n)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), percentile(samples, 0.99)


def scale(args: argparse.Namespace) -> None:
    rows, compared, load = [], [], os.getloadavg()[0]
    for size in [int(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "db.json"
            ids = fill(db, size)
            file_mb = db.stat().st_size / 2 ** 20
            other_db = copy_of(db, Path(tmp) / "other") if args.compare_with else None
            first = Mock(db)  # a file the server did not write: it checks every record once
            if size:  # as a user's earlier session would: its indexes are rebuilt at each restart
                first.http.get(f"/sources/{ids[size // 2]}")
                first.http.get("/sources?page=2&page_size=10")
                first.http.post("/sources", json=source_body("earlier-session"))
                first.http.put(f"/sources/{ids[size // 2]}", json=source_body(f"bench-{size // 2}"))
            first.stop()
            restarts, other_restarts = [], []
            if other_db is not None:
                Mock(other_db, args.compare_with).stop()  # its first start, on a file it did not write
            for _ in range(args.restarts - 1):  # a restart on its own file; one start-up varies with the machine
                if other_db is not None:  # taken in turns, so both see the same machine
                    other_restarts.append(startup_of(other_db, args.compare_with))
                restarts.append(startup_of(db))
            if other_db is not None:
                other_restarts.append(startup_of(other_db, args.compare_with))
                compared.append((size, statistics.median(other_restarts), statistics.median(restarts)))
            mock = Mock(db)
            restarts.append(mock.startup)
            try:
                rss = rss_mib(mock.process.pid)
                http = mock.http
                middle = size // 20

                def check(response: httpx.Response) -> None:
                    if response.status_code != 200:
                        raise SystemExit(f"{response.request.method} {response.request.url}: "
                                         f"{response.status_code} {response.text[:200]}")

                if not size:  # the baseline: start-up and memory of the server itself
                    rows.append((size, first.startup, statistics.median(restarts), rss, file_mb))
                    continue
                get = sequential(lambda n: check(http.get(f"/sources/{ids[(n * 7919) % size]}")), args.samples)
                listing = sequential(lambda n: check(http.get(f"/sources?page={middle}&page_size=10")), args.samples)
                post = sequential(lambda n: check(http.post("/sources", json=source_body(f"new-{n}"))), args.samples)
                put = sequential(lambda n: check(http.put(f"/sources/{ids[n]}",
                                                          json={**source_body(f"bench-{n}"), "name": f"renamed-{n}"})),
                                 args.samples)
                delete = sequential(lambda n: check(http.delete(f"/sources/{ids[-1 - n]}")), args.samples)
            finally:
                mock.stop()
            rows.append((size, first.startup, statistics.median(restarts), rss, file_mb, get, listing, post, put, delete))
            print(f"{size} sources done", file=sys.stderr)
    print(f"\nsequential, one client, {args.samples} samples per op, p50 / p99 in ms; "
          f"{os.cpu_count()} CPUs, load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")
    print("| sources | first start-up s | restart s (median) | RSS MiB | file MB | get | list middle page | post | put | delete |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size, first_startup, startup, rss, file_mb, *ops in rows:
        cells = " | ".join(f"{p50:.1f} / {p99:.1f}" for p50, p99 in ops) if ops else " | ".join(["-"] * 5)
        print(f"| {size:,} | {first_startup:.2f} | {startup:.2f} | {rss:.0f} | {file_mb:.1f} | {cells} |")
    if compared:
        commit = subprocess.run(["git", "-C", str(args.compare_with), "log", "-1", "--format=%h %s"],
                                capture_output=True, text=True, check=False).stdout.strip() or "?"
        print(f"\nrestart s (median of {args.restarts}, taken in turns) beside {args.compare_with} ({commit})")
        print("| sources | that tree | this tree | this / that |")
        print("|---:|---:|---:|---:|")
        for size, theirs, mine in compared:
            print(f"| {size:,} | {theirs:.3f} | {mine:.3f} | {mine / theirs:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="?", choices=["concurrent", "scale", "profile", "turns", "all"],
                        default="all")
    parser.add_argument("--records", type=int, default=1000, help="stored sources for the concurrent run")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--no-json-server", dest="json_server", action="store_false",
                        help="concurrent: leave json-server out (the mock and the bare stack only)")
    parser.add_argument("--top", type=int, default=15, help="profile: functions listed per operation")
    parser.add_argument("--sizes", default="0,1000,10000,100000", help="stored sources for the scale run")
    parser.add_argument("--samples", type=int, default=200, help="sequential requests per op in the scale run")
    parser.add_argument("--restarts", type=int, default=5,
                        help="restarts per size in the scale run, and per server for the concurrent run's start-up")
    parser.add_argument("--compare-with", type=Path, default=None, metavar="TREE",
                        help="scale: also time restarts of the checkout at TREE (e.g. a git worktree of an "
                             "older commit), in turns with this one; turns: the tree to run beside this one")
    parser.add_argument("--rounds", type=int, default=3, help="turns: rounds of the four operations per tree")
    parser.add_argument("--log-level", default=Mock.log_level,
                        help="the mock's --log-level (default: the server's default, info: a line per request)")
    args = parser.parse_args()
    Mock.log_level = args.log_level
    if args.what in ("concurrent", "all"):
        concurrent(args)
    if args.what in ("scale", "all"):
        scale(args)
    if args.what == "profile":
        profile(args)
    if args.what == "turns":
        turns(args)


if __name__ == "__main__":
    main()
