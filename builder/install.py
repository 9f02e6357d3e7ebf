"""Installing an app document with what it brings: its seed records (`data`) and its demo recipe (`demo`), in the
caller's transaction, so that a recipe that fails leaves nothing behind. The command line, the import endpoint and
the template gallery all install through here."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from builder import lifecycle
from engines.form.fields.base import Context

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


async def install(conn: AsyncConnection, doc: Any, ctx: Context, user_id: int | None, *, demo_data: bool = False,
                  scale: float = 1, settings=None, log: Callable[[str], None] | None = None) -> tuple[str, int, int]:
    """→ (app key, version, demo records written)."""
    from runtime.demo import load_demo
    from runtime.seed import load_seed_data
    from runtime.tables import SchemaCache
    from runtime.write import RecordWriter

    app, _, version = await lifecycle.import_app(conn, doc, ctx, user_id)
    count = 0
    if demo_data and (app.data or app.demo):
        schema = await SchemaCache().get(conn, app.key)  # not a shared cache: this may still roll back
        if app.data:
            count = await load_seed_data(RecordWriter(conn, schema, ctx, user_id, settings), app.data)
        if scale > 0:
            count += sum((await load_demo(conn, schema, ctx, user_id, scale=scale, log=log, recipe=app.demo)).values())
    return app.key, version, count


@lru_cache(maxsize=8)
def _template_text(name: str) -> str | None:
    path = TEMPLATES / f"{name}.json"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def template(name: str) -> dict | None:
    """A fresh copy of a shipped template (the caller may change its key and name)."""
    text = _template_text(name) if name.replace("_", "").isalnum() else None
    return json.loads(text) if text is not None else None


def gallery() -> list[dict]:
    """The shipped templates, described for the gallery."""
    items = []
    for path in sorted(TEMPLATES.glob("*.json")):
        doc = template(path.stem)
        if not isinstance(doc, dict) or doc.get("format") != "nocode.app/v1":
            continue
        counts = {section: len(doc.get(section) or []) for section in
                  ("forms", "flows", "rules", "reports", "dashboards", "roles")}
        items.append({"key": path.stem, "app_key": doc.get("key"), "name": doc.get("name"),
                      "description": doc.get("description") or "", "counts": counts,
                      "has_demo": bool(doc.get("demo") or doc.get("data"))})
    return items
