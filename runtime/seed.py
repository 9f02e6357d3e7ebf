"""Seed/demo records from an app's `data` section; "$id" names a record, {"$ref": "…"} links to it."""
from __future__ import annotations

from typing import Any

from engines.problems import Problem, ProblemsError, pointer
from runtime.write import RecordWriter


def _split(value: Any, refs: dict[str, int]) -> tuple[Any, bool]:
    """Resolve $refs anywhere in a value (sub-table rows too); the flag says a ref is not known yet."""
    if isinstance(value, dict):
        if set(value) == {"$ref"}:
            ref = str(value["$ref"])
            return (refs[ref], False) if ref in refs else (None, True)
        parts = {k: _split(v, refs) for k, v in value.items()}
        return {k: v for k, (v, _) in parts.items()}, any(late for _, late in parts.values())
    if isinstance(value, list):
        parts = [_split(v, refs) for v in value]
        return [v for v, _ in parts], any(late for _, late in parts)
    return value, False


async def load_seed_data(writer: RecordWriter, data: dict[str, list[dict]]) -> int:
    """Insert every seed record through the write path; links to records created later are patched after.
    Demo data describes a state, not events: it starts no flows (no welcome messages to demo customers)."""
    writer.starts_flows = False
    refs: dict[str, int] = {}
    later: list[tuple[str, int, str, Any, str]] = []
    count = 0
    for form_key, rows in data.items():
        for i, row in enumerate(rows):
            values, deferred = {}, []
            for key, value in row.items():
                if key == "$id":
                    continue
                resolved, late = _split(value, refs)
                if late:
                    deferred.append((key, value))
                else:
                    values[key] = resolved
            try:
                record_id = await writer.create(form_key, values)
            except ProblemsError as e:
                raise ProblemsError([p.under(pointer("data", form_key, i)) for p in e.problems]) from None
            count += 1
            if "$id" in row:
                refs[str(row["$id"])] = record_id
            later += [(form_key, record_id, key, value, pointer("data", form_key, i, key)) for key, value in deferred]
    for form_key, record_id, key, value, path in later:
        resolved, late = _split(value, refs)
        if late:
            raise ProblemsError([Problem(path, "unknown_ref", {"ref": str(value)})])
        await writer.update(form_key, record_id, {key: resolved}, version=None)
    return count
