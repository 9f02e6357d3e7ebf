"""Places: a region of mainland China (省/市/区 by GB/T 2260 code), an address (region + street) and a map point.

The region list is engines/form/data/regions_cn.json (see the README there): code → name, the tree is read from
the codes themselves (440000 广东省 > 440300 深圳市 > 440305 南山区).
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field

from engines.form.fields.base import FieldBase, FieldError, FieldType
from engines.form.fields.text import as_text

DATA = Path(__file__).resolve().parent.parent / "data" / "regions_cn.json"
LEVELS = ("province", "city", "district")
LEVEL_NAMES = {"province": "省", "city": "市", "district": "区县"}
# Endings people leave out: 广东 for 广东省, 南山 for 南山区. Longest first.
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "地区", "林区",
             "省", "市", "区", "县", "盟", "旗")
_SEPARATORS = " /／,，、>|-\t"


@dataclass
class Region:
    code: str
    name: str
    depth: int  # 1 province, 2 city, 3 district
    parent: "Region | None" = None
    children: list["Region"] = field(default_factory=list)

    @property
    def short(self) -> str:
        for suffix in _SUFFIXES:
            if self.name.endswith(suffix) and len(self.name) - len(suffix) >= 2:
                return self.name[: -len(suffix)]
        return self.name

    def path(self) -> list["Region"]:
        node, out = self, []
        while node is not None:
            out.append(node)
            node = node.parent
        return out[::-1]


@dataclass
class RegionTree:
    by_code: dict[str, Region]
    roots: list[Region]


@lru_cache(maxsize=1)
def region_tree() -> RegionTree:
    regions: dict[str, str] = json.loads(DATA.read_text("utf-8"))["regions"]
    by_code: dict[str, Region] = {}
    roots: list[Region] = []
    for code, name in regions.items():  # the file lists parents before their children
        if code.endswith("0000"):
            node = Region(code, name, 1)
            roots.append(node)
        else:
            parent_code = code[:2] + "0000" if code.endswith("00") else code[:4] + "00"
            parent = by_code.get(parent_code) or by_code[code[:2] + "0000"]
            node = Region(code, name, parent.depth + 1, parent)
            parent.children.append(node)
        by_code[code] = node
    return RegionTree(by_code, roots)


def region_children(code: str | None = None) -> list[dict]:
    """The regions one level below `code` (provinces for None), for a cascading picker; [] for an unknown code."""
    tree = region_tree()
    if code is None:
        nodes = tree.roots
    else:
        node = tree.by_code.get(code)
        nodes = node.children if node is not None else []
    return [{"code": n.code, "name": n.name, "leaf": not n.children} for n in nodes]


def region_value(node: Region) -> dict:
    return {"code": node.code, "names": [n.name for n in node.path()]}


def _match_here(options: list[Region], text: str) -> tuple[Region, int] | None:
    """The option whose name (or name without its ending) starts `text`, longest spelling first."""
    best: tuple[Region, int] | None = None
    for node in options:
        for spelling in (node.name, node.short):
            if text.startswith(spelling) and (best is None or len(spelling) > best[1]):
                best = (node, len(spelling))
    return best


def parse_region_prefix(text: str, depth: int) -> tuple[Region | None, str]:
    """Read regions from the start of `text` ("广东省深圳市南山区科技园…", "广东/深圳/南山"), at most `depth` levels.

    A level may be left out when the next one is named (北京市朝阳区, 湖北省仙桃市). Returns the deepest region
    found and the rest of the text.
    """
    node: Region | None = None
    rest = text.lstrip(_SEPARATORS)
    options = region_tree().roots
    while rest and (node is None or node.depth < depth) and options:
        found = _match_here(options, rest)
        if found is None:  # a level left out (北京市朝阳区, or 深圳市南山区 without its province): look one further down
            found = _match_here([g for c in options for g in c.children], rest)
            if found is not None and found[0].depth > depth:
                found = None
        if found is None:
            break
        node, used = found
        rest = rest[used:].lstrip(_SEPARATORS)
        options = node.children
    return node, rest


class RegionDef(FieldBase):
    level: Literal["province", "city", "district"] = Field(default="district", description="how deep a choice goes")


def _cut(node: Region, depth: int) -> Region:
    while node.depth > depth:
        node = node.parent
    return node


def _check_depth(node: Region, depth: int, level: str) -> Region:
    node = _cut(node, depth)
    if node.depth < depth and node.children:
        raise FieldError("region_too_coarse", name="".join(n.name for n in node.path()), level=level,
                         level_zh=LEVEL_NAMES[level])
    return node


def _code_of(value) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return value.strip()
    return None


def parse_region(value, level: str) -> dict:
    """An adcode ("440305", 440305), {"code": …} as the API hands it out, a list of names or text → stored value."""
    depth = LEVELS.index(level) + 1
    if isinstance(value, dict):
        if "code" not in value:
            raise FieldError("bad_region")
        value = value["code"]
    code = _code_of(value)
    if code is not None:
        node = region_tree().by_code.get(code)
        if node is None:
            raise FieldError("unknown_region_code", adcode=code)
        return region_value(_check_depth(node, depth, level))
    if isinstance(value, list):
        if not all(isinstance(part, str) for part in value):
            raise FieldError("bad_region")
        value = "/".join(part.strip() for part in value)
    if not isinstance(value, str):
        raise FieldError("bad_region")
    node, rest = parse_region_prefix(value.strip(), len(LEVELS))  # names below the field's level are cut off
    if rest:  # the first name not found, up to the next separator
        missing = re.split(f"[{re.escape(_SEPARATORS)}]", rest, maxsplit=1)[0]
        if node is None:
            raise FieldError("unknown_region", name=missing)
        raise FieldError("unknown_region_in", parent=node.name, name=missing)
    if node is None:
        raise FieldError("bad_region")
    return region_value(_check_depth(node, depth, level))


class RegionField(FieldType):
    expr_kind = "object"
    key = "region"
    icon = "EnvironmentOutlined"
    label = ("省市区", "Region")
    storage = "json"
    props = RegionDef
    widget = "region"

    def coerce(self, f, value, ctx):
        return parse_region(value, f.level)

    def to_cell(self, f, dumped):
        return "/".join(dumped["names"]) if dumped else None


class AddressDef(FieldBase):
    level: Literal["province", "city", "district"] = Field(default="district", description="how deep the region goes")
    detail_required: bool = Field(default=True, description="the street part must be filled in")
    max_length: int = Field(default=200, ge=1, le=1000, description="the street part's longest length")


class Address(FieldType):
    expr_kind = "object"
    key = "address"
    icon = "HomeOutlined"
    label = ("地址", "Address")
    storage = "json"
    props = AddressDef
    widget = "address"
    unique_ok = False

    def coerce(self, f, value, ctx):
        if isinstance(value, dict):
            if set(value) - {"region", "detail"} or value.get("region") in (None, "", [], {}):
                raise FieldError("bad_address")
            region = parse_region(value["region"], f.level)
            detail = value.get("detail")
            detail = "" if detail is None else as_text(detail).strip()
        elif isinstance(value, str):  # 广东省深圳市南山区科技园南区 1 号, as people write addresses
            depth = LEVELS.index(f.level) + 1
            node, detail = parse_region_prefix(value.strip(), depth)
            if node is None:
                raise FieldError("unknown_region", name=value.strip()[:20])
            region = region_value(_check_depth(node, depth, f.level))
        else:
            raise FieldError("bad_address")
        if len(detail) > f.max_length:
            raise FieldError("too_long", limit=f.max_length)
        if f.detail_required and not detail:
            raise FieldError("address_detail_missing")
        return {"region": region, "detail": detail}

    def to_cell(self, f, dumped):
        if not dumped:
            return None
        return ("".join(dumped["region"]["names"]) + " " + dumped["detail"]).strip()


class LocationDef(FieldBase):
    coordinates: Literal["gcj02", "wgs84", "bd09"] = Field(
        default="gcj02", description="the datum of lat/lng: gcj02 for 高德/腾讯 maps, wgs84 for GPS, bd09 for 百度")


_POINT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[,，]\s*(-?\d+(?:\.\d+)?)\s*(.*)$", re.DOTALL)


def _degrees(value, code: str, limit: int) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise FieldError(code, value=value)
    try:
        number = float(value)
    except ValueError:
        raise FieldError(code, value=value) from None
    if not math.isfinite(number) or abs(number) > limit:
        raise FieldError(code, value=value)
    return round(number, 7)  # about 1 cm: more digits are noise


class Location(FieldType):
    expr_kind = "object"
    key = "location"
    icon = "AimOutlined"
    label = ("定位", "Location")
    storage = "json"
    props = LocationDef
    widget = "location"
    unique_ok = False

    def coerce(self, f, value, ctx):
        if isinstance(value, str):  # "22.5405,113.9345 深圳市南山区…", what the export writes
            point = _POINT.match(value)
            if not point:
                raise FieldError("bad_location")
            value = {"lat": point.group(1), "lng": point.group(2), "address": point.group(3).strip() or None}
        if not isinstance(value, dict) or set(value) - {"lat", "lng", "address"} or "lat" not in value \
                or "lng" not in value:
            raise FieldError("bad_location")
        address = value.get("address")
        address = "" if address is None else as_text(address).strip()
        if len(address) > 500:
            raise FieldError("too_long", limit=500)
        return {"lat": _degrees(value["lat"], "bad_latitude", 90), "lng": _degrees(value["lng"], "bad_longitude", 180),
                "address": address}

    def to_cell(self, f, dumped):
        if not dumped:
            return None
        return f"{dumped['lat']},{dumped['lng']} {dumped['address']}".strip()
