"""Decision tables: the cell language, the hit policies, and what publishing refuses (with the cell's place)."""
from __future__ import annotations

from datetime import date

import pytest

from builder.validate import validate_app
from engines.problems import ProblemsError
from engines.rules.decision import CellError, DecisionTableDef, parse_cell


def table(rows, hit="first", **extra):
    width = len(rows[0]["when"])
    return DecisionTableDef.model_validate({"key": "t", "inputs": [f"i{n}" for n in range(width)],
                                            "outputs": extra.pop("outputs", ["out"]), "hit": hit, "rows": rows,
                                            **extra}).compiled()


def app_with(*tables):
    return {"format": "nocode.app/v1", "key": "dt", "name": "决策",
            "forms": [{"key": "f", "name": "F", "fields": [{"key": "x", "type": "number"}]}],
            "decision_tables": list(tables)}


def problems_of(*tables):
    with pytest.raises(ProblemsError) as caught:
        validate_app(app_with(*tables))
    return [(p.path, p.code, p.params.get("position")) for p in caught.value.problems]


@pytest.mark.parametrize("cell, matches, misses", [
    ("-", [1, "a", None], []),
    ("", [1, None], []),
    ("'gold'", ["gold"], ["Gold", "silver", None]),
    ("'gold', 'silver'", ["gold", "silver"], ["bronze", None]),
    ("!= 'gold'", ["silver", None], ["gold"]),
    ("NULL", [None], ["gold"]),
    ("!= NULL", ["gold", ""], [None]),
    (">= 1000", [1000, 5000.5], [999.99, None]),
    ("< 50", [-1, 49.9], [50, None]),
    ("[100..500]", [100, 300, 500], [99.9, 500.1, None]),
    ("(100..500)", [100.01, 499.99], [100, 500]),
    ("[100..500)", [100], [500]),
    ("< 0, [10..20], 99", [-3, 15, 99], [0, 5, 21, 98]),
    ("= -2.5", [-2.5], [2.5]),
    ("> 'm'", ["n", "中"], ["a", "m", None]),  # code-point order, as `>` in expressions
    ("TRUE", [True], [False, None]),
])
def test_the_cell_language(cell, matches, misses):
    kind = next((type(v) for v in matches + misses if v is not None), float)
    t = table([{"when": [cell], "then": [1]}], input_types=[{int: "number", float: "number", str: "text",
                                                             bool: "bool"}[kind]])
    for value in matches:
        assert t.decide(value) == {"out": 1}, (cell, value)
    for value in misses:
        assert t.decide(value) is None, (cell, value)


def test_cell_parse_errors_give_the_position():
    for cell, position in [("[1..", 4), ("[1..2", 5), ("'a' 'b'", 4), ("> ", 2), ("'open", 0), ("1 ? 2", 2)]:
        with pytest.raises(CellError) as caught:
            parse_cell(cell)
        assert caught.value.position == position, cell


def test_first_hit_takes_the_first_matching_row():
    t = table([{"when": ["'gold'", "'fruit'"], "then": [0.12]}, {"when": ["'gold'", "-"], "then": [0.1]},
               {"when": ["-", "-"], "then": [0.05]}])
    assert [t.decide(*v)["out"] for v in [("gold", "fruit"), ("gold", "rice"), ("silver", "fruit"), (None, None)]] \
        == [0.12, 0.1, 0.05, 0.05]


def test_collect_gathers_every_matching_row_or_one_number():
    rows = [{"when": [">= 100"], "then": [1]}, {"when": ["> 500"], "then": [2]}, {"when": ["-"], "then": [None]}]
    assert table(rows, "collect").decide(600) == {"out": [1.0, 2.0]}
    assert table(rows, "collect").decide(5) == {"out": None}
    assert table(rows, "collect", aggregate="sum").decide(600) == {"out": 3.0}
    assert table(rows, "collect", aggregate="sum").decide(5) == {"out": 0.0}
    assert table(rows, "collect", aggregate="count").decide(600) == {"out": 2.0}
    assert table(rows, "collect", aggregate="max").decide(600) == {"out": 2.0}
    assert table(rows, "collect", aggregate="min").decide(5) == {"out": None}


def test_outputs_are_typed_declared_or_inferred():
    t = table([{"when": ["-"], "then": [1, "a", True, "2024-02-29"]}], outputs=["n", "s", "b", "d"],
              output_types=["number", "text", "bool", "date"])
    assert t.output_kinds == ["number", "text", "bool", "date"]
    assert t.decide(None) == {"n": 1.0, "s": "a", "b": True, "d": date(2024, 2, 29)}
    assert table([{"when": ["-"], "then": [1]}, {"when": ["-"], "then": [None]}]).output_kinds == ["number"]


def test_dates_compare_as_dates():
    t = table([{"when": ["< '2024-03-01'"], "then": ["early"]}, {"when": ["-"], "then": ["late"]}],
              input_types=["date"])
    assert t.decide(date(2024, 2, 29)) == {"out": "early"}
    assert t.decide(date(2024, 3, 1)) == {"out": "late"}


def test_publish_names_the_cell_and_the_position():
    rows = [{"when": ["'gold'", ">= 100"], "then": [1]}, {"when": ["'gold'", "[100..500"], "then": [2]},
            {"when": ["'gold'", "'x'"], "then": ["three"]}]
    assert problems_of({"key": "t", "inputs": ["level", "amount"], "outputs": ["rate"], "rows": rows}) == [
        ("/decision_tables/0/rows/1/when/1", "decision_cell_syntax", 9),
        ("/decision_tables/0/rows/2/then/0", "decision_output_type", None),
        ("/decision_tables/0/rows/2/when/1", "decision_cell_type", 0),
    ]


def test_publish_checks_shapes_and_policies():
    base = {"inputs": ["a"], "outputs": ["o"]}
    found = problems_of(
        {"key": "t", **base, "rows": [{"when": ["1", "2"], "then": [1]}]},
        {"key": "t", **base, "aggregate": "sum", "rows": [{"when": ["1"], "then": [1]}]},
        {"key": "u", **base, "hit": "collect", "aggregate": "sum", "rows": [{"when": ["1"], "then": ["x"]}]},
        {"key": "v", **base, "input_types": ["bool"], "rows": [{"when": ["> TRUE"], "then": [1]}]},
        {"key": "w", **base, "rows": [{"when": ["[5..1]"], "then": [1]}, {"when": ["< NULL"], "then": [1]}]},
    )
    assert found == [
        ("/decision_tables/0/rows/0/when", "decision_width", None),
        ("/decision_tables/1/aggregate", "decision_aggregate", None),
        ("/decision_tables/1/key", "duplicate_key", None),
        ("/decision_tables/2/aggregate", "decision_aggregate_type", None),
        ("/decision_tables/3/rows/0/when/0", "decision_cell_order", 0),
        ("/decision_tables/4/rows/0/when/0", "decision_empty_range", 0),
        ("/decision_tables/4/rows/1/when/0", "decision_cell_null", 0),
    ]


def test_unique_tables_refuse_rows_that_can_match_together():
    def overlaps(rows, **extra):
        try:
            table(rows, "unique", **extra)
        except ProblemsError as e:
            return [(p.path, p.params["example"]) for p in e.problems]
        return []

    assert overlaps([{"when": ["< 100", "-"], "then": [1]}, {"when": ["[100..500]", "'a'"], "then": [2]},
                     {"when": ["[100..500]", "!= 'a'"], "then": [3]}, {"when": ["> 500", "-"], "then": [4]}]) == []
    assert overlaps([{"when": ["< 100", "-"], "then": [1]}, {"when": ["[100..500]", "-"], "then": [2]},
                     {"when": [">= 500", "-"], "then": [3]}]) == [("/rows/2", "500, -")]
    assert overlaps([{"when": ["'a', 'b'"], "then": [1]}, {"when": ["!= 'a'"], "then": [2]}]) == [("/rows/1", "'b'")]
    assert overlaps([{"when": ["-"], "then": [1]}, {"when": ["NULL"], "then": [2]}]) == [("/rows/1", "NULL")]
    # no day lies between two days in a row: these never meet
    assert overlaps([{"when": ["<= '2024-01-31'"], "then": [1]}, {"when": ["> '2024-01-31'"], "then": [2]},
                     {"when": ["NULL"], "then": [3]}], input_types=["date"]) == []
    assert overlaps([{"when": ["< '2024-01-31'"], "then": [1]}, {"when": ["> '2024-01-29'"], "then": [2]}],
                    input_types=["date"]) == [("/rows/1", "('2024-01-29'..'2024-01-31')")]


def test_a_sound_app_publishes_its_tables():
    app = validate_app(app_with({"key": "t", "inputs": ["x"], "outputs": ["o"], "hit": "unique",
                                 "rows": [{"when": ["< 0"], "then": ["neg"]}, {"when": [">= 0"], "then": ["pos"]}]}))
    assert app.decision_tables[0].compiled().decide(3) == {"o": "pos"}
    assert app.dump()["decision_tables"][0]["rows"][0] == {"when": ["< 0"], "then": ["neg"]}
