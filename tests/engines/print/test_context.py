"""What templates see: display values by field type, raw values, rows, linked records two hops out, labels;
and the default template made from a form's layout."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from builder.model import AppDef
from engines.print import (DEFAULT_KEY, PrintList, Related, default_template, print_context, print_environment,
                           printed_fields, render_document)
from engines.print.context import DISPLAY

APP = AppDef.model_validate({
    "format": "nocode.app/v1", "key": "shop", "name": "小店",
    "forms": [
        {"key": "leader", "name": "团长", "title_field": "name", "fields": [{"key": "name", "type": "text"}]},
        {"key": "customer", "name": "客户", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "label": "姓名"},
            {"key": "leader", "type": "relation", "target": "leader"}]},
        {"key": "product", "name": "商品", "title_field": "name", "fields": [{"key": "name", "type": "text"}]},
        {"key": "order", "name": "订单", "title_field": "no", "fields": [
            {"key": "no", "type": "text", "label": "单号"},
            {"key": "customer", "type": "relation", "target": "customer", "label": "客户"},
            {"key": "gifts", "type": "relation", "target": "product", "many": True, "label": "赠品"},
            {"key": "status", "type": "select", "label": "状态",
             "options": [{"value": "paid", "label": "已支付"}, {"value": "refunded", "label": "已退款"}]},
            {"key": "channels", "type": "multi_select", "label": "渠道", "options": ["社群", "直播"]},
            {"key": "amount", "type": "money", "label": "金额"},
            {"key": "discount", "type": "percent", "label": "折扣"},
            {"key": "weight", "type": "number", "decimals": 2, "label": "重量"},
            {"key": "paid_on", "type": "date", "label": "支付日"},
            {"key": "paid_at", "type": "datetime", "label": "支付时间"},
            {"key": "gift_wrap", "type": "checkbox", "label": "包装"},
            {"key": "tags", "type": "tags", "label": "标签"},
            {"key": "remark", "type": "long_text", "label": "备注"},
            {"key": "secret", "type": "text", "label": "内部备注", "hidden": True},
            {"key": "total", "type": "formula", "expr": "amount * 2", "result": "money", "label": "合计"},
            {"key": "lines", "type": "subtable", "label": "明细", "fields": [
                {"key": "product", "type": "relation", "target": "product", "label": "商品"},
                {"key": "qty", "type": "number", "label": "数量"},
                {"key": "price", "type": "money", "label": "单价"}]},
        ]},
    ],
})
ORDER = APP.form("order")
RECORD = {
    "id": 7, "no": "DD0007", "customer": {"id": 1, "title": "张三"}, "gifts": [{"id": 1, "title": "苹果"}],
    "status": "paid", "channels": ["社群", "直播"], "amount": 1234.5, "discount": 15, "weight": 1.5,
    "paid_on": "2026-03-01", "paid_at": "2026-03-01T09:30:00+08:00", "gift_wrap": True, "tags": ["团购", "复购"],
    "remark": "轻放", "secret": "x", "total": 2469, "version": 3, "created_at": "2026-03-01T09:00:00+08:00",
    "lines": [{"id": 1, "product": {"id": 1, "title": "苹果"}, "qty": 2, "price": 5},
              {"id": 2, "product": {"id": 2, "title": "大米"}, "qty": 1, "price": 1224.5}],
}
RELATED = Related(forms={f.key: f for f in APP.forms}, records={
    ("customer", 1): {"id": 1, "name": "张三", "leader": {"id": 9, "title": "李团长"}},
    ("leader", 9): {"id": 9, "name": "李团长"},
    ("product", 1): {"id": 1, "name": "苹果"}, ("product", 2): {"id": 2, "name": "大米"},
})
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def context(record=RECORD, lang="zh-CN"):
    return print_context(APP, ORDER, record, RELATED, now=NOW, user={"id": 1, "name": "管理员"}, lang=lang)


def show(source: str, record=RECORD, lang="zh-CN") -> str:
    env = print_environment()
    return env.render(env.compile_template(source), context(record, lang))


@pytest.mark.parametrize("source, expected", [
    ("{{ record.status }}", "已支付"),
    ("{{ record.raw.status }}", "paid"),
    ("{{ raw.amount }}", "1234.5"),
    ("{{ record.amount }}", "1,234.50"),
    ("{{ record.amount|money }}", "¥1,234.50"),
    ("{{ record.amount|cn_upper }}", "壹仟贰佰叁拾肆元伍角整"),
    ("{{ record.total }}", "2,469.00"),
    ("{{ record.discount }}", "15%"),
    ("{{ record.weight }}", "1.50"),
    ("{{ record.paid_on }}", "2026-03-01"),
    ("{{ record.paid_at }}", "2026-03-01 09:30"),
    ("{{ record.raw.paid_at|date('%m月%d日') }}", "03月01日"),
    ("{{ record.gift_wrap }}", "是"),
    ("{{ record.channels }}", "社群、直播"),
    ("{{ record.tags }}", "团购、复购"),
    ("{{ record.tags|length }}", "2"),
    ("{{ record.customer }}", "张三"),
    ("{{ record.customer.name }}", "张三"),
    ("{{ record.customer.leader }}/{{ record.customer.leader.name }}", "李团长/李团长"),
    ("{{ record.gifts }}|{{ record.gifts[0].name }}", "苹果|苹果"),
    ("{% for row in record.lines %}{{ row.product.name }}×{{ row.qty }}@{{ row.price }};{% endfor %}",
     "苹果×2@5.00;大米×1@1,224.50;"),
    ("{{ record.lines|length }}", "2"),
    ("{{ record }}|{{ title }}", "DD0007|DD0007"),
    ("{{ record.id }} v{{ record.version }} {{ record.created_at }}", "7 v3 2026-03-01 09:00"),
    ("{{ form.name }}:{{ form.labels.amount }}:{{ form.labels['lines.qty'] }}", "订单:金额:数量"),
    ("{{ form.fields|map(attribute='key')|first }}", "no"),
    ("{{ app.name }} {{ user.name }} {{ now|datetime }}", "小店 管理员 2026-03-02 08:00"),
])
def test_templates_see_display_values_and_links(source, expected):
    assert show(source) == expected


def test_checkbox_words_follow_the_language():
    assert show("{{ record.gift_wrap }}", lang="en") == "Yes"
    assert show("{{ record.gift_wrap }}", record={**RECORD, "gift_wrap": False}) == "否"


def test_empty_values_print_as_nothing_and_an_empty_link_is_falsy():
    empty = {"id": 8, "customer": None, "amount": None, "lines": [], "tags": None, "status": None}
    assert show("[{{ record.amount }}][{{ record.customer }}][{{ record.customer.name }}][{{ record.status }}]",
                record=empty) == "[][][][]"
    assert show("{% if record.customer %}yes{% else %}no{% endif %}{% for r in record.lines %}x{% else %}-{% endfor %}",
                record=empty) == "no-"
    assert show("{{ record }}", record=empty) == "#8"


def test_links_beyond_what_was_loaded_print_their_title():
    far = Related(forms=RELATED.forms, records={("customer", 1): RELATED.records[("customer", 1)]})
    ctx = print_context(APP, ORDER, RECORD, far, now=NOW)
    env = print_environment()
    assert env.render(env.compile_template("{{ record.customer.leader }}"), ctx) == "李团长"


def test_core_field_types_have_a_display_and_others_print_their_titles():
    from engines.print.context import RecordView, show_unknown

    core = {"text", "long_text", "number", "money", "percent", "date", "datetime", "select", "multi_select",
            "checkbox", "phone", "email", "url", "relation", "tags", "autonumber", "formula", "subtable"}
    assert core <= set(DISPLAY)
    view = RecordView(RELATED)
    assert show_unknown(view, None, {"id": 1, "title": "张三"}, 0) == "张三"
    assert str(show_unknown(view, None, [{"id": 1, "title": "a"}, "b"], 0)) == "a、b"


def test_lists_print_as_one_line():
    assert str(PrintList(["a", "b"])) == "a、b"


def test_default_template_has_every_field_label_and_the_rows():
    template = default_template(ORDER)
    assert template.key == DEFAULT_KEY and template.paper == "A4"
    env = print_environment()
    html = render_document(env, template, [context()], title="订单")
    for f in printed_fields(ORDER):
        if f.type != "subtable":
            assert f"<th>{f.label}</th>" in html, f.key
    assert "内部备注" not in html and ">x<" not in html  # hidden fields stay off paper
    assert '<h2 class="print-subtitle">明细</h2>' in html
    for label in ("商品", "数量", "单价"):
        assert f"<th>{label}</th>" in html
    assert '<td class="print-relation">大米</td><td class="print-number">1</td><td class="print-money">1,224.50</td>' in html
    assert '<td class="print-value">已支付</td>' in html and "张三" in html and "社群、直播" in html
    assert '@page { size: 210mm 297mm; margin: 12mm; }' in html and '"Noto Sans CJK SC"' in html
    assert "break-before: page" in html and "break-inside: avoid" in html


def test_default_template_skips_layout_fields():
    class Divider:
        key, type, label, hidden = "sep", "divider", "分隔", False

    class FakeForm:
        key, name = "f", "表"
        fields = [ORDER.field("no"), Divider()]

    assert [f.key for f in printed_fields(FakeForm)] == ["no"]


def test_landscape_and_receipt_paper():
    from engines.print import PrintTemplateDef

    wide = PrintTemplateDef(key="w", form="order", name="w", html="x", paper="A4", orientation="landscape")
    slip = PrintTemplateDef(key="s", form="order", name="s", html="x", paper="80mm")
    assert wide.page_size() == "297mm 210mm" and slip.page_size().startswith("80mm") and slip.page_margins() == "3mm"
