"""Print templates (打印模板): a record with its sub-table rows and linked records as a printable page.

Pure: the runtime loads the records and turns the HTML into PDF. Templates are Jinja2 run in a sandbox
(engines.print.sandbox); a form without templates prints with one made from its layout (engines.print.default).
"""
from __future__ import annotations

from datetime import tzinfo
from functools import lru_cache

from engines.print.context import PrintList, PrintRecord, Related, linked_ids, print_context
from engines.print.default import default_html, default_template, printed_fields
from engines.print.document import CONTENT_POLICY, html_document
from engines.print.filters import cn_upper, make_date_filters, money
from engines.print.sandbox import Limits, PrintEnvironment, PrintError
from engines.print.template import DEFAULT_KEY, PAPERS, PrintTemplateDef

__all__ = [
    "CONTENT_POLICY", "DEFAULT_KEY", "PAPERS", "Limits", "PrintEnvironment", "PrintError", "PrintList",
    "PrintRecord", "PrintTemplateDef", "Related", "cn_upper", "default_html", "default_template", "html_document",
    "linked_ids", "money", "print_context", "print_environment", "printed_fields", "render_document",
    "syntax_error",
]


@lru_cache(maxsize=16)
def print_environment(tz: tzinfo | None = None) -> PrintEnvironment:
    """The sandbox with the print filters; date filters show moments in `tz`. One per zone, shared."""
    return PrintEnvironment({"money": money, "cn_upper": cn_upper, **make_date_filters(tz)})


def syntax_error(html: str) -> PrintError | None:
    """Why a template's html does not compile (with its line), or None."""
    try:
        print_environment().compile_template(html)
    except PrintError as e:
        return e
    return None


def render_document(env: PrintEnvironment, definition: PrintTemplateDef, contexts: list[dict], *, title: str,
                    lang: str = "zh-CN", limits: Limits | None = None, compiled=None) -> str:
    """Every context rendered with the template, one sheet each, in one HTML document (PrintError on failure).
    `compiled` is the template compiled before (the runtime caches it per app version)."""
    template = compiled if compiled is not None else env.compile_template(definition.html)
    limits = limits or Limits()
    bodies, size = [], 0
    for context in contexts:
        body = env.render(template, context, limits)
        size += len(body)
        if size > limits.output:
            raise PrintError("render", f"the output is larger than {limits.output} characters", None)
        bodies.append(body)
    return html_document(definition, title, bodies, lang)
