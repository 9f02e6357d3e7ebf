"""Comments on records: whoever may read the record comments, @mentioned people (who must be able to read it) are
notified, authors delete their own comments and admins any."""
from __future__ import annotations

from runtime.models import notifications, record_comments
from tests.runtime.detail_app import detail_app, person, url
from tests.runtime.people import row


async def _setup(api):
    await api.import_app(detail_app())
    sales, as_sales = await person(api, "sales", "sales")
    other, as_other = await person(api, "other", "sales")
    nobody, _ = await person(api, "nobody", None)
    await api.client.post(url("customer"), json={"name": "张三", "owner_id": sales})
    return sales, as_sales, other, as_other, nobody


async def test_a_mention_notifies_and_the_readers_see_the_comments(api):
    sales, as_sales, *_ = await _setup(api)
    added = await api.client.post(url("customer", "/1/comments"), json={"text": " 请跟进 @Sales ", "mentions": [sales]})
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["text"] == "请跟进 @Sales" and body["mentions"] == [{"id": sales, "name": "Sales"}]
    assert body["can_delete"] is True
    note = await row(api, notifications, user_id=sales)
    assert note.reason == "mention" and "张三" in note.title and note.text == "请跟进 @Sales"
    inbox = (await api.client.get("/api/notifications", headers=as_sales)).json()
    assert inbox["unread"] == 1 and inbox["items"][0]["reason"] == "mention"
    assert (inbox["items"][0]["form"], inbox["items"][0]["record"]) == ("customer", 1)  # the bell opens the record
    reply = await api.client.post(url("customer", "/1/comments"), json={"text": "收到"}, headers=as_sales)
    assert reply.status_code == 201, reply.text
    listed = await api.client.get(url("customer", "/1/comments"), headers=as_sales)
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [c["text"] for c in items] == ["请跟进 @Sales", "收到"] and listed.json()["total"] == 2
    assert [c["can_delete"] for c in items] == [False, True]
    assert items[0]["mentions"] == [{"id": sales, "name": "Sales"}] and items[1]["user"]["name"] == "Sales"
    # mentioning oneself notifies no one
    await api.client.post(url("customer", "/1/comments"), json={"text": "备忘", "mentions": [sales]}, headers=as_sales)
    assert (await api.client.get("/api/notifications", headers=as_sales)).json()["total"] == 1


async def test_only_readers_of_the_record_comment_or_are_mentioned(api):
    sales, as_sales, other, as_other, nobody = await _setup(api)
    # "other" holds the same role but the customer is not theirs: the record does not exist for them
    assert (await api.client.get(url("customer", "/1/comments"), headers=as_other)).status_code == 404
    refused = await api.client.post(url("customer", "/1/comments"), json={"text": "x"}, headers=as_other)
    assert refused.status_code == 404
    bad = await api.client.post(url("customer", "/1/comments"), json={"text": "看看", "mentions": [other, nobody, 999]})
    assert bad.status_code == 422
    details = [(d["path"], d["code"]) for d in bad.json()["error"]["details"]]
    assert details == [("/mentions/0", "mention_cannot_read"), ("/mentions/1", "mention_cannot_read"),
                       ("/mentions/2", "mention_unknown")]
    assert await row(api, record_comments, record_id=1) is None and await row(api, notifications, user_id=other) is None
    for body, path in (({"text": "  "}, "/text"), ({"text": "x" * 5001}, "/text"), ({"text": "x", "mentions": "1"},
                       "/mentions"), ({"text": "x", "mentions": [True]}, "/mentions/0"), (["x"], "")):
        response = await api.client.post(url("customer", "/1/comments"), json=body)
        assert response.status_code == 422 and response.json()["error"]["details"][0]["path"] == path, body
    assert (await api.client.post(url("customer", "/9/comments"), json={"text": "x"})).status_code == 404


async def test_authors_delete_their_own_comments_and_admins_any(api):
    sales, as_sales, *_ = await _setup(api)
    mine = (await api.client.post(url("customer", "/1/comments"), json={"text": "我的"}, headers=as_sales)).json()
    admins = (await api.client.post(url("customer", "/1/comments"), json={"text": "管理员的"})).json()
    refused = await api.client.delete(url("customer", f"/1/comments/{admins['id']}"), headers=as_sales)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_your_comment"
    assert (await api.client.delete(url("customer", f"/1/comments/{mine['id']}"), headers=as_sales)).status_code == 204
    again = await api.client.post(url("customer", "/1/comments"), json={"text": "再来"}, headers=as_sales)
    assert (await api.client.delete(url("customer", f"/1/comments/{again.json()['id']}"))).status_code == 204
    # a comment id of another record is not found there
    assert (await api.client.delete(url("customer", f"/2/comments/{admins['id']}"))).status_code == 404
    assert (await api.client.delete(url("order", f"/1/comments/{admins['id']}"))).status_code == 404
    left = (await api.client.get(url("customer", "/1/comments"))).json()["items"]
    assert [c["text"] for c in left] == ["管理员的"]
