"""Apply each of the eleven mutations of issue #12's probe, run the test subset, report killed or survived.

    python tools/probe_mutations.py [pytest args...]     (default: tests/domain tests/http)

Each mutation is one textual replacement in one file; the file is restored after
its run, whatever happens. A mutation is killed when pytest exits with failures.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# name -> (file, original text, mutated text)
MUTATIONS = {
    "DELETE of a connector needs only the read permission": (
        "mockserver/http/connectors.py",
        "    async def delete(request: Request):\n        who = authenticate(request, WRITE)",
        "    async def delete(request: Request):\n        who = authenticate(request, READ)"),
    "records.in_scope ignores service_id": (
        "mockserver/domain/records.py",
        'return record.get("tenant_id") == who.tenant_id and record.get("service_id") == who.service_id',
        'return record.get("tenant_id") == who.tenant_id'),
    "pause no longer allowed from Starting": (
        "mockserver/domain/status.py",
        '"pause": (frozenset({ACTIVE, STARTING, UNASSIGNED}), PAUSED)',
        '"pause": (frozenset({ACTIVE, UNASSIGNED}), PAUSED)'),
    "masking flipped": (
        "mockserver/domain/secrets.py",
        "        if secret_returned:\n            return self.open_config(stored)",
        "        if not secret_returned:\n            return self.open_config(stored)"),
    "tenant scope dropped": (
        "mockserver/domain/records.py",
        'return record.get("tenant_id") == who.tenant_id and record.get("service_id") == who.service_id',
        'return record.get("service_id") == who.service_id'),
    "set-once disabled": (
        "mockserver/domain/plugins.py",
        "if f.set_once and f.name in existing and not self._unchanged(",
        "if False and f.name in existing and not self._unchanged("),
    "no 409 on create": (
        "mockserver/domain/references.py",
        "    if clash:\n        raise Conflict(",
        "    if False:\n        raise Conflict("),
    "no fsync": (
        "mockserver/store.py",
        "    def fsync(self, fd: int) -> None:\n        os.fsync(fd)",
        "    def fsync(self, fd: int) -> None:\n        fd"),
    "page off by one": (
        "mockserver/domain/records.py",
        "start = (self.page - 1) * self.page_size",
        "start = self.page * self.page_size"),
    "deleted entities writable": (
        "mockserver/domain/records.py",
        "return record if record is not None and is_live(record) and in_scope(record, who) else None",
        "return record if record is not None and in_scope(record, who) else None"),
    "deleted entities readable by id": (
        "mockserver/domain/records.py",
        'return not record.get("deleted") or now < record.get("visible_until", 0)',
        "return True"),
}


def pytest(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *args],
                          cwd=ROOT, capture_output=True, text=True)


def main(pytest_args: list[str]) -> int:
    baseline = pytest(pytest_args)
    if baseline.returncode != 0:
        print("the unmutated code fails these tests; nothing to learn:\n" + baseline.stdout[-2000:])
        return 2
    survived = []
    for name, (file, original, mutated) in MUTATIONS.items():
        path = ROOT / file
        source = path.read_text()
        if source.count(original) != 1:
            print(f"CANNOT APPLY  {name}: the original text is not in {file} exactly once")
            survived.append(name)
            continue
        try:
            path.write_text(source.replace(original, mutated))
            run = pytest(pytest_args)
        finally:
            path.write_text(source)
        verdict = "killed  " if run.returncode == 1 else "SURVIVED" if run.returncode == 0 else f"error {run.returncode}"
        failed = next((line for line in run.stdout.splitlines() if line.startswith("FAILED")), "")
        print(f"{verdict}  {name}  {failed}", flush=True)
        if run.returncode != 1:
            survived.append(name)
    print(f"{len(MUTATIONS) - len(survived)} of {len(MUTATIONS)} killed")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["tests/domain", "tests/http"]))
