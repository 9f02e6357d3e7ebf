"""The template a form prints with when it has none: its fields as a label/value table, two pairs a row,
then one table per sub-table. The text is ordinary template source, so a builder can copy and edit it."""
from __future__ import annotations

from engines.form.fields import FIELD_TYPES
from engines.print.template import DEFAULT_KEY, PrintTemplateDef

# Field types that only arrange a form (headings, dividers, notes) and hold no value to print.
LAYOUT_TYPES = {"divider", "note", "section", "group", "tab"}
# Values that need a whole row of the table.
WIDE_TYPES = {"long_text", "tags", "multi_select", "rich_text", "file", "image", "attachment"}


def is_layout(f) -> bool:
    known = FIELD_TYPES.get(f.type) if f.type in FIELD_TYPES else None
    # a type whose value reads as "null" in expressions holds no value at all (engines.form.fields.layout)
    return f.type in LAYOUT_TYPES or getattr(known, "expr_kind", None) == "null"


def printed_fields(form) -> list:
    """Fields the default template shows: everything but layout and hidden fields."""
    return [f for f in form.fields if not is_layout(f) and not f.hidden]


def _field_rows(fields: list) -> list[str]:
    rows, pair = [], []
    for f in fields:
        cell = f'<th>{{{{ form.labels.{f.key} }}}}</th><td class="print-value">{{{{ record.{f.key} }}}}</td>'
        if f.type in WIDE_TYPES:
            if pair:
                rows.append("<tr>" + "".join(pair) + '<th></th><td></td></tr>')
                pair = []
            rows.append(f'<tr><th>{{{{ form.labels.{f.key} }}}}</th>'
                        f'<td class="print-value print-wide" colspan="3">{{{{ record.{f.key} }}}}</td></tr>')
            continue
        pair.append(cell)
        if len(pair) == 2:
            rows.append("<tr>" + "".join(pair) + "</tr>")
            pair = []
    if pair:
        rows.append("<tr>" + "".join(pair) + '<th></th><td></td></tr>')
    return rows


def _subtable(f) -> str:
    columns = [c for c in f.fields if not is_layout(c) and not c.hidden]
    head = "".join(f"<th>{{{{ form.labels['{f.key}.{c.key}'] }}}}</th>" for c in columns)
    cells = "".join(f'<td class="print-{c.type}">{{{{ row.{c.key} }}}}</td>' for c in columns)
    return "\n".join([
        f'<h2 class="print-subtitle">{{{{ form.labels.{f.key} }}}}</h2>',
        '<table class="print-rows">',
        f'<thead><tr><th class="print-index">#</th>{head}</tr></thead>',
        "<tbody>",
        f"{{% for row in record.{f.key} %}}",
        f'<tr><td class="print-index">{{{{ loop.index }}}}</td>{cells}</tr>',
        "{% else %}",
        f'<tr><td class="print-empty" colspan="{len(columns) + 1}">—</td></tr>',
        "{% endfor %}",
        "</tbody>",
        "</table>",
    ])


def default_html(form) -> str:
    fields = printed_fields(form)
    plain = [f for f in fields if f.type != "subtable"]
    parts = [
        '<header class="print-head">',
        "<h1>{{ form.name }}</h1>",
        '<div class="print-meta">{{ title }}</div>',
        "</header>",
        '<table class="print-fields">',
        '<colgroup><col class="print-label"><col><col class="print-label"><col></colgroup>',
        *_field_rows(plain),
        "</table>",
        *(_subtable(f) for f in fields if f.type == "subtable"),
        '<footer class="print-foot">{{ app.name }} · {{ user.name }} · {{ now|datetime }}</footer>',
    ]
    return "\n".join(parts) + "\n"


def default_template(form) -> PrintTemplateDef:
    return PrintTemplateDef(key=DEFAULT_KEY, form=form.key, name=form.name, html=default_html(form))
