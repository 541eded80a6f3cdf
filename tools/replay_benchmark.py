"""Time ``streamkap-mock replay`` of 1,000+ interactions against a local mock (the issue asks for under 10 s).

    python tools/replay_benchmark.py [--interactions 1000]

Records a cassette by running the scripted pass over every operation
(tests/parity/scenario.py) against one mock until it holds enough interactions,
then replays it with the command against a fresh ``streamkap-mock serve``
process (tools/benchmark.py's Mock, a database file in a temporary folder). It prints the
command's wall time (process start included) and the replay's own time.

Figures only: nothing here passes or fails. The machine's load changes them; say
which machine and what else ran beside the figures you keep.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]
from benchmark import Mock  # noqa: E402
from mockserver.control.testing import MockServer  # noqa: E402
from tests.parity.scenario import every_operation  # noqa: E402


def record(at_least: int, folder: Path) -> tuple[Path, int]:
    with MockServer(journal_size=at_least * 2) as recorder:
        while len(recorder.requests()) < at_least:
            every_operation(recorder.base_url)
        cassette = folder / "every-operation.yaml"
        cassette.write_text(recorder.cassette())
        return cassette, len(recorder.requests())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cassette, count = record(args.interactions, folder)
        target = Mock(folder / "target.json")
        try:
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "mockserver", "replay", str(cassette), "--against", target.url,
                                   "--client-id", "mock-client", "--secret", "mock-secret",
                                   "--json", str(folder / "report.json")], capture_output=True, text=True)
            wall = time.perf_counter() - started
        finally:
            target.stop()
        report = json.loads((folder / "report.json").read_text())
        print(done.stdout.strip())
        print(f"{count} interactions recorded; exit status {done.returncode}; "
              f"command wall time {wall:.2f} s, replay {report['seconds']:.2f} s, "
              f"parity {report['parity']:.1%}")


if __name__ == "__main__":
    main()
