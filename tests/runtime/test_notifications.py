"""In-app notifications: a new task tells its assignee; the list is newest first with the unread count; each
person reads and marks only their own."""
from __future__ import annotations

from tests.runtime.test_flow_nodes import CHILD, create, give_role, shop, trigger


async def test_people_read_their_own_notifications_and_the_badge_counts_down(api):
    await api.import_app(shop(CHILD))
    _, mia = await give_role(api, "mia", "manager")
    _, max_ = await give_role(api, "max", "manager")
    for no in ("N1", "N2"):
        await trigger(api, "order", await create(api, "order", {"no": no}), "child_review")

    listed = (await api.client.get("/api/notifications", headers=mia)).json()
    assert listed["unread"] == 2 and [n["reason"] for n in listed["items"]] == ["task", "task"]
    first, second = listed["items"]
    assert first["id"] > second["id"] and first["app"] == "shop" and first["instance"] is not None

    assert (await api.client.post(f"/api/notifications/{first['id']}/read", headers=max_)).status_code == 404
    assert (await api.client.post(f"/api/notifications/{first['id']}/read", headers=mia)).status_code == 200
    unread = (await api.client.get("/api/notifications", params={"unread": True}, headers=mia)).json()
    assert unread["unread"] == 1 and [n["id"] for n in unread["items"]] == [second["id"]]
    assert (await api.client.post("/api/notifications/read-all", headers=mia)).json() == {"marked": 1}
    assert (await api.client.get("/api/notifications", headers=mia)).json()["unread"] == 0
    assert (await api.client.get("/api/notifications", headers=max_)).json()["unread"] == 2  # his own stay unread
    assert (await api.client.get("/api/notifications", params={"page_size": 0}, headers=mia)).status_code == 422
