"""Serial numbers (流水号) such as DD202611260001: date parts plus a counter that restarts per prefix."""
from __future__ import annotations

import re
from datetime import datetime

from pydantic import Field

from engines.form.fields.base import FieldBase, FieldError, FieldType
from engines.problems import Problem

_TOKEN = re.compile(r"\{([A-Za-z]+)(?::(\d+))?\}")
_DATE_PARTS = {"YYYY": "%Y", "YY": "%y", "MM": "%m", "DD": "%d", "YYYYMMDD": "%Y%m%d", "YYYYMM": "%Y%m", "YYMMDD": "%y%m%d"}


class AutonumberDef(FieldBase):
    pattern: str = Field(default="{seq:6}", max_length=60, description="text with {YYYY} {MM} {DD} {YYYYMMDD} {seq:N}")


def pattern_problems(pattern: str) -> list[str]:
    seqs = 0
    for match in _TOKEN.finditer(pattern):
        name, width = match.groups()
        if name == "seq":
            seqs += 1
            if width and not 1 <= int(width) <= 12:
                return ["{seq:N} needs 1 ≤ N ≤ 12"]
        elif name not in _DATE_PARTS:
            return [f"unknown part {{{name}}}"]
    return [] if seqs == 1 else ["exactly one {seq} or {seq:N} is needed"]


def scope(pattern: str, now: datetime) -> str:
    """The text before numbering: the counter restarts whenever it changes (e.g. every day)."""
    return _TOKEN.sub(lambda m: "{seq}" if m.group(1) == "seq" else now.strftime(_DATE_PARTS[m.group(1)]), pattern)


def render(scope_text: str, pattern: str, seq: int) -> str:
    width = next((int(m.group(2) or 0) for m in _TOKEN.finditer(pattern) if m.group(1) == "seq"), 0)
    return scope_text.replace("{seq}", str(seq).zfill(width))


class Autonumber(FieldType):
    key = "autonumber"
    icon = "FieldNumberOutlined"
    label = ("流水号", "Auto number")
    storage = "text"
    props = AutonumberDef
    widget = "autonumber"
    is_generated = True

    def coerce(self, f, value, ctx):
        raise FieldError("generated")

    def check_def(self, f):
        return [Problem("/pattern", "bad_autonumber_pattern", {"error": e}) for e in pattern_problems(f.pattern)]
