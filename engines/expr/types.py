"""Value types of the expression language and how field types map onto them."""
from __future__ import annotations

from dataclasses import dataclass

# kind → (zh, en) for messages
KIND_NAMES = {
    "number": ("数字", "a number"), "text": ("文本", "text"), "bool": ("是/否", "true/false"),
    "date": ("日期", "a date"), "datetime": ("日期时间", "a date-time"), "list": ("多选/标签", "a list"),
    "ref": ("关联记录", "a record link"), "null": ("空值", "empty"), "rows": ("多行数据", "many rows"),
    "record": ("记录", "a record"), "any": ("任意值", "any value"), "object": ("结构化值", "a structured value"),
    "files": ("文件", "files"),
}


@dataclass(frozen=True)
class T:
    kind: str
    item: "T | None" = None  # rows: the type of each row's value
    source: str | None = None  # rows: which collection (path to the sub-table or many-relation); ref: target form

    def __str__(self) -> str:
        return self.kind if self.kind != "rows" else f"rows of {self.item}"

    def names(self) -> tuple[str, str]:
        return KIND_NAMES.get(self.kind, (self.kind, self.kind))

    @property
    def is_rows(self) -> bool:
        return self.kind == "rows"


NUMBER, TEXT, BOOL, DATE, DATETIME, LIST, NULL, ANY = (T(k) for k in
                                                       ("number", "text", "bool", "date", "datetime", "list", "null", "any"))


def rows(item: T, source: str) -> T:
    return T("rows", item=item, source=source)


def scalar(t: T) -> T:
    return t.item if t.is_rows else t


def comparable(a: T, b: T) -> bool:
    """Two values may be compared when they are of one kind, or one side is empty (NULL)."""
    a, b = scalar(a), scalar(b)
    if "null" in (a.kind, b.kind) or "any" in (a.kind, b.kind):
        return True
    numeric = {"number", "ref"}
    if a.kind in numeric and b.kind in numeric:
        return True
    return a.kind == b.kind


def type_args(expected: str, got: T) -> dict:
    """Message parameters naming an expected and an actual type in both languages."""
    zh_e, en_e = KIND_NAMES.get(expected, (expected, expected))
    zh_g, en_g = got.names()
    return {"expected": en_e, "expected_zh": zh_e, "got": en_g, "got_zh": zh_g}
