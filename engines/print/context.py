"""What a print template sees: the record with display values (option labels, formatted dates, money with
two decimals), its sub-table rows, the records it links to, the form's labels, the app, the user and now.

Values arrive in the records API's shape (relations as {"id", "title"}, date-times in the deployment's zone);
the runtime gathers the linked records beforehand, so building the context is pure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable, Iterable

SYSTEM_KEYS = ("id", "created_at", "updated_at", "created_by", "owner", "version")
_YES_NO = {"en": ("Yes", "No"), "zh-CN": ("是", "否")}


class PrintRecord:
    """A read-only record for templates: `record.amount`, `record['amount']`, `{% for key in record %}`;
    printed alone it shows its title. It has no public methods, so a field called `items` or `keys` works."""

    __slots__ = ("_values", "_title", "_empty")

    def __init__(self, values: dict[str, Any], title: str = "", empty: bool = False):
        self._values, self._title, self._empty = values, title, empty

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __bool__(self) -> bool:
        return not self._empty

    def __str__(self) -> str:
        return self._title

    def __repr__(self) -> str:
        return f"PrintRecord({self._title!r})"


class PrintList(list):
    """Several values (tags, choices, linked records) that print as one line: 'a、b、c'."""

    def __str__(self) -> str:
        return "、".join(str(item) for item in self)


@dataclass
class Related:
    """Linked records the runtime loaded, in API shape, by (form key, id); and every form's definition."""
    forms: dict[str, Any]
    records: dict[tuple[str, int], dict] = field(default_factory=dict)


def plain_number(value: Any, decimals: int | None = None) -> str:
    if value is None or value == "":
        return ""
    if decimals is not None:
        return f"{Decimal(str(value)):.{decimals}f}"
    number = Decimal(str(value))
    return str(int(number)) if number == number.to_integral_value() else f"{number.normalize():f}"


def money_text(value: Any) -> str:
    return "" if value is None or value == "" else f"{Decimal(str(value)):,.2f}"


def date_text(value: Any) -> str:
    return "" if not value else str(value)[:10]


def datetime_text(value: Any) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(str(value)) if not isinstance(value, datetime) else value
    return moment.strftime("%Y-%m-%d %H:%M")


def option_label(f, value: Any) -> str:
    for option in f.options:
        if getattr(option, "value", None) == value:
            return getattr(option, "label", None) or value
    return str(value)


class RecordView:
    """Builds PrintRecords for one render: follows links `depth` hops through what the runtime loaded."""

    def __init__(self, related: Related, lang: str = "zh-CN", depth: int = 2):
        self.related, self.lang, self.depth = related, lang, depth

    def record(self, form, values: dict, depth: int | None = None, title: str | None = None) -> PrintRecord:
        depth = self.depth if depth is None else depth
        shown: dict[str, Any] = {}
        for f in form.fields:  # every field, even one the record has no value for: blank, not an error
            shown[f.key] = self.display(f, values.get(f.key), depth)
        for key in SYSTEM_KEYS:
            if key in values and key not in shown:
                shown[key] = datetime_text(values[key]) if key in ("created_at", "updated_at") else values[key]
        if "raw" not in shown:
            shown["raw"] = PrintRecord(dict(values))
        return PrintRecord(shown, self.title(form, values) if title is None else title)

    def display(self, f, value: Any, depth: int) -> Any:
        show = DISPLAY.get(f.type, show_unknown)
        return show(self, f, value, depth)

    def title(self, form, values: dict) -> str:
        key = form.title_key() if hasattr(form, "title_key") else None
        if key and values.get(key) not in (None, ""):
            return str(self.display(form.field(key), values[key], 0))
        return f"#{values['id']}" if values.get("id") is not None else ""

    def linked(self, target_key: str, ref: Any, depth: int) -> PrintRecord:
        target = self.related.forms.get(target_key)
        if ref is None:
            blank = {f.key: None for f in target.fields} if target is not None else {}
            return PrintRecord(blank | {"id": None}, "", empty=True)
        ref_id, title = (ref.get("id"), ref.get("title", "")) if isinstance(ref, dict) else (ref, f"#{ref}")
        loaded = self.related.records.get((target_key, ref_id))
        if loaded is None or target is None or depth <= 0:
            return PrintRecord({"id": ref_id, "title": title}, str(title))
        return self.record(target, loaded, depth - 1, title=str(title))


def show_text(view: RecordView, f, value, depth):
    return value


def show_number(view: RecordView, f, value, depth):
    return plain_number(value, getattr(f, "decimals", None))


def show_money(view: RecordView, f, value, depth):
    return money_text(value)


def show_percent(view: RecordView, f, value, depth):
    return "" if value is None else plain_number(value, getattr(f, "decimals", None)) + "%"


def show_date(view: RecordView, f, value, depth):
    return date_text(value)


def show_datetime(view: RecordView, f, value, depth):
    return datetime_text(value)


def show_select(view: RecordView, f, value, depth):
    return "" if value is None else option_label(f, value)


def show_multi_select(view: RecordView, f, value, depth):
    return PrintList(option_label(f, v) for v in value or [])


def show_checkbox(view: RecordView, f, value, depth):
    yes, no = _YES_NO["en" if view.lang.startswith("en") else "zh-CN"]
    return "" if value is None else (yes if value else no)


def show_list(view: RecordView, f, value, depth):
    return PrintList(value or [])


def show_relation(view: RecordView, f, value, depth):
    if getattr(f, "many", False):
        return PrintList(view.linked(f.target, ref, depth) for ref in value or [])
    return view.linked(f.target, value, depth)


def show_subtable(view: RecordView, f, value, depth):
    return PrintList(view.record(f, row, depth, title="") for row in value or [])


_FORMULA_RESULTS = {"money": show_money, "percent": show_percent, "date": show_date, "datetime": show_datetime,
                    "checkbox": show_checkbox, "text": show_text}


def show_formula(view: RecordView, f, value, depth):
    return _FORMULA_RESULTS.get(f.result or "number", show_number)(view, f, value, depth)


def show_unknown(view: RecordView, f, value, depth):
    """Types this module does not know yet (added by other engines): titles of links, lists as one line."""
    if getattr(f, "options", None) and isinstance(value, (str, list)):  # radio, cascade …: labels, not codes
        return show_multi_select(view, f, value, depth) if isinstance(value, list) else show_select(view, f, value, depth)
    if isinstance(value, bool):
        return show_checkbox(view, f, value, depth)
    if isinstance(value, dict):
        return _named(value)
    if isinstance(value, list):
        return PrintList(_named(item) if isinstance(item, dict) else item for item in value)
    return value


def _named(item: dict) -> Any:
    """A linked thing in API shape ({"id", "title"}, a file {"name", "url"}, …) as the words that name it."""
    return next((item[k] for k in ("title", "name", "label", "text") if item.get(k) is not None), item)


# field type → how its value prints. Unlisted types go through show_unknown.
DISPLAY: dict[str, Callable[[RecordView, Any, Any, int], Any]] = {
    "text": show_text, "long_text": show_text, "phone": show_text, "email": show_text, "url": show_text,
    "autonumber": show_text, "number": show_number, "money": show_money, "percent": show_percent,
    "date": show_date, "datetime": show_datetime, "select": show_select, "multi_select": show_multi_select,
    "checkbox": show_checkbox, "tags": show_list, "relation": show_relation, "subtable": show_subtable,
    "formula": show_formula,
}


def form_labels(form) -> dict[str, str]:
    """field key → label; sub-table columns as 'lines.qty'."""
    labels: dict[str, str] = {}
    for f in form.fields:
        labels[f.key] = f.label or f.key
        for column in getattr(f, "fields", None) or []:
            labels[f"{f.key}.{column.key}"] = column.label or column.key
    return labels


def form_view(form) -> PrintRecord:
    fields = PrintList(PrintRecord({"key": f.key, "label": f.label or f.key, "type": f.type}, f.label or f.key)
                       for f in form.fields)
    return PrintRecord({"key": form.key, "name": form.name, "labels": PrintRecord(form_labels(form)),
                        "fields": fields}, form.name)


def print_context(app, form, record: dict, related: Related, *, now: datetime, user: dict | None = None,
                  lang: str = "zh-CN", depth: int = 2) -> dict[str, Any]:
    """The variables of one render. `app` needs .key and .name; `form` is the FormDef."""
    view = RecordView(related, lang, depth)
    who = {"id": None, "name": "", "username": ""} | dict(user or {})
    shown = view.record(form, record)
    return {
        "record": shown,
        "raw": shown["raw"],
        "title": str(shown),
        "form": form_view(form),
        "app": PrintRecord({"key": app.key, "name": app.name}, app.name),
        "now": now,
        "user": PrintRecord(who, str(who["name"] or who["username"] or "")),
    }


def linked_ids(form, records: Iterable[dict]) -> dict[str, set[int]]:
    """Ids of the records these (API-shaped) records link to, by target form, sub-table rows included."""
    wanted: dict[str, set[int]] = {}
    for values in records:
        for f in form.fields:
            value = values.get(f.key)
            if f.type == "relation" and value:
                refs = value if isinstance(value, list) else [value]
                wanted.setdefault(f.target, set()).update(r["id"] for r in refs if isinstance(r, dict))
            elif f.type == "subtable" and value:
                for target, ids in linked_ids(f, value).items():
                    wanted.setdefault(target, set()).update(ids)
    return wanted
