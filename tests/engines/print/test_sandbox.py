"""The sandbox: no way into Python internals or the data, bounded work and output, errors with their line."""
from __future__ import annotations

import pytest

from engines.print import Limits, PrintError, print_environment, syntax_error


def render(source: str, limits: Limits | None = None, **context) -> str:
    env = print_environment()
    return env.render(env.compile_template(source), context, limits)


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__['os'] }}",
    "{{ range.__globals__ }}",
    "{{ record.__dict__ }}",
    "{{ record._values }}",
    "{{ self.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ ''.format.__globals__ }}",
    "{{ '{0.__class__}'.format(record) }}",
])
def test_python_internals_are_out_of_reach(source):
    from engines.print import PrintRecord

    with pytest.raises(PrintError) as caught:
        render(source, record=PrintRecord({"a": 1}, "t"))
    assert caught.value.kind == "render" and caught.value.line == 1


def test_the_data_cannot_be_changed():
    rows = [1, 2]
    with pytest.raises(PrintError, match="unsafe|modify"):
        render("{{ rows.append(3) }}", rows=rows)
    assert rows == [1, 2]


@pytest.mark.parametrize("source", [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
    "{% set ns = namespace(s='x') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
    "{{ 'x' * 10**9 }}",
    "{{ [0] * 10**9 }}",
    "{{ ((10**100)**100)**100 }}",
    "{{ 'x'|center(10**9) }}",
    "{{ 'x'|indent(10**9, true) }}",
    "{{ '%999999999d'|format(1) }}",
    "{{ '%*d' % (999999999, 1) }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ '{:>{}}'.format(1, 999999999) }}",
    "{{ 'x'.ljust(999999999) }}",
    "{{ ('x' * 1000)|replace('', 'y' * 5000) }}",
    "{{ 'x'.replace('', 'y' * 999999) }}",
    "{{ (1, 2)|slice(999999999)|list }}",
    "{{ lipsum(999999) }}",
])
def test_work_and_size_are_bounded(source):
    with pytest.raises(PrintError):
        render(source)


def test_output_is_cut_at_the_limit_and_time_is_asked():
    with pytest.raises(PrintError, match="larger than 100"):
        render("{% for i in range(1000) %}xxxxxxxxxx{% endfor %}", Limits(output=100))
    with pytest.raises(PrintError, match="too long"):
        render("{% for i in range(100000) %}{% endfor %}", Limits(out_of_time=lambda: True))


def test_ordinary_templates_render():
    assert render("{% for r in rows %}{{ loop.index }}:{{ r }};{% endfor %}", rows=["a", "b"]) == "1:a;2:b;"
    assert render("{{ '%05.1f'|format(3.14159) }} {{ '{:>4}'.format(7) }} {{ 'a' ~ 'b' }}") == "003.1    7 ab"
    assert render("{{ x }}|{{ y|default('-') }}", x=None) == "|-"


def test_values_are_escaped():
    assert render("{{ x }}", x="<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_render_errors_name_the_line():
    with pytest.raises(PrintError) as caught:
        render("<p>a</p>\n<p>{{ record.missing }}</p>", record={"present": 1})
    assert caught.value.line == 2 and "missing" in caught.value.error
    with pytest.raises(PrintError) as caught:
        render("one\ntwo\n{{ 1 / 0 }}")
    assert caught.value.line == 3 and "ZeroDivisionError" in caught.value.error


@pytest.mark.parametrize("source, line", [
    ("<p>{{ record.no }</p>", 1),
    ("a\nb\n{% if x %}\n", 3),
    ("a\n{% for %}", 2),
    ("{{ x | }}", 1),
])
def test_syntax_errors_are_found_with_their_line(source, line):
    error = syntax_error(source)
    assert error is not None and error.kind == "syntax" and error.line == line


def test_a_good_template_has_no_syntax_error():
    assert syntax_error("{% for row in record.lines %}{{ row.qty }}{% endfor %}{{ record.in }}") is None
