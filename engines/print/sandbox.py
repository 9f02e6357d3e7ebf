"""Jinja2 in a sandbox for print templates: no Python internals, no writes to the data, and a budget of
loop steps, calls, string sizes and output so that one template cannot hold the server.

Jinja's sandbox guards attributes; it does not bound work. Here every `for` loop draws on a step budget
(the parsed template is rewritten so each loop's iterable passes through `environment.print_loop`), every
call and attribute lookup counts too, operators and filters that could build huge strings are checked
before they run, and the output is cut off at a size limit. The clock stays outside: the runtime may pass
`out_of_time`, asked every few thousand steps.
"""
from __future__ import annotations

import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Callable, Iterable

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError
from jinja2.filters import do_center, do_format, do_indent, do_replace, do_slice
from jinja2.sandbox import ImmutableSandboxedEnvironment

TEMPLATE_FILENAME = "<print template>"
MAX_STRING = 1_000_000  # characters in any one value a template builds
MAX_WIDTH = 1_000  # widths in format specs, center(), ljust() …
_WIDTH = re.compile(r"\d{4,}|\*")
_NESTED_SPEC = re.compile(r"\{[^{}]*:[^{}]*\{")
MAX_INT_BITS = 100_000  # numbers beyond this are no amount anyone prints


class PrintError(Exception):
    """A template that cannot compile or render: what went wrong and on which line of its html."""

    def __init__(self, kind: str, error: str, line: int | None):
        self.kind, self.error, self.line = kind, error, line
        super().__init__(f"line {line}: {error}" if line else error)


@dataclass
class Limits:
    steps: int = 2_000_000  # loop iterations, calls and attribute lookups together
    output: int = 10_000_000  # characters of rendered HTML
    out_of_time: Callable[[], bool] | None = None  # given by the runtime; engines do not read the clock


@dataclass
class _Budget:
    limits: Limits
    steps: int = 0
    check_every: int = field(default=4096)

    def spend(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > self.limits.steps:
            raise SecurityError(f"the template does too much work (more than {self.limits.steps} steps)")
        if self.steps % self.check_every < count and self.limits.out_of_time and self.limits.out_of_time():
            raise SecurityError("the template took too long to render")


_budget: ContextVar[_Budget | None] = ContextVar("print_budget", default=None)


def _spend(count: int = 1) -> None:
    budget = _budget.get()
    if budget is not None:
        budget.spend(count)


def _sized(value: Any) -> Any:
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_STRING:
        raise SecurityError(f"a value of more than {MAX_STRING} characters or items")
    return value


def _check_widths(format_text: Any) -> None:
    if isinstance(format_text, str) and _NESTED_SPEC.search(format_text):
        raise SecurityError("format specs may not take their width from an argument")
    if isinstance(format_text, str) and _WIDTH.search(format_text):
        for spec in re.findall(r"%[-+ #0]*(?:\*|\d+)|\{[^}]*:[^}]*\}", format_text):
            if "*" in spec or any(int(n) > MAX_WIDTH for n in re.findall(r"\d+", spec)):
                raise SecurityError(f"format widths above {MAX_WIDTH} are not allowed")


def _check_replace(text: Any, old: Any, new: Any) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        count = len(text) + 1 if old == "" else text.count(old)
        if len(text) + count * len(new) > MAX_STRING:
            raise SecurityError(f"a value of more than {MAX_STRING} characters or items")


def _width_checked(function: Callable, *width_params: str, position: int = 1) -> Callable:
    def checked(*args, **kwargs):
        values = [args[position]] if len(args) > position else []
        values += [kwargs[name] for name in width_params if name in kwargs]
        if any(isinstance(v, int) and v > MAX_WIDTH for v in values):
            raise SecurityError(f"widths above {MAX_WIDTH} are not allowed")
        return function(*args, **kwargs)
    return checked


def _format_filter(value, *args, **kwargs):
    _check_widths(value)
    return _sized(do_format(value, *args, **kwargs))


def _replace_filter(eval_ctx, value, old, new, count=None):
    _check_replace(str(value), old, new)
    return do_replace(eval_ctx, value, old, new, count)


_replace_filter.jinja_pass_arg = do_replace.jinja_pass_arg  # type: ignore[attr-defined]


def _slice_filter(value, slices, fill_with=None):
    if not isinstance(slices, int) or slices > MAX_WIDTH:
        raise SecurityError(f"slice() takes at most {MAX_WIDTH} slices")
    return do_slice(value, slices, fill_with)


# str methods whose first argument is a width, and methods checked by their arguments.
_STR_WIDTH_METHODS = {"ljust", "rjust", "center", "zfill", "expandtabs"}


class PrintEnvironment(ImmutableSandboxedEnvironment):
    """Immutable sandbox (no list.append on the data) with autoescape and the work budget."""

    intercepted_binops = frozenset(["*", "**", "+", "%"])

    def __init__(self, filters: dict[str, Callable] | None = None):
        super().__init__(autoescape=True, finalize=_blank_none, undefined=StrictUndefined, trim_blocks=True,
                         lstrip_blocks=True)
        self.globals.pop("lipsum", None)  # lipsum(n=10**9) writes forever
        self.filters.update(center=_width_checked(do_center, "width"),
                            indent=_width_checked(do_indent, "width"),
                            format=_format_filter, replace=_replace_filter, slice=_slice_filter)
        self.filters.update(filters or {})

    # ---- budget hooks ------------------------------------------------------------------------------------------
    def print_loop(self, iterable: Iterable) -> Iterable:
        for item in iterable:
            _spend()
            yield item

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (Jinja's own signature)
        _spend()
        name = getattr(__obj, "__name__", "")
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            if name in _STR_WIDTH_METHODS and any(isinstance(a, int) and a > MAX_WIDTH for a in args):
                raise SecurityError(f"widths above {MAX_WIDTH} are not allowed")
            if name == "replace" and len(args) >= 2:
                _check_replace(owner, args[0], args[1])
            if name in ("format", "format_map"):
                _check_widths(owner)
        return _sized(super().call(__context, __obj, *args, **kwargs))

    def getattr(self, obj, attribute):
        _spend()
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        _spend()
        return super().getitem(obj, argument)

    def call_binop(self, context, operator, left, right):
        _spend()
        if operator == "*":
            for sized, times in ((left, right), (right, left)):
                if isinstance(sized, (str, list, tuple)) and isinstance(times, int):
                    if len(sized) * times > MAX_STRING:
                        raise SecurityError(f"a value of more than {MAX_STRING} characters or items")
        if operator == "**" and isinstance(right, (int, float)) and (
                abs(right) > 100 or isinstance(left, int) and left.bit_length() * abs(right) > MAX_INT_BITS):
            raise SecurityError("the power is too large")
        if operator == "*" and isinstance(left, int) and isinstance(right, int) \
                and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise SecurityError("the product is too large")
        if operator == "%":
            _check_widths(left)
        return _sized(super().call_binop(context, operator, left, right))

    def wrap_str_format(self, value: Any):
        owner = getattr(value, "__self__", None)
        if isinstance(owner, str) and getattr(value, "__name__", "") in ("format", "format_map"):
            _check_widths(owner)
        return super().wrap_str_format(value)

    def print_sized(self, value: Any) -> Any:
        return _sized(value)

    # ---- compiling and rendering -------------------------------------------------------------------------------
    def compile_template(self, source: str):
        """A Template, or PrintError('syntax', …, line)."""
        try:
            tree = self.parse(source, filename=TEMPLATE_FILENAME)
        except TemplateSyntaxError as e:
            raise PrintError("syntax", e.message or str(e), e.lineno) from None
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(nodes.EnvironmentAttribute("print_loop"), [loop.iter], [], None, None
                                   ).set_lineno(loop.iter.lineno)
        for concat in list(tree.find_all(nodes.Concat)):
            _wrap_concat(tree, concat)
        try:
            code = self.compile(tree, filename=TEMPLATE_FILENAME)
        except TemplateSyntaxError as e:  # some checks (e.g. assigning to a name) happen at compile time
            raise PrintError("syntax", e.message or str(e), e.lineno) from None
        return self.template_class.from_code(self, code, self.make_globals(None), None)

    def render(self, template, context: dict, limits: Limits | None = None) -> str:
        """The template's output, or PrintError('render', …, line)."""
        limits = limits or Limits()
        token = _budget.set(_Budget(limits))
        try:
            parts, size = [], 0
            for chunk in template.generate(context):
                size += len(chunk)
                if size > limits.output:
                    raise SecurityError(f"the output is larger than {limits.output} characters")
                parts.append(chunk)
            return "".join(parts)
        except RecursionError:
            raise PrintError("render", "the template nests too deeply", None) from None
        except Exception as e:  # a template can fail in any way its author wrote; all of it is theirs to fix
            raise PrintError("render", _describe(e), _template_line(e.__traceback__)) from None
        finally:
            _budget.reset(token)


def _blank_none(value: Any) -> Any:
    return "" if value is None else value


def _wrap_concat(tree: nodes.Template, concat: nodes.Concat) -> None:
    """Replace `a ~ b` by print_sized(a ~ b) wherever it sits, so string growth in loops stays bounded."""
    wrapped = nodes.Call(nodes.EnvironmentAttribute("print_sized"), [concat], [], None, None).set_lineno(concat.lineno)
    for parent in tree.find_all(nodes.Node):
        for name, value in parent.iter_fields():
            if value is concat:
                setattr(parent, name, wrapped)
                return
            if isinstance(value, list) and any(item is concat for item in value):
                setattr(parent, name, [wrapped if item is concat else item for item in value])
                return


def _describe(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text if isinstance(error, (SecurityError,)) or type(error).__module__.startswith("jinja2") \
        else f"{type(error).__name__}: {text}"


def _template_line(trace: TracebackType | None) -> int | None:
    """The innermost line of the template in a traceback Jinja rewrote to point into the template."""
    line = None
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == TEMPLATE_FILENAME:
            line = trace.tb_lineno
        trace = trace.tb_next
    return line
