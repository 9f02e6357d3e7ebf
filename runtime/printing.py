"""Printing records: gather a record with its sub-table rows and the records it links to (two hops), render a
print template in the sandbox off the event loop, and turn the HTML into PDF with the system Chromium.

Chromium runs as a subprocess per document (no browser kept alive in the API process), at most two at a time
per process, each with its own throw-away profile and a timeout.
"""
from __future__ import annotations

import asyncio
import os
import tempfile
import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from engines.form.fields.base import Context
from engines.print import (DEFAULT_KEY, Limits, PrintError, PrintTemplateDef, Related, default_template, linked_ids,
                           print_context, print_environment, render_document)
from engines.problems import Problem
from runtime.errors import ApiError, not_found
from runtime.permissions import Access
from runtime.records import RecordReader, form_store
from runtime.tables import AppSchema

CHROMIUM = os.environ.get("NOCODE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
                 "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--no-pdf-header-footer")
PDF_TIMEOUT_SECONDS = 60.0
RENDER_SECONDS = 10.0  # a template that renders longer is stopped (see engines.print.sandbox)
LINK_DEPTH = 2  # record.customer.leader.name works; one more hop prints the title only
MAX_PRINT_RECORDS = 500
_PDF_SLOTS = 2  # Chromium processes at once per API process; each takes a core and ~100 MB

_slots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class ChosenTemplate:
    definition: PrintTemplateDef
    index: int | None  # place in the app's print_templates; None for the default

    @property
    def path(self) -> str:
        return f"/print_templates/{self.index}/html" if self.index is not None else "/html"


def templates_of(schema: AppSchema, form_key: str) -> list[ChosenTemplate]:
    """The form's print templates: the app's own in order, then the one made from the layout."""
    store = form_store(schema, form_key)
    own = [ChosenTemplate(t, i) for i, t in enumerate(schema.definition.print_templates) if t.form == form_key]
    return own + [ChosenTemplate(default_template(store.definition), None)]


def choose_template(schema: AppSchema, form_key: str, key: str | None) -> ChosenTemplate:
    """The template asked for; without a key the form's first own template, else the one from its layout."""
    choices = templates_of(schema, form_key)
    if not key:
        return choices[0]
    for choice in choices:
        if choice.definition.key == key:
            return choice
    raise not_found(f"print template {key!r} of form {form_key!r}")


async def gather(conn, schema: AppSchema, ctx: Context, form_key: str, ids: list[int],
                 access: Access | None = None) -> tuple[list[dict], Related]:
    """The records (API shape, in the order asked) and every record they link to, LINK_DEPTH hops out — as far
    as the caller may read them: rows out of reach are missing, hidden fields absent."""
    store = form_store(schema, form_key)
    reader = RecordReader(conn, schema, ctx, access=access)
    reader.access.require(form_key, "read")
    records = await _shaped(reader, store, ids)
    missing = [i for i in dict.fromkeys(ids) if i not in records]
    if missing:
        raise not_found(f"record {', '.join(map(str, missing[:20]))}")
    related = Related(forms={f.key: f for f in schema.definition.forms})
    frontier = {form_key: list(records.values())}
    for _ in range(LINK_DEPTH):
        wanted: dict[str, set[int]] = {}
        for key, shaped in frontier.items():
            for target, target_ids in linked_ids(schema.forms[key].definition, shaped).items():
                wanted.setdefault(target, set()).update(i for i in target_ids if (target, i) not in related.records)
        frontier = {}
        for target, target_ids in wanted.items():
            if not reader.access.allows(target, "read"):
                continue
            target_store = form_store(schema, target)
            loaded = await _shaped(reader, target_store, sorted(target_ids))
            related.records.update(((target, i), record) for i, record in loaded.items())
            frontier[target] = list(loaded.values())
    return [records[i] for i in ids], related


async def _shaped(reader: RecordReader, store, ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    rows = []
    reach = reader.access.rows(store, "read")
    for start in range(0, len(ids), 500):  # bound the IN list
        query = select(store.table).where(store.table.c.id.in_(ids[start:start + 500]))
        rows += (await reader.conn.execute(query if reach is None else query.where(reach))).mappings().all()
    return {record["id"]: record for record in await reader.shape(store, rows)}


def _compiled(schema: AppSchema, chosen: ChosenTemplate, env):
    """Templates compile once per published version (the schema object lives as long as its version is cached)."""
    cache = schema.__dict__.setdefault("_print_templates", {})
    key = (chosen.definition.form, chosen.definition.key)
    if key not in cache:
        cache[key] = env.compile_template(chosen.definition.html)
    return cache[key]


async def render_html(conn, schema: AppSchema, ctx: Context, form_key: str, ids: list[int],
                      template_key: str | None, *, user, lang: str,
                      access: Access | None = None) -> tuple[str, ChosenTemplate]:
    """One HTML document with a sheet per record; a failing template → 422 naming it and its line."""
    chosen = choose_template(schema, form_key, template_key)
    records, related = await gather(conn, schema, ctx, form_key, ids, access)
    app, form = schema.definition, form_store(schema, form_key).definition
    now = datetime.now(ctx.tz)
    who = {"id": user.id, "name": user.name, "username": user.username} if user is not None else {}
    contexts = [print_context(app, form, record, related, now=now, user=who, lang=lang, depth=LINK_DEPTH)
                for record in records]
    env = print_environment(ctx.tz)
    title = chosen.definition.name if len(records) > 1 else f"{chosen.definition.name} {contexts[0]['title']}"
    deadline = time.monotonic() + RENDER_SECONDS
    limits = Limits(out_of_time=lambda: time.monotonic() > deadline)

    def render() -> str:
        compiled = _compiled(schema, chosen, env)
        return render_document(env, chosen.definition, contexts, title=title, lang=lang, limits=limits,
                               compiled=compiled)

    try:
        return await asyncio.to_thread(render), chosen
    except PrintError as e:
        name = chosen.definition.key
        problem = Problem(chosen.path, "print_render_failed", {"template": name, "line": e.line or 1, "error": e.error})
        raise ApiError(422, "print_template_failed", [problem], template=name) from None


def _pdf_slots() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    if loop not in _slots:
        _slots[loop] = asyncio.Semaphore(_PDF_SLOTS)
    return _slots[loop]


def chromium_path() -> str | None:
    return CHROMIUM if Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK) else None


async def html_to_pdf(html: str, timeout: float = PDF_TIMEOUT_SECONDS) -> bytes:
    """The document printed by headless Chromium; 503 when Chromium is not installed."""
    chromium = chromium_path()
    if chromium is None:
        raise ApiError(503, "pdf_unavailable", reason=f"{CHROMIUM} not found")
    async with _pdf_slots():
        with tempfile.TemporaryDirectory(prefix="nocode-print-") as work:
            source, target = Path(work) / "print.html", Path(work) / "print.pdf"
            source.write_text(html, encoding="utf-8")
            command = [chromium, *CHROMIUM_ARGS, f"--user-data-dir={work}/profile", f"--print-to-pdf={target}",
                       source.as_uri()]
            process = await asyncio.create_subprocess_exec(
                *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
                env={**os.environ, "HOME": work}, start_new_session=True)
            try:
                _, errors = await asyncio.wait_for(process.communicate(), timeout)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()
                raise ApiError(503, "pdf_failed", reason=f"Chromium took longer than {timeout:.0f} s") from None
            pdf = target.read_bytes() if target.exists() else b""
            if process.returncode != 0 or not pdf.startswith(b"%PDF-"):
                tail = errors.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {process.returncode}"]
                raise ApiError(503, "pdf_failed", reason=tail[0][:300])
            return pdf
