"""Demo data from a recipe in the app (the `demo` section): believable records in bulk, deterministic per seed."""
from engines.demo.plan import DemoPlan, Pool, UniqueExhausted, dependencies, generation_order
from engines.demo.recipe import DemoDef, demo_problems
from engines.demo.values import DataGen

__all__ = ["DataGen", "DemoDef", "DemoPlan", "Pool", "UniqueExhausted", "demo_problems", "dependencies",
           "generation_order"]
