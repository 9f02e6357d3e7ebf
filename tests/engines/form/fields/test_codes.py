"""engines/form/fields/codes.py: 身份证号, 微信号, barcode and colour."""
from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from engines.form.fields import field_type
from engines.form.fields.codes import id_birth_date, id_check_digit, id_gender, upgrade_id15
from fieldcases import Err, check, make, params

# Numbers built from the published check-digit rule (GB 11643-1999); 11010519491231002X is the standard's example.
GOOD_ID = "11010519491231002X"
WOMAN = "440305199001011248"
REJECT_OLD = {"old_form": "reject"}

CASES = [
    ("id_number", {}, GOOD_ID, GOOD_ID),
    ("id_number", {}, "11010519491231002x", GOOD_ID),  # the check letter is stored upper-case
    ("id_number", {}, " 110105 19491231 002X ", GOOD_ID),
    ("id_number", {}, WOMAN, WOMAN),
    ("id_number", {}, "110105491231002", GOOD_ID),  # 15 digits: upgraded to the 18-digit number
    ("id_number", {}, 110105491231002, GOOD_ID),  # a spreadsheet cell holding it as a number
    ("id_number", REJECT_OLD, "110105491231002", Err("id_number_old_form")),
    ("id_number", {}, "110105194912310021", Err("bad_id_checksum")),
    ("id_number", {}, "440305199001011245", Err("bad_id_checksum")),
    ("id_number", {}, "110105194902300028", Err("bad_id_birth_date", {"value": "19490230"})),
    ("id_number", {}, "110105180001010028", Err("bad_id_birth_date", {"value": "18000101"})),
    ("id_number", {}, "11010519491231002Y", Err("bad_id_number")),
    ("id_number", {}, "1101051949123100", Err("bad_id_number")),
    ("id_number", {}, "X10105194912310021", Err("bad_id_number")),
    ("id_number", {}, ["11010519491231002X"], Err("not_text")),
    ("wechat", {}, "zhang_san-88", "zhang_san-88"),
    ("wechat", {}, "  Abcdef ", "Abcdef"),
    ("wechat", {}, "a" * 20, "a" * 20),
    ("wechat", {}, "a" * 21, Err("bad_wechat")),
    ("wechat", {}, "abcde", Err("bad_wechat", {"value": "abcde"})),
    ("wechat", {}, "8abcdef", Err("bad_wechat")),
    ("wechat", {}, "_abcdef", Err("bad_wechat")),
    ("wechat", {}, "张三abcdef", Err("bad_wechat")),
    ("wechat", {}, "abc def", Err("bad_wechat")),
    ("wechat", {}, 13800138000, Err("bad_wechat")),
    ("barcode", {}, "ABC-123 xyz", "ABC-123 xyz"),
    ("barcode", {}, 6901234567892, "6901234567892"),
    ("barcode", {}, "bad\x00code", Err("bad_barcode")),
    ("barcode", {}, "x" * 501, Err("too_long", {"limit": 500})),
    ("barcode", {"format": "ean13"}, "6901234567892", "6901234567892"),
    ("barcode", {"format": "ean13"}, "4006381333931", "4006381333931"),
    ("barcode", {"format": "ean13"}, 4006381333931, "4006381333931"),
    ("barcode", {"format": "ean13"}, 123456789012, "0123456789012"),  # a number lost its leading 0
    ("barcode", {"format": "ean13"}, 123456789013, Err("bad_ean13_checksum")),  # zero-padded, then checked
    ("barcode", {"format": "ean13"}, 12345678905, Err("bad_barcode")),
    ("barcode", {"format": "ean13"}, "6901234567893", Err("bad_ean13_checksum", {"value": "6901234567893"})),
    ("barcode", {"format": "ean13"}, "690123456789", Err("bad_barcode", {"format": "EAN-13", "value": "690123456789"})),
    ("barcode", {"format": "ean13"}, "69012345678A2", Err("bad_barcode")),
    ("barcode", {"format": "code128"}, "SKU-0001/A", "SKU-0001/A"),
    ("barcode", {"format": "code128"}, "条码", Err("bad_barcode", {"format": "Code 128", "value": "条码"})),
    ("barcode", {"format": "code128"}, "x" * 81, Err("too_long", {"limit": 80})),
    ("barcode", {"format": "qrcode"}, "https://example.com/p?id=1\n第二行", "https://example.com/p?id=1\n第二行"),
    ("barcode", {"format": "qrcode"}, "x" * 2001, Err("too_long", {"limit": 2000})),
    ("color", {}, "#1677ff", "#1677FF"),
    ("color", {}, "1677FF", "#1677FF"),
    ("color", {}, "#abc", "#AABBCC"),
    ("color", {}, "rgb(22, 119, 255)", "#1677FF"),
    ("color", {}, "rgb(256, 0, 0)", Err("bad_color")),
    ("color", {}, "#12345", Err("bad_color", {"value": "#12345"})),
    ("color", {}, "#GGGGGG", Err("bad_color")),
    ("color", {}, "blue", Err("bad_color")),
    ("color", {}, True, Err("not_text")),
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


def test_id_helpers_read_birth_date_and_gender():
    assert id_birth_date(GOOD_ID) == date(1949, 12, 31) and id_gender(GOOD_ID) == "female"
    assert id_birth_date(WOMAN) == date(1990, 1, 1) and id_gender(WOMAN) == "female"
    man = "11010519900307" + "123"
    man += id_check_digit(man)
    assert id_gender(man) == "male"
    assert upgrade_id15("110105491231002") == GOOD_ID


def test_every_check_digit_is_accepted_and_one_off_is_not():
    ftype, f = field_type("id_number"), make("id_number")
    for serial in range(100, 111):  # covers check digits 0-9 and X
        first17 = f"44030519900101{serial:03d}"
        number = first17 + id_check_digit(first17)
        assert ftype.coerce(f, number, None) == number
        wrong = first17 + ("0" if number[-1] != "0" else "1")
        with pytest.raises(Exception) as info:
            ftype.coerce(f, wrong, None)
        assert info.value.code == "bad_id_checksum"


def test_color_presets_are_checked():
    problems = field_type("color").check_def(make("color", presets=["#fff", "pink"]))
    assert [(p.path, p.code) for p in problems] == [("/presets/1", "bad_color")]


@pytest.mark.parametrize("kind, props", [
    ("id_number", {"old_form": "keep"}), ("barcode", {"format": "upc"}), ("wechat", {"pattern": "x"}),
])
def test_definition_rejected(kind, props):
    with pytest.raises(ValidationError):
        make(kind, **props)
