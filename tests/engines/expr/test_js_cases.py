"""The browser's evaluator (frontend/src/expr/) is held to the Python one by a corpus of cases that Vitest runs;
the corpus must be what tests/engines/expr/js_cases.py generates from the current Python engine, so a change
to either side that makes them drift fails one of the two suites."""
from __future__ import annotations

import json

from tests.engines.expr import js_cases


def test_the_committed_corpus_is_what_the_python_engine_gives_now():
    fresh = js_cases.render()
    committed = js_cases.OUTPUT.read_text(encoding="utf-8")
    assert committed == fresh, (
        "frontend/src/expr/cases.json is stale: run `.venv/bin/python -m tests.engines.expr.js_cases` "
        "and then `cd frontend && npm test`")


def test_the_corpus_covers_every_function_and_each_empty_rule():
    from engines.expr import FUNCTIONS

    corpus = json.loads(js_cases.OUTPUT.read_text(encoding="utf-8"))
    texts = " ".join(case["expr"] for case in corpus["cases"])
    missing = [f.key for f in FUNCTIONS if f.browser and f"{f.key}(" not in texts]  # DECIDE: the server's only
    assert missing == []
    results = [case.get("result") for case in corpus["cases"] if "error" not in case]
    assert None in results and True in results and False in results
    assert any(isinstance(r, dict) and "date" in r for r in results)
    assert any(isinstance(r, dict) and "datetime" in r for r in results)
    assert {case["ctx"] for case in corpus["cases"]} == set(js_cases.CTXS)
    assert sum(1 for case in corpus["cases"] if "error" in case) >= 20
