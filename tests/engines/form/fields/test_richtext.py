"""engines/form/fields/richtext.py: sanitised HTML."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from engines.form.fields import field_type
from engines.form.fields.richtext import plain_text
from fieldcases import UTC, Err, check, make, params

REL = 'rel="noopener noreferrer nofollow"'

CASES = [
    ("rich_text", {}, "<p>你好 <strong>世界</strong></p>", "<p>你好 <strong>世界</strong></p>"),
    ("rich_text", {}, "<h2>标题</h2><ul><li>一</li></ul>", "<h2>标题</h2><ul><li>一</li></ul>"),
    ("rich_text", {}, '<a href="https://example.com">x</a>', f'<a href="https://example.com" {REL}>x</a>'),
    ("rich_text", {}, '<a href="mailto:a@b.cn">m</a>', f'<a href="mailto:a@b.cn" {REL}>m</a>'),
    ("rich_text", {}, '<a href="javascript:alert(1)">x</a>', f"<a {REL}>x</a>"),
    ("rich_text", {}, '<a href="/api/records">x</a>', f"<a {REL}>x</a>"),  # no links into the platform
    ("rich_text", {}, '<img src="/api/files/abc" alt="图">', '<img src="/api/files/abc" alt="图">'),
    ("rich_text", {}, '<img src="https://cdn.example.com/a.png">', '<img src="https://cdn.example.com/a.png">'),
    ("rich_text", {}, '<p>a<img src="/api/files/../secrets"></p>', "<p>a<img></p>"),
    ("rich_text", {}, '<p>a<img src="data:image/png;base64,AAAA"></p>', "<p>a<img></p>"),
    ("rich_text", {}, "<p onclick=\"steal()\" style=\"color:red\">x</p>", "<p>x</p>"),
    ("rich_text", {}, "<p>ok</p><script>steal()</script><style>p{}</style>", "<p>ok</p>"),
    ("rich_text", {}, "<iframe src=\"https://evil\"></iframe><p>x</p>", "<p>x</p>"),
    ("rich_text", {}, '<table><tr><td colspan="2" onmouseover="x()">c</td></tr></table>',
     '<table><tbody><tr><td colspan="2">c</td></tr></tbody></table>'),
    ("rich_text", {}, "第一行\n第二行 a<b", "<p>第一行</p><p>第二行 a&lt;b</p>"),  # plain text from a spreadsheet
    ("rich_text", {}, 42, "<p>42</p>"),
    ("rich_text", {}, "<script>alert(1)</script>", None),  # nothing left: no value
    ("rich_text", {}, "<p> </p><p></p>", None),
    ("rich_text", {"max_length": 20}, "<p>" + "字" * 20 + "</p>", Err("too_long", {"limit": 20})),
    ("rich_text", {"max_length": 20}, "<b>" + "x" * 100 + "</b>", Err("too_long", {"limit": 20})),
    ("rich_text", {}, ["<p>x</p>"], Err("not_text")),
    ("rich_text", {}, {"html": "<p>x</p>"}, Err("not_text")),
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


def test_sanitising_is_stable():
    f, rich = make("rich_text"), field_type("rich_text")
    once = rich.coerce(f, '<p>a <a href="https://x.cn" target="_blank">b</a><img src="/api/files/1"></p>', UTC)
    assert rich.coerce(f, once, UTC) == once


def test_export_is_plain_text_with_blocks_on_lines():
    html = "<h1>标题</h1><p>甲 &amp; 乙<br>丙</p><ul><li>一</li><li>二</li></ul><table><tr><td>a</td><td>b</td></tr></table>"
    f, rich = make("rich_text"), field_type("rich_text")
    assert rich.to_cell(f, rich.dump(f, html, UTC)) == "标题\n甲 & 乙\n丙\n一\n二\na\tb"
    assert rich.to_cell(f, None) is None
    assert plain_text("<p>a &lt; b</p>") == "a < b"


@pytest.mark.parametrize("props", [{"max_length": 0}, {"max_length": 2_000_000}, {"tags": ["script"]}])
def test_definition_rejected(props):
    with pytest.raises(ValidationError):
        make("rich_text", **props)
