"""Decision tables (决策表): rows of tests over a few inputs, each giving outputs; a hit policy picks the answer.

    {"key": "commission_rate", "inputs": ["leader_level", "category"], "outputs": ["rate"], "hit": "first",
     "rows": [{"when": ["'gold'", "'fruit'"], "then": [0.12]}, {"when": ["-", "-"], "then": [0.05]}]}

used from expressions as `DECIDE('commission_rate', level, category).rate`.

A `when` cell is a small language of tests on its input (docs/decision-tables.md):

    cell  := "-" | "" | test ("," test)*          "-" or nothing: any value, empty included; a list: any test holds
    test  := op value | range | value            a bare value means "="
    op    := "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    range := ("[" | "(") value ".." value ("]" | ")")   "[" and "]" include the bound, "(" and ")" leave it out
    value := number (a leading "-" allowed) | 'text' | "text" | TRUE | FALSE | NULL

Empty inputs follow the expression language: `NULL` and `= NULL` match an empty input, `!= 'x'` does too,
ordering tests and ranges never do. Text orders by code point (as `<` does); a date column takes its values as
'YYYY-MM-DD' text. Every test is a union of intervals over the column's own values, so each column cuts the line
at the values its cells name and a row's test is a set of those pieces: in Python an input finds its piece with
one dictionary look-up or binary search and the rows it matches as one integer bit mask; at publish two rows of a
"unique" table overlap exactly when their pieces meet in every column. In SQL the table is a CASE over the rows,
in order, so reports, batch rules and filters decide inside the database.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StrictBool, StrictFloat, StrictInt, StrictStr
from sqlalchemy import (Boolean, Date, Float, Text, and_, case, cast, false, func, literal, literal_column, null, or_,
                        select)

from engines.form.fields.base import KEY_PATTERN
from engines.problems import MESSAGES, Problem, ProblemsError

KINDS = ("number", "text", "bool", "date")
HITS = ("first", "unique", "collect")
AGGREGATES = ("sum", "min", "max", "count")
MAX_ROWS = 1000
MAX_COLUMNS = 20

MESSAGES.update({
    "decision_cell_syntax": ("第 {column} 个字符有误：期望{expected_zh}，但遇到{found_zh}",
                             "error at character {column}: expected {expected}, found {found}"),
    "decision_cell_type": ("第 {column} 个字符：此列是{expected_zh}，不能写{got_zh}",
                           "at character {column}: this column holds {expected}, not {got}"),
    "decision_cell_order": ("第 {column} 个字符：是/否的列只能判断相等（= 或 !=）",
                            "at character {column}: a true/false column only takes = and !="),
    "decision_cell_null": ("第 {column} 个字符：NULL（空）只能用于 = 或 !=",
                           "at character {column}: NULL (empty) only goes with = or !="),
    "decision_empty_range": ("第 {column} 个字符：区间下限大于上限，任何值都不在其中",
                             "at character {column}: the range's low end is above its high end, so nothing is in it"),
    "decision_width": ("应有 {expected} 项（与 {part} 的个数相同），此处 {got} 项",
                       "must have {expected} items (one per entry of {part}), has {got}"),
    "decision_output_type": ("此输出列是{expected_zh}，不能是 {value!r}", "this output holds {expected}, not {value!r}"),
    "decision_aggregate": ("aggregate（汇总方式）只用于 hit 为 collect 的决策表",
                           "aggregate applies only to a table whose hit policy is collect"),
    "decision_aggregate_type": ("{aggregate} 汇总需要数字输出，「{output}」是{got_zh}",
                                "{aggregate} needs number outputs; {output!r} holds {got}"),
    "decision_collect_type": ("collect 不汇总时输出应为文本或数字，「{output}」是{got_zh}",
                              "collect without an aggregate gives lists of text or numbers; {output!r} holds {got}"),
    "decision_overlap": ("hit 为 unique 时各行不能同时命中：第 {row} 行与第 {other} 行可能同时命中（如 {example}）",
                         "with hit unique no two rows may match the same inputs: rows {other} and {row} both match "
                         "(for example {example})"),
})
KIND_TEXT = {"number": ("数字", "a number"), "text": ("文本", "text"), "bool": ("是/否", "true/false"),
             "date": ("日期", "a date"), "null": ("空值", "empty")}


# ---- the definition ---------------------------------------------------------------------------------------------
Output = StrictBool | StrictInt | StrictFloat | StrictStr | None


class DecisionRowDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    when: list[StrictStr] = Field(max_length=MAX_COLUMNS, description="one test per input: '-', 'gold', '>= 1000', "
                                                                      "'[100..500]', \"'a','b'\"")
    then: list[Output] = Field(max_length=MAX_COLUMNS, description="one value per output")
    note: str | None = Field(default=None, max_length=500, description="why this row is here, for people")


class DecisionTableDef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    name: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    inputs: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=MAX_COLUMNS, description="what each argument after the key is, for people; DECIDE "
                                                          "passes them in order")
    outputs: list[Annotated[str, Field(pattern=KEY_PATTERN)]] = Field(
        min_length=1, max_length=MAX_COLUMNS, description="output names: DECIDE(...).name")
    input_types: list[Literal[KINDS]] | None = Field(default=None,
                                                     description="inferred from the cells when left out")
    output_types: list[Literal[KINDS]] | None = Field(default=None,
                                                      description="inferred from the values when left out")
    hit: Literal[HITS] = Field(default="first", description="first: the first row that matches; unique: rows "
                                                            "never overlap (checked at publish); collect: every row "
                                                            "that matches")
    aggregate: Literal[AGGREGATES] | None = Field(default=None,
                                                  description="collect only: one number instead of a list")
    rows: list[DecisionRowDef] = Field(min_length=1, max_length=MAX_ROWS)
    _compiled: Any = PrivateAttr(default=None)

    def compiled(self) -> "DecisionTable":
        """The table ready to evaluate (ProblemsError, with pointers inside the table, when it is not sound)."""
        if self._compiled is None:
            self._compiled = DecisionTable(self)
        return self._compiled


# ---- the cell language ------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+(?:\.(?!\.)\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\.\.|<=|>=|<>|!=|==|[-<>=\[\](),])
""", re.VERBOSE | re.DOTALL)
_WORDS = {"TRUE": True, "FALSE": False, "NULL": None}
_OPS = {"=": "=", "==": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
EXPECTED = {
    "value": ("数字、'文本'、TRUE、FALSE 或 NULL", "a number, 'text', TRUE, FALSE or NULL"),
    "..": ("「..」", "'..'"),
    "close": ("「]」或「)」", "']' or ')'"),
    "next": ("「,」或单元格结束", "',' or the end of the cell"),
}


class CellError(Exception):
    def __init__(self, code: str, position: int, **params):
        self.code, self.position, self.params = code, position, {"column": position + 1, "position": position, **params}


@dataclass
class Test:
    op: str  # = != < <= > >= or "range"
    value: Any  # float, str, bool, date or None; for a range the low end
    start: int
    high: Any = None
    low_closed: bool = True
    high_closed: bool = True


def _tokens(text: str) -> list[tuple[str, str, int]]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            kind = "a quote without its end" if text[position] in "'\"" else repr(text[position])
            raise CellError("decision_cell_syntax", position, expected=EXPECTED["value"][1],
                            expected_zh=EXPECTED["value"][0], found=kind, found_zh=f"「{text[position]}」")
        if match.lastgroup != "space":
            tokens.append((match.lastgroup, match.group(), match.start()))
        position = match.end()
    tokens.append(("end", "", len(text)))
    return tokens


def parse_cell(text: str) -> list[Test] | None:
    """The tests of a cell, or None for "-" (any value). Raises CellError with the position."""
    if text.strip() in ("", "-"):
        return None
    tokens, index = _tokens(text), 0

    def fail(expected: str):
        kind, word, start = tokens[index]
        found = ("end of cell", "单元格结尾") if kind == "end" else (repr(word), f"「{word}」")
        raise CellError("decision_cell_syntax", start, expected=EXPECTED[expected][1],
                        expected_zh=EXPECTED[expected][0], found=found[0], found_zh=found[1])

    def value():
        nonlocal index
        kind, word, start = tokens[index]
        sign = 1.0
        if kind == "op" and word == "-" and tokens[index + 1][0] == "number":
            index, sign = index + 1, -1.0
            kind, word, _ = tokens[index]
        if kind == "number":
            index += 1
            return sign * float(word)
        if kind == "string":
            from engines.expr.parser import _unquote  # quoted exactly as in expressions

            index += 1
            return _unquote(word)
        if kind == "word" and word.upper() in _WORDS:
            index += 1
            return _WORDS[word.upper()]
        fail("value")

    tests = []
    while True:
        kind, word, start = tokens[index]
        if kind == "op" and word in _OPS:
            index += 1
            tests.append(Test(_OPS[word], value(), start))
        elif kind == "op" and word in "[(":
            index += 1
            low = value()
            if tokens[index][1] != "..":
                fail("..")
            index += 1
            high = value()
            if tokens[index][1] not in ("]", ")"):
                fail("close")
            tests.append(Test("range", low, start, high, word == "[", tokens[index][1] == "]"))
            index += 1
        else:
            tests.append(Test("=", value(), start))
        if tokens[index][0] == "end":
            return tests
        if tokens[index][1] != ",":
            fail("next")
        index += 1


def _kind_of(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, (int, float)) else "text"


def _typed(value, kind: str, start: int):
    """A cell's value in its column's kind (a date column reads 'YYYY-MM-DD' text)."""
    got = _kind_of(value)
    if got == "null" or got == kind:
        return value
    if kind == "date" and got == "text":
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise CellError("decision_cell_type", start, expected=KIND_TEXT[kind][1], expected_zh=KIND_TEXT[kind][0],
                    got=KIND_TEXT[got][1] if got != "text" else repr(value),
                    got_zh=KIND_TEXT[got][0] if got != "text" else f"「{value}」")


# ---- columns: each input's tests as pieces of its line of values -----------------------------------------------
class Column:
    """One input. Its values `points` cut the line into pieces: piece 2i+1 is points[i] itself, piece 2i the
    values between points[i-1] and points[i]. Each row's cell is a set of pieces; `masks[piece]` has a bit for
    every row whose cell holds that piece, and `null` for an empty input."""

    def __init__(self, kind: str, cells: list[list[Test] | None]):
        self.kind, self.cells = kind, cells
        self.points = sorted({v for tests in cells if tests for t in tests
                              for v in (t.value, t.high) if v is not None})
        self.index = {v: 2 * i + 1 for i, v in enumerate(self.points)}
        self.pieces = 2 * len(self.points) + 1
        self.masks = [0] * self.pieces
        self.null = 0
        self.any = all(tests is None for tests in cells)
        self.ordered = any(t.op not in ("=", "!=") for tests in cells if tests for t in tests)
        for row, tests in enumerate(cells):
            bit = 1 << row
            pieces, empty = self.pieces_of(tests)
            for piece in pieces:
                self.masks[piece] |= bit
            if empty:
                self.null |= bit
        self.at_point = {v: self.masks[i] for v, i in self.index.items()}
        self.between = self.masks[0] if not self.ordered else None  # = and != only: every gap looks alike

    def pieces_of(self, tests: list[Test] | None) -> tuple[set[int], bool]:
        """The pieces a cell holds, and whether it holds an empty input."""
        if tests is None:
            return set(range(self.pieces)), True
        pieces, empty = set(), False
        for t in tests:
            if t.value is None:  # = NULL, != NULL
                empty |= t.op == "="
                if t.op == "!=":
                    pieces.update(range(self.pieces))
                continue
            at = self.index[t.value]
            if t.op == "=":
                pieces.add(at)
            elif t.op == "!=":
                pieces.update(p for p in range(self.pieces) if p != at)
                empty = True  # an empty value is not equal to 'x'
            elif t.op == "range":
                low = at if t.low_closed else at + 1
                high = self.index[t.high] if t.high_closed else self.index[t.high] - 1
                pieces.update(range(low, high + 1))
            else:
                pieces.update({"<": range(0, at), "<=": range(0, at + 1), ">": range(at + 1, self.pieces),
                               ">=": range(at, self.pieces)}[t.op])
        return pieces, empty

    def mask(self, value) -> int:
        if value is None:
            return self.null
        found = self.at_point.get(value)
        if found is not None:
            return found
        if self.between is not None:
            return self.between
        return self.masks[2 * bisect_left(self.points, value)]

    def possible(self, piece: int) -> bool:
        """Whether some value lies in the piece (between two consecutive dates there is none; true/false have no
        gaps at all), so overlaps found at publish are real ones."""
        if piece % 2:
            return True
        if self.kind == "bool":
            return False
        if self.kind == "date" and 0 < piece < self.pieces - 1:
            low, high = self.points[piece // 2 - 1], self.points[piece // 2]
            return (high - low).days > 1
        return True

    def example(self, piece: int | None) -> str:
        if piece is None:
            return "NULL"
        if piece % 2:
            return _literal_text(self.points[piece // 2])
        if not self.points:
            return "-"
        if piece == 0:
            return f"< {_literal_text(self.points[0])}"
        if piece == self.pieces - 1:
            return f"> {_literal_text(self.points[-1])}"
        return f"({_literal_text(self.points[piece // 2 - 1])}..{_literal_text(self.points[piece // 2])})"


def _literal_text(value) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _shape_problems(d: DecisionTableDef) -> list[Problem]:
    """Every row as wide as the inputs and outputs; type lists as long as what they type; no output twice."""
    problems = []
    for part, names, declared in (("inputs", d.inputs, d.input_types), ("outputs", d.outputs, d.output_types)):
        if declared is not None and len(declared) != len(names):
            problems.append(Problem(f"/{part[:-1]}_types", "decision_width",
                                    {"expected": len(names), "got": len(declared), "part": part}))
    seen: dict[str, int] = {}
    for j, name in enumerate(d.outputs):
        if name in seen:
            problems.append(Problem(f"/outputs/{j}", "duplicate_key", {"key": name, "other": f"/outputs/{seen[name]}"}))
        seen.setdefault(name, j)
    for i, row in enumerate(d.rows):
        for cells, names, part in ((row.when, d.inputs, "inputs"), (row.then, d.outputs, "outputs")):
            if len(cells) != len(names):
                problems.append(Problem(f"/rows/{i}/{'when' if part == 'inputs' else 'then'}", "decision_width",
                                        {"expected": len(names), "got": len(cells), "part": part}))
    if d.aggregate is not None and d.hit != "collect":
        problems.append(Problem("/aggregate", "decision_aggregate"))
    return problems


# ---- the table --------------------------------------------------------------------------------------------------
def _number(value):
    if isinstance(value, dict):  # a linked record read whole: its id
        value = value.get("id")
    if isinstance(value, (Decimal, int)) and not isinstance(value, bool):
        return float(value)
    return value


_NORMALISE: dict[str, Callable[[Any], Any]] = {"number": _number, "text": lambda v: v, "bool": lambda v: v,
                                               "date": lambda v: v, "any": lambda v: v}
_SQL_TYPES = {"number": Float, "text": Text, "bool": Boolean, "date": Date}


class DecisionTable:
    """A checked decision table: input kinds, output kinds, and how to evaluate it in Python and in SQL."""

    def __init__(self, definition: DecisionTableDef):
        self.definition = d = definition
        self.key, self.hit, self.aggregate = d.key, d.hit, d.aggregate
        self.outputs = list(d.outputs)
        problems = _shape_problems(d)
        if problems:
            raise ProblemsError(problems)
        self.input_kinds, self.columns, problems = self._columns(d)
        self.output_kinds, self.values, more = self._outputs(d)
        problems += more
        if not problems and d.hit == "unique":
            problems += self._overlaps()
        if problems:
            raise ProblemsError(problems)
        self.full = (1 << len(d.rows)) - 1
        self.tested = [(i, c) for i, c in enumerate(self.columns) if not c.any]

    def _columns(self, d: DecisionTableDef):
        kinds, columns, problems = [], [], []
        for j in range(len(d.inputs)):
            parsed, kind = [], d.input_types[j] if d.input_types else None
            for i, row in enumerate(d.rows):
                where = f"/rows/{i}/when/{j}"
                try:
                    tests = parse_cell(row.when[j])
                    for t in tests or []:
                        if t.value is None and t.op not in ("=", "!="):
                            raise CellError("decision_cell_null", t.start)
                        if t.op == "range" and t.high is None:
                            raise CellError("decision_cell_null", t.start)
                        if kind is None and _kind_of(t.value) != "null":
                            kind = _kind_of(t.value)
                        if kind is not None:
                            t.value = _typed(t.value, kind, t.start)
                            t.high = _typed(t.high, kind, t.start)
                        if kind == "bool" and t.op not in ("=", "!="):
                            raise CellError("decision_cell_order", t.start)
                        if t.op == "range" and (t.value > t.high or t.value == t.high and not (
                                t.low_closed and t.high_closed)):
                            raise CellError("decision_empty_range", t.start)
                except CellError as e:
                    problems.append(Problem(where, e.code, e.params))
                    tests = None
                parsed.append(tests)
            kinds.append(kind or "any")
            columns.append(Column(kind or "any", parsed) if not problems else None)
        return kinds, columns, problems

    def _outputs(self, d: DecisionTableDef):
        kinds, problems = [], []
        values = [list(row.then) for row in d.rows]
        for j, name in enumerate(d.outputs):
            kind = d.output_types[j] if d.output_types else None
            for i, row in enumerate(d.rows):
                value = row.then[j]
                got = _kind_of(value)
                if kind is None and got != "null":
                    kind = got
                if got == "null" or kind is None:
                    continue
                if kind == "number" and got == "number":
                    values[i][j] = float(value)
                elif kind == "date" and got == "text":
                    try:
                        values[i][j] = date.fromisoformat(value)
                    except ValueError:
                        problems.append(Problem(f"/rows/{i}/then/{j}", "not_date", {"value": value}))
                elif got != kind:
                    problems.append(Problem(f"/rows/{i}/then/{j}", "decision_output_type",
                                            {"value": value, "expected": KIND_TEXT[kind][1],
                                             "expected_zh": KIND_TEXT[kind][0]}))
            kind = kind or "null"
            kinds.append(kind)
            if d.aggregate in ("sum", "min", "max") and kind not in ("number", "null"):
                problems.append(Problem("/aggregate", "decision_aggregate_type",
                                        {"aggregate": d.aggregate, "output": name, "got": KIND_TEXT[kind][1],
                                         "got_zh": KIND_TEXT[kind][0]}))
            if d.hit == "collect" and d.aggregate is None and kind not in ("number", "text", "null"):
                problems.append(Problem(f"/outputs/{j}", "decision_collect_type",
                                        {"output": name, "got": KIND_TEXT[kind][1], "got_zh": KIND_TEXT[kind][0]}))
        return kinds, values, problems

    def _overlaps(self) -> list[Problem]:
        """Pairs of rows some inputs match together: in every column their pieces (or the empty input) meet."""
        rows = len(self.definition.rows)
        meets = [(1 << rows) - 1] * rows  # row → the rows it meets in every column so far
        for column in self.columns:
            pieces = [m for p, m in enumerate(column.masks) if column.possible(p)] + [column.null]
            for row in range(rows):
                bit, seen = 1 << row, 0
                for mask in pieces:
                    if mask & bit:
                        seen |= mask
                meets[row] &= seen
        problems = []
        for row in range(rows):
            earlier = meets[row] & ((1 << row) - 1)
            if earlier:
                other = (earlier & -earlier).bit_length() - 1
                example = ", ".join(self._example(column, other, row) for column in self.columns)
                problems.append(Problem(f"/rows/{row}", "decision_overlap",
                                        {"row": row + 1, "other": other + 1, "example": example}))
        return problems

    @staticmethod
    def _example(column: Column, a: int, b: int) -> str:
        both = (1 << a) | (1 << b)
        for piece, mask in enumerate(column.masks):
            if mask & both == both and column.possible(piece):
                return column.example(piece)
        return column.example(None)

    # ---- Python -------------------------------------------------------------------------------------------------
    def matches(self, values) -> int:
        """The rows these inputs match, as a bit mask (bit i: row i)."""
        m = self.full
        for i, column in self.tested:
            m &= column.mask(_NORMALISE[column.kind](values[i]))
            if not m:
                return 0
        return m

    def answer(self, mask: int, output: int):
        """One output for the matched rows, by the hit policy."""
        if self.hit != "collect":
            return self.values[(mask & -mask).bit_length() - 1][output] if mask else None
        found = []
        while mask:
            low = mask & -mask
            value = self.values[low.bit_length() - 1][output]
            if value is not None:
                found.append(value)
            mask ^= low
        if self.aggregate is None:
            return found or None
        if self.aggregate == "count":
            return float(len(found))
        if self.aggregate == "sum":
            total = 0.0
            for value in found:
                total += value
            return total
        return (min if self.aggregate == "min" else max)(found) if found else None

    def decide(self, *values) -> dict | None:
        """Every output by name, as DECIDE(...).name would give it (None when no row matches first/unique)."""
        mask = self.matches(values)
        if self.hit != "collect" and not mask:
            return None
        return {name: self.answer(mask, j) for j, name in enumerate(self.outputs)}

    def python(self, output: str, args: list):
        """The closure of DECIDE(key, args…).output: args are closures (env, ctx) → value."""
        j = self.outputs.index(output)
        tested = [(column, args[i], _NORMALISE[column.kind]) for i, column in self.tested]
        full, answer = self.full, self.answer
        if self.hit != "collect":
            values = [row[j] for row in self.values]

            def first(env, ctx):
                m = full
                for column, arg, normalise in tested:
                    m &= column.mask(normalise(arg(env, ctx)))
                    if not m:
                        return None
                return values[(m & -m).bit_length() - 1]
            return first

        def collect(env, ctx):
            m = full
            for column, arg, normalise in tested:
                m &= column.mask(normalise(arg(env, ctx)))
            return answer(m, j)
        return collect

    # ---- SQL ----------------------------------------------------------------------------------------------------
    def sql(self, c, output: str, args: list):
        """DECIDE(key, args…).output over a table: a CASE over the rows in order (collect: their values gathered).
        `c` is the expression compiler (engines.expr.sql.SqlCompiler), args the inputs as SQL."""
        j = self.outputs.index(output)
        kind = self.output_kinds[j]
        conditions = [self._row_sql(c, i, args) for i in range(len(self.values))]
        outputs = [self._value_sql(row[j], kind) for row in self.values]
        if self.hit != "collect":
            whens = []
            for condition, value in zip(conditions, outputs):
                if condition is None:  # matches everything: later rows are never reached
                    return case(*whens, else_=value) if whens else value
                whens.append((condition, value))
            return case(*whens, else_=null())
        picked = [(cond, value) for cond, value, row in zip(conditions, outputs, self.values) if row[j] is not None]
        if self.aggregate == "count":
            return _sum([case((cond, 1.0), else_=0.0) if cond is not None else literal(1.0, Float())
                         for cond, _ in picked])
        if self.aggregate == "sum":
            return _sum([case((cond, value), else_=0.0) if cond is not None else value for cond, value in picked])
        each = [case((cond, value), else_=null()) if cond is not None else value for cond, value in picked]
        if self.aggregate in ("min", "max"):
            return _extreme(c, each, self.aggregate, [row[j] for row in self.values if row[j] is not None])
        return _gathered(c, each)

    def _row_sql(self, c, row: int, args: list):
        parts = []
        for i, column in self.tested:
            tests = column.cells[row]
            if tests is not None:
                parts.append(or_(*[_test_sql(c, args[i], t, column.kind) for t in tests]) if len(tests) > 1
                             else _test_sql(c, args[i], tests[0], column.kind))
        if not parts:
            return None
        return and_(*parts) if len(parts) > 1 else parts[0]

    @staticmethod
    def _value_sql(value, kind: str):
        if value is None:
            return null()
        return literal(value, _SQL_TYPES[kind]())


def _bound(value, kind: str):
    return literal(value, _SQL_TYPES.get(kind, Text)())


def _test_sql(c, column, t: Test, kind: str):
    """One test as a condition that is never NULL (the rules of = != < … in engines.expr.sql)."""
    if t.value is None:
        return column.is_(None) if t.op == "=" else column.is_not(None)
    if t.op == "=":
        return func.coalesce(column == _bound(t.value, kind), false())
    if t.op == "!=":
        return column.is_distinct_from(_bound(t.value, kind))
    if t.op == "range":
        return and_(c.ordered(column, _bound(t.value, kind), kind, ">=" if t.low_closed else ">"),
                    c.ordered(column, _bound(t.high, kind), kind, "<=" if t.high_closed else "<"))
    return c.ordered(column, _bound(t.value, kind), kind, t.op)


def _sum(parts: list):
    if not parts:
        return literal(0.0, Float())
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _extreme(c, parts: list, which: str, values: list):
    if not parts:
        return cast(null(), Float)
    if len(parts) == 1:
        return parts[0]
    if not c.sqlite:  # LEAST and GREATEST skip NULLs
        return (func.least if which == "min" else func.greatest)(*parts)
    # SQLite's min(a, b, …) is NULL when any argument is: stand in a value beyond every output for the empty ones
    beyond = (max(values) + 1.0) if which == "min" else (min(values) - 1.0)
    filled = [func.coalesce(part, beyond) for part in parts]
    return func.nullif((func.min if which == "min" else func.max)(*filled), beyond)


def _gathered(c, parts: list):
    """The matched rows' values as a JSON list (a tags-like value: HAS_TAG works on it), empty when none."""
    if not parts:
        return null()
    if not c.sqlite:
        no_nulls = literal_column("'$[*] ? (@ != null)'::jsonpath")
        array = func.jsonb_path_query_array(func.jsonb_build_array(*parts), no_nulls)
        return func.nullif(array, func.jsonb_build_array())
    each = func.json_each(func.json_array(*parts)).table_valued("value", "type")
    gathered = (select(func.json_group_array(each.c.value)).select_from(each).where(each.c.type != "null")
                .correlate_except(each).scalar_subquery())
    return func.nullif(gathered, "[]")


__all__ = ["DecisionTableDef", "DecisionRowDef", "DecisionTable", "parse_cell", "CellError"]
