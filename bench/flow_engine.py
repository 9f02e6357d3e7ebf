"""Flow-engine micro-benchmark: 10,000 instances of a two-step approval (start → manager → finance → end), each
started and approved twice, in memory through engines.flow.step — the interpreter alone, no database.

    python -m bench.flow_engine [instances]

Reference: SpiffWorkflow runs about 1,000 such instances per second on this machine.
"""
from __future__ import annotations

import gc
import sys
import time
from datetime import datetime, timedelta, timezone

from engines.flow import FlowContext, OrgChart, Start, TaskAction, compile_flow, step
from engines.form.definition import FormDef

FORM = FormDef.model_validate({"key": "expense", "name": "报销", "fields": [
    {"key": "amount", "type": "money"}, {"key": "status", "type": "text"}]})
FLOW = {
    "key": "expense_approval", "name": "报销审批", "trigger": {"type": "record_created", "form": "expense"},
    "nodes": [{"id": "start", "type": "start"},
              {"id": "manager", "type": "approval", "assignees": {"manager": {}}},
              {"id": "finance", "type": "approval", "assignees": {"role": "finance"}},
              {"id": "end", "type": "end"}],
    "edges": [{"from": "start", "to": "manager"}, {"from": "manager", "to": "finance"},
              {"from": "finance", "to": "end"}],
}
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def run(count: int) -> tuple[float, int]:
    flow = compile_flow(FLOW, {"expense": FORM}, version=1)
    ctx = FlowContext(OrgChart(roles={"finance": [3]}, managers={1: 2}))
    rows_written = 0
    gc.collect()
    started = time.perf_counter()
    for i in range(count):
        now = T0 + timedelta(seconds=i)
        result = step(flow, None, Start(now, i, 1, {"id": i, "amount": 100.0}), ctx)
        rows_written += len(result.changes)
        for approver in (2, 3):
            task = next(t.id for t in result.state.tasks.values() if t.status == "pending")
            result = step(flow, result.state, TaskAction(now, task, "approve", approver), ctx)
            rows_written += len(result.changes)
        assert result.state.instance.status == "completed"
    return time.perf_counter() - started, rows_written


def measure(count: int) -> tuple[float, int]:
    """(seconds, rows written) for `count` instances, after a warm-up."""
    run(200)
    return run(count)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    elapsed, rows = measure(count)
    rate = count / elapsed
    print(f"flow engine: {count} two-step approval instances (start + 2 approvals = {3 * count} steps) "
          f"in {elapsed:.2f} s")
    print(f"  {rate:,.0f} instances/s, {3 * count / elapsed:,.0f} steps/s, "
          f"{rows / count:.1f} rows written per instance")
    print(f"  vs SpiffWorkflow ~1,000 instances/s on this machine: {rate / 1000:.1f}×")


if __name__ == "__main__":
    main()
