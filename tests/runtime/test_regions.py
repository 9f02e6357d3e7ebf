"""GET /api/regions: the region list one level at a time, for the region and address pickers."""
from __future__ import annotations


async def test_provinces_then_cities_then_districts(api):
    provinces = (await api.client.get("/api/regions")).json()
    assert len(provinces) == 31 and provinces[0] == {"code": "110000", "name": "北京市", "leaf": False}
    cities = (await api.client.get("/api/regions", params={"parent": "440000"})).json()
    assert {"code": "440300", "name": "深圳市", "leaf": False} in cities
    assert {"code": "441900", "name": "东莞市", "leaf": True} in cities  # no districts below
    districts = (await api.client.get("/api/regions", params={"parent": "440300"})).json()
    assert {"code": "440305", "name": "南山区", "leaf": True} in districts
    assert all(d["code"].startswith("4403") for d in districts)
    assert (await api.client.get("/api/regions", params={"parent": "440305"})).json() == []


async def test_unknown_parent_is_404_naming_it(api):
    response = await api.client.get("/api/regions", params={"parent": "999999"}, headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "999999" in response.json()["error"]["message"]


async def test_needs_sign_in(api):
    api.client.headers.pop("Authorization")
    assert (await api.client.get("/api/regions")).status_code == 401
