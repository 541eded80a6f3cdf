"""A replay's outcome for people (a console summary, Markdown to paste into an issue) and for machines (JSON).

Nothing secret gets out: values under secret-looking keys are masked, and so is
every text the replay itself sent or got back (the secret, the tokens).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from mockserver.control.journal import MASK
from mockserver.parity.compare import KINDS, MASKER, REDACTED, Finding, is_secret
from mockserver.parity.replay import Outcome, Result

_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")
_LAST_KEY = re.compile(r"(?:\.([A-Za-z_][A-Za-z0-9_]*)|\['((?:[^'\\]|\\.)*)'\])$")
NORMALISED = ("ids the target assigned (mapped from the recorded ones)", "timestamps", "tokens", "request ids",
              "live measurements", "the order of lists of plain values", "values the recorder redacted")


def _scrub(value: Any, secrets: set[str]) -> Any:
    value = MASKER.mask(value)
    if isinstance(value, str):
        for secret in filter(None, secrets):
            value = value.replace(secret, MASK)
        return _JWT.sub(MASK, value)
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    return value


def _shown(finding: Finding, value: Any, secrets: set[str]) -> Any:
    match = _LAST_KEY.search(finding.field)
    key = match and (match.group(1) or match.group(2))
    if value is not None and ((key and is_secret(key)) or finding.recorded in REDACTED):
        return MASK
    return _scrub(value, secrets)


def _query_part(part: str) -> str:
    name, _, value = part.partition("=")
    return f"{name}={MASK}" if is_secret(name) and value not in ("true", "false") else part


def _label(outcome: Outcome, secrets: set[str]) -> str:
    interaction = outcome.interaction
    query = "&".join(_query_part(part) for part in interaction.query.split("&")) if interaction.query else ""
    return _scrub(f"{interaction.method} {interaction.path}" + (f"?{query}" if query else ""), secrets)


def differences(result: Result) -> list[dict]:
    return [{"interaction": outcome.interaction.number, "request": _label(outcome, result.secrets),
             "method": outcome.interaction.method, "kind": finding.kind, "field": finding.field,
             "recorded": _shown(finding, finding.recorded, result.secrets),
             "replayed": _shown(finding, finding.replayed, result.secrets)}
            for outcome, finding in result.differences]


def as_json(result: Result) -> dict:
    """The machine report (``--json``)."""
    found = differences(result)
    return {
        "cassette": result.cassette, "target": result.target,
        "interactions": len(result.outcomes), "identical": result.identical,
        "parity": round(result.parity, 6), "seconds": round(result.seconds, 3),
        "differences_by_kind": {kind: sum(d["kind"] == kind for d in found) for kind in KINDS},
        "differences": found,
    }


def _compact(value: Any, limit: int = 100) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _side(difference: dict, side: str) -> str:
    """A recorded or replayed value as a report cell; "(absent)" for the side a missing or extra field lacks."""
    if (difference["kind"], side) in (("missing", "replayed"), ("extra", "recorded")):
        return "(absent)"
    return _compact(difference[side])


def _counts(found: list[dict]) -> str:
    kinds = Counter(d["kind"] for d in found)
    return ", ".join(f"{kind} {kinds[kind]}" for kind in KINDS if kinds[kind]) or "none"


def headline(result: Result) -> str:
    return (f"parity {result.parity:.1%} ({result.identical} of {len(result.outcomes)} interactions identical "
            f"after normalisation), {len(result.differences)} differences, replayed in {result.seconds:.2f} s")


def summary(result: Result, shown: int = 20) -> str:
    """The console's report: the headline and the first differences."""
    found = differences(result)
    lines = [f"replayed {result.cassette or 'the cassette'} against {result.target}", headline(result)]
    for d in found[:shown]:
        lines.append(f"  #{d['interaction']} {d['request']}  {d['kind']}  {d['field']}: "
                     f"{_side(d, 'recorded')} -> {_side(d, 'replayed')}")
    if len(found) > shown:
        lines.append(f"  … and {len(found) - shown} more (see --report or --json)")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(result: Result, ignored: tuple[str, ...] = ()) -> str:
    """The report a user can paste into an issue."""
    found = differences(result)
    lines = [
        "## streamkap-mock parity report", "",
        f"- Cassette: `{result.cassette}`" if result.cassette else "- Cassette: (unnamed)",
        f"- Target: {result.target}",
        f"- Parity: **{result.parity:.1%}** ({result.identical} of {len(result.outcomes)} interactions identical "
        "after normalisation)",
        f"- Differences: {len(found)} ({_counts(found)})",
        f"- Normalised before comparing: {', '.join(NORMALISED)}",
    ]
    if ignored:
        lines.append(f"- Fields ignored: {', '.join(f'`{name}`' for name in ignored)}")
    if found:
        lines += ["", "| # | Request | Kind | Field | Recorded | Replayed |", "|---|---|---|---|---|---|"]
        lines += [f"| {d['interaction']} | `{_cell(d['request'])}` | {d['kind']} | `{_cell(d['field'])}` | "
                  f"`{_cell(_side(d, 'recorded'))}` | `{_cell(_side(d, 'replayed'))}` |" for d in found]
    else:
        lines += ["", "No differences."]
    return "\n".join(lines) + "\n"
