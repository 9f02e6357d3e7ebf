"""Decision-table benchmark: `python -m bench.decisions [--evaluations N]`.

One 50-row first-hit table (5 leader levels × 10 amount bands, the last row "-" for anything else) evaluated
N times (1,000,000 by default) over generated inputs, three ways, checked to give the same answers:

- ours, the way the platform runs it: `DECIDE('commission', level, amount).rate` compiled once by engines.expr
  and evaluated per record (one bit mask per column: a dictionary look-up or a binary search each);
- ours, the table alone (DecisionTable.decide), without the expression around it;
- zen-engine (Rust, on PyPI; bench/requirements.txt), the same table as a JDM decision table node,
  `decision.evaluate(context)` per input, and `engine.evaluate_batch` for the whole list at once.

Without zen-engine installed only ours is measured.
"""
from __future__ import annotations

import argparse
import random
import time
from datetime import datetime, timezone

from builder.validate import validate_app
from engines.expr import EvalContext, Scope, compile_expression

LEVELS = ["gold", "silver", "bronze", "iron", "new"]
BANDS = [0, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000]


def table_rows() -> list[tuple[str, float, float, float]]:
    """(level, low, high, rate): 49 bands, then the catch-all."""
    rows = []
    for i, level in enumerate(LEVELS):
        for j, low in enumerate(BANDS):
            high = BANDS[j + 1] if j + 1 < len(BANDS) else None
            rows.append((level, low, high, round(0.01 * (i + 1) + 0.001 * j, 4)))
    return rows[:49]


def ours_definition() -> dict:
    rows = [{"when": [f"'{level}'", f"[{low}..{high})" if high is not None else f">= {low}"], "then": [rate]}
            for level, low, high, rate in table_rows()]
    rows.append({"when": ["-", "-"], "then": [0.0]})
    return {"key": "commission", "inputs": ["level", "amount"], "outputs": ["rate"], "hit": "first", "rows": rows}


def zen_definition() -> dict:
    rules = [{"_id": f"r{n}", "in_level": f'"{level}"',
              "in_amount": f"[{low}..{high})" if high is not None else f">= {low}", "out_rate": str(rate)}
             for n, (level, low, high, rate) in enumerate(table_rows())]
    rules.append({"_id": "r49", "in_level": "", "in_amount": "", "out_rate": "0"})
    return {"nodes": [
        {"id": "in", "type": "inputNode", "name": "request", "position": {"x": 0, "y": 0}},
        {"id": "table", "type": "decisionTableNode", "name": "commission", "position": {"x": 1, "y": 0},
         "content": {"hitPolicy": "first",
                     "inputs": [{"id": "in_level", "name": "level", "field": "level"},
                                {"id": "in_amount", "name": "amount", "field": "amount"}],
                     "outputs": [{"id": "out_rate", "name": "rate", "field": "rate"}], "rules": rules}},
        {"id": "out", "type": "outputNode", "name": "response", "position": {"x": 2, "y": 0}}],
        "edges": [{"id": "e1", "sourceId": "in", "targetId": "table", "type": "edge"},
                  {"id": "e2", "sourceId": "table", "targetId": "out", "type": "edge"}]}


def inputs(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    return [{"level": rng.choice(LEVELS + ["vip"]), "amount": float(rng.randrange(0, 60000))} for _ in range(n)]


def timed(label: str, n: int, run) -> tuple[float, list]:
    start = time.perf_counter()
    answers = run()
    seconds = time.perf_counter() - start
    print(f"  {label:<46} {seconds:8.2f} s   {n / seconds:>12,.0f} evaluations/s   {seconds / n * 1e6:7.2f} µs each")
    return seconds, answers


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.decisions", description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=1_000_000)
    n = parser.parse_args(argv).evaluations
    app = validate_app({"format": "nocode.app/v1", "key": "bench", "name": "bench",
                        "forms": [{"key": "order", "name": "order", "fields": [
                            {"key": "level", "type": "text"}, {"key": "amount", "type": "number"}]}],
                        "decision_tables": [ours_definition()]})
    compiled = compile_expression("DECIDE('commission', level, amount).rate",
                                  Scope({f.key: f for f in app.forms}, "order"))
    table = app.decision_tables[0].compiled()
    ctx = EvalContext(now=datetime.now(timezone.utc), tz=timezone.utc)
    records = inputs(n)
    print(f"decision table: {len(table.values)} rows × 2 inputs, hit first; {n:,} evaluations")
    evaluate = compiled.evaluate
    _, ours = timed("ours: DECIDE(...).rate compiled expression", n, lambda: [evaluate(r, ctx) for r in records])
    decide = table.decide
    timed("ours: DecisionTable.decide (the table alone)", n,
          lambda: [decide(r["level"], r["amount"]) for r in records])
    try:
        import zen
    except ImportError:
        print("  zen-engine is not installed (.venv/bin/pip install -r bench/requirements.txt): ours alone")
        return
    engine = zen.ZenEngine({"loader": lambda key: zen_definition()})
    decision = engine.create_decision(zen_definition())
    zen_evaluate = decision.evaluate
    _, theirs = timed("zen-engine: decision.evaluate per input", n,
                      lambda: [zen_evaluate(r)["result"]["rate"] for r in records])
    chunk = 10_000
    timed(f"zen-engine: evaluate_batch, {chunk:,} a call", n, lambda: [
        answer["data"]["result"]["rate"] for i in range(0, n, chunk)
        for answer in engine.evaluate_batch([{"key": "t", "context": r} for r in records[i:i + chunk]])])
    wrong = sum(1 for a, b in zip(ours, theirs) if abs(a - b) > 1e-12)
    print(f"  answers compared: {n:,}, different: {wrong}")


if __name__ == "__main__":
    main()
