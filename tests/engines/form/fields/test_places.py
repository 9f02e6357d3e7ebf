"""engines/form/fields/places.py: region (省/市/区), address and location, and the bundled region list."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from engines.form.fields import field_type
from engines.form.fields.places import region_children, region_tree
from fieldcases import UTC, Err, check, make, params

NANSHAN = {"code": "440305", "names": ["广东省", "深圳市", "南山区"]}
SHENZHEN = {"code": "440300", "names": ["广东省", "深圳市"]}
CHAOYANG = {"code": "110105", "names": ["北京市", "北京市", "朝阳区"]}
DONGGUAN = {"code": "441900", "names": ["广东省", "东莞市"]}  # a city without districts
CITY = {"level": "city"}
PROVINCE = {"level": "province"}
NO_DETAIL = {"detail_required": False}

CASES = [
    # region by code, as the API hands it back, by names and by text
    ("region", {}, "440305", NANSHAN),
    ("region", {}, 440305, NANSHAN),  # a spreadsheet number
    ("region", {}, {"code": "440305", "names": ["stale", "names"]}, NANSHAN),
    ("region", {}, ["广东省", "深圳市", "南山区"], NANSHAN),
    ("region", {}, "广东省/深圳市/南山区", NANSHAN),
    ("region", {}, "广东省深圳市南山区", NANSHAN),
    ("region", {}, "广东 深圳 南山", NANSHAN),
    ("region", {}, "广东省，深圳市，南山区", NANSHAN),
    ("region", {}, "深圳市南山区", NANSHAN),  # the province left out
    ("region", {}, "北京市朝阳区", CHAOYANG),  # a municipality without its city level
    ("region", {}, "北京市/北京市/朝阳区", CHAOYANG),
    ("region", {}, "湖北省仙桃市", {"code": "429004", "names": ["湖北省", "省直辖县级行政区划", "仙桃市"]}),
    ("region", {}, "内蒙古呼和浩特市新城区", {"code": "150102", "names": ["内蒙古自治区", "呼和浩特市", "新城区"]}),
    ("region", {}, "东莞市", DONGGUAN),
    ("region", {}, "441900", DONGGUAN),
    ("region", CITY, "广东省深圳市", SHENZHEN),
    ("region", CITY, "440305", SHENZHEN),  # finer than the field: cut to its level
    ("region", CITY, "广东省深圳市南山区", SHENZHEN),
    ("region", PROVINCE, "广东", {"code": "440000", "names": ["广东省"]}),
    ("region", {}, "广东省/深证市/南山区", Err("unknown_region_in", {"parent": "广东省", "name": "深证市"})),
    ("region", {}, "广东省深圳市南山区科技园", Err("unknown_region_in", {"parent": "南山区", "name": "科技园"})),
    ("region", {}, "火星", Err("unknown_region", {"name": "火星"})),
    ("region", {}, "999999", Err("unknown_region_code", {"adcode": "999999"})),
    ("region", {}, "4403", Err("unknown_region_code")),
    ("region", {}, "广东省", Err("region_too_coarse", {"name": "广东省", "level": "district", "level_zh": "区县"})),
    ("region", {}, "440300", Err("region_too_coarse")),
    ("region", CITY, "广东省", Err("region_too_coarse")),
    ("region", {}, {"name": "南山区"}, Err("bad_region")),
    ("region", {}, ["广东省", 4403], Err("bad_region")),
    ("region", {}, True, Err("bad_region")),
    ("region", {}, "///", Err("bad_region")),
    # address: a region and the street part
    ("address", {}, "广东省深圳市南山区科技园南区 1 号", {"region": NANSHAN, "detail": "科技园南区 1 号"}),
    ("address", {}, "广东省/深圳市/南山区 科技园南区 1 号", {"region": NANSHAN, "detail": "科技园南区 1 号"}),
    ("address", {}, {"region": "440305", "detail": " 科技园南区 1 号 "}, {"region": NANSHAN, "detail": "科技园南区 1 号"}),
    ("address", {}, {"region": NANSHAN, "detail": "科技园"}, {"region": NANSHAN, "detail": "科技园"}),
    ("address", CITY, "广东省深圳市南山区科技园", {"region": SHENZHEN, "detail": "南山区科技园"}),
    ("address", NO_DETAIL, "广东省深圳市南山区", {"region": NANSHAN, "detail": ""}),
    ("address", NO_DETAIL, {"region": ["广东省", "深圳市", "南山区"]}, {"region": NANSHAN, "detail": ""}),
    ("address", {}, "广东省深圳市南山区", Err("address_detail_missing")),
    ("address", {}, "火星基地 1 号", Err("unknown_region")),
    ("address", {}, "广东省科技园", Err("region_too_coarse")),
    ("address", {}, {"region": "广东省/深证市/南山区", "detail": "x"}, Err("unknown_region_in")),
    ("address", {}, {"detail": "科技园"}, Err("bad_address")),
    ("address", {}, {"region": "440305", "detail": "x", "zip": "518000"}, Err("bad_address")),
    ("address", {}, {"region": "440305", "detail": "x" * 201}, Err("too_long", {"limit": 200})),
    ("address", {}, ["广东省"], Err("bad_address")),
    # location: a point and what is there
    ("location", {}, {"lat": 22.540503, "lng": 113.934528, "address": "深圳湾"},
     {"lat": 22.540503, "lng": 113.934528, "address": "深圳湾"}),
    ("location", {}, {"lat": "22.5", "lng": "113.9"}, {"lat": 22.5, "lng": 113.9, "address": ""}),
    ("location", {}, "22.540503,113.934528 深圳湾", {"lat": 22.540503, "lng": 113.934528, "address": "深圳湾"}),
    ("location", {}, "-33.86，151.21", {"lat": -33.86, "lng": 151.21, "address": ""}),
    ("location", {}, {"lat": 22.123456789, "lng": 0}, {"lat": 22.1234568, "lng": 0.0, "address": ""}),
    ("location", {}, {"lat": 90.5, "lng": 0}, Err("bad_latitude", {"value": 90.5})),
    ("location", {}, {"lat": 0, "lng": -181}, Err("bad_longitude", {"value": -181})),
    ("location", {}, {"lat": "north", "lng": 0}, Err("bad_latitude")),
    ("location", {}, {"lat": True, "lng": 0}, Err("bad_latitude")),
    ("location", {}, {"lat": float("nan"), "lng": 0}, Err("bad_latitude")),
    ("location", {}, {"lat": 1}, Err("bad_location")),
    ("location", {}, {"lat": 1, "lng": 2, "alt": 3}, Err("bad_location")),
    ("location", {}, "深圳湾", Err("bad_location")),
    ("location", {}, [22.5, 113.9], Err("bad_location")),
    ("location", {}, {"lat": 1, "lng": 2, "address": "x" * 501}, Err("too_long", {"limit": 500})),
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


@pytest.mark.parametrize("kind, props, stored, cell", [
    ("region", {}, NANSHAN, "广东省/深圳市/南山区"),
    ("address", {}, {"region": NANSHAN, "detail": "科技园南区 1 号"}, "广东省深圳市南山区 科技园南区 1 号"),
    ("address", NO_DETAIL, {"region": CHAOYANG, "detail": ""}, "北京市北京市朝阳区"),
    ("location", {}, {"lat": 22.5, "lng": 113.9, "address": "深圳湾"}, "22.5,113.9 深圳湾"),
])
def test_exported_cells_import_back_to_the_same_value(kind, props, stored, cell):
    ftype, f = field_type(kind), make(kind, **props)
    assert ftype.dump(f, stored, UTC) == stored
    assert ftype.to_cell(f, ftype.dump(f, stored, UTC)) == cell
    assert ftype.coerce(f, cell, UTC) == stored
    assert ftype.to_cell(f, None) is None


def test_region_list_is_the_whole_mainland():
    provinces = region_children()
    assert len(provinces) == 31
    assert {"code": "440000", "name": "广东省", "leaf": False} in provinces
    assert {"code": "440300", "name": "深圳市", "leaf": False} in region_children("440000")
    assert {"code": "440305", "name": "南山区", "leaf": True} in region_children("440300")
    assert region_children("441900") == []  # 东莞市 has no districts
    assert region_children("123456") == []
    tree = region_tree()
    assert len(tree.by_code) > 3000
    for code, node in tree.by_code.items():  # every code is six digits and sits under its parent's prefix
        assert len(code) == 6 and code.isdigit()
        if node.parent is not None:
            assert code[:2] == node.parent.code[:2] and node.depth == node.parent.depth + 1


@pytest.mark.parametrize("kind, props", [
    ("region", {"level": "street"}), ("address", {"max_length": 0}), ("location", {"coordinates": "mars"}),
    ("location", {"radius": 5}),
])
def test_definition_rejected(kind, props):
    with pytest.raises(ValidationError):
        make(kind, **props)
