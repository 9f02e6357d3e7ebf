"""The rules engine: "when (an event or a schedule) if (condition) then (actions) else (actions)".

    rules = compile_rules(app.rules, forms)              # once per published version
    outcome = evaluate(rule, record, ctx)                # event time: one record in memory → new values
    effects = act(rule, outcome.branch, outcome.acting, record_after, ctx, directory)
    plan = compile_batch(rule, tables, ctx, dialect, forms, facts)   # batch: SQL over every record

Pure like every engine: the runtime (runtime/rules.py) loads records, runs the SQL and carries out the effects."""
from __future__ import annotations

from engines.rules import errors  # noqa: F401  (message codes)
from engines.rules.actions import ACTIONS, ActionDef
from engines.rules.batch import BatchPlan, compile_batch
from engines.rules.compiler import CompiledRule, compile_rule, compile_rules
from engines.rules.definition import RuleDef
from engines.rules.evaluate import Outcome, act, evaluate
from engines.rules.validate import RuleFacts, problem_from_pydantic, validate_rules

__all__ = ["ACTIONS", "ActionDef", "BatchPlan", "CompiledRule", "Outcome", "RuleDef", "RuleFacts", "act",
           "compile_batch", "compile_rule", "compile_rules", "evaluate", "problem_from_pydantic", "validate_rules"]
