"""Uploaded files: streamed upload, download with the right headers, signed links, limits, sniffing,
thumbnails, and the check of a record's file references against the files table."""
from __future__ import annotations

import httpx

import base64
import hashlib
import io
import time
from dataclasses import replace
from urllib.parse import quote

import pytest
from PIL import Image
from sqlalchemy import func, select

from engines.form.fields import FIELD_MODELS, field_type
from engines.form.fields.base import Context
from runtime.files import check_files, clean_name, content_disposition, sign_records, signed_url, sniff
from runtime.models import files
from runtime.records import form_store
from runtime.settings import Settings

UPLOAD_LIMIT = 256 * 1024
APP = {"format": "nocode.app/v1", "key": "shop", "name": "小店", "forms": [
    {"key": "visit", "name": "拜访", "fields": [
        {"key": "photos", "type": "image", "max_files": 3},
        {"key": "contract", "type": "attachment", "accept": [".pdf"], "max_size_mb": 0.1},
        {"key": "sign", "type": "signature"},
        {"key": "photographed", "type": "formula", "expr": "IF(ISBLANK(photos), \"否\", \"是\")"},
    ]},
]}


@pytest.fixture
def settings(settings):
    # a small upload limit to test it, and a general body limit below it: uploads must not be held to that one
    return replace(settings, max_upload_bytes=UPLOAD_LIMIT, max_body_bytes=64 * 1024)


def image_bytes(fmt: str = "PNG", size=(1000, 500), color="red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    return buffer.getvalue()


async def upload(api, name: str, content: bytes, mime: str = "application/octet-stream", **data):
    return await api.client.post("/api/files", files={"file": (name, content, mime)}, data=data)


def stored_files(api) -> list:
    root = api.platform.settings.data_dir / "files"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def count_rows(api) -> int:
    async with api.platform.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(files))).scalar_one()


async def test_a_file_goes_up_and_comes_back_the_same(api):
    content = b"%PDF-1.4\n" + bytes(range(256)) * 700  # 179 KB: over the 64 KB body limit, under the upload one
    response = await upload(api, "合同 2024.pdf", content, "application/pdf")
    assert response.status_code == 201, response.text
    body = response.json()
    token = body["token"]
    assert body == {"token": token, "name": "合同 2024.pdf", "size": len(content), "mime": "application/pdf",
                    "url": f"/api/files/{token}", "signed_url": body["signed_url"]}
    download = await api.client.get(body["url"])
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == \
        f"inline; filename=\"2024.pdf\"; filename*=UTF-8''{quote('合同 2024.pdf')}"
    assert download.headers["x-content-type-options"] == "nosniff"
    async with api.platform.engine.connect() as conn:
        row = (await conn.execute(select(files).where(files.c.token == token))).one()
    assert row.sha256 == hashlib.sha256(content).hexdigest() and row.created_by == api.user_id
    assert row.path.startswith("files/") and row.path.endswith("/" + token)
    assert (api.platform.settings.data_dir / row.path).read_bytes() == content


async def test_other_files_download_as_attachments_in_a_sandbox(api):
    page = "<script>alert(1)</script>".encode()
    body = (await upload(api, "页面.html", page, "image/png")).json()  # the client's claim is not believed
    assert body["mime"] == "text/html"
    download = await api.client.get(body["url"])
    assert download.content == page
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["content-security-policy"] == "sandbox"


async def test_the_upload_names_its_app(api):
    await api.import_app(APP)
    body = (await upload(api, "a.txt", b"hello", app="shop")).json()
    async with api.platform.engine.connect() as conn:
        row = (await conn.execute(select(files).where(files.c.token == body["token"]))).one()
    assert row.app_id is not None
    response = await upload(api, "a.txt", b"hello", app="nope")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"] == "/app"
    assert await count_rows(api) == 1 and len(stored_files(api)) == 1  # the refused one left nothing


async def test_signing_in_is_required_unless_the_link_is_signed(api):
    token = (await upload(api, "a.png", image_bytes())).json()["token"]
    settings = api.platform.settings
    anonymous = api.client.headers.pop("Authorization")
    try:
        assert (await api.client.post("/api/files", files={"file": ("a.txt", b"x")})).status_code == 401
        assert (await api.client.get(f"/api/files/{token}")).status_code == 401
        signed = await api.client.get(signed_url(settings, token, ttl=60))
        assert signed.status_code == 200 and signed.headers["content-type"] == "image/png"
        expired = await api.client.get(signed_url(settings, token, ttl=60, now=time.time() - 3600))
        assert expired.status_code == 403 and expired.json()["error"]["code"] == "link_expired"
        good = signed_url(settings, token, ttl=60)
        forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
        assert (await api.client.get(forged)).json()["error"]["code"] == "bad_signature"
        later = good.replace("exp=", "exp=9")  # a longer life is not what was signed
        assert (await api.client.get(later)).status_code == 403
        other = (await api.client.get(good.replace(token, "x" * 32))).json()  # another file with this signature
        assert other["error"]["code"] == "bad_signature"
        assert (await api.client.get(f"/api/files/{token}?exp=1")).status_code == 403
    finally:
        api.client.headers["Authorization"] = anonymous


async def test_a_too_large_upload_is_refused_and_leaves_nothing(api):
    response = await upload(api, "大文件.bin", b"\x01" * (UPLOAD_LIMIT + 1))
    assert response.status_code == 413
    assert response.json()["error"]["message"] == "file '大文件.bin' is larger than the limit of 0.25 MB"
    assert stored_files(api) == [] and await count_rows(api) == 0
    exactly = await upload(api, "ok.bin", b"\x01" * UPLOAD_LIMIT)
    assert exactly.status_code == 201 and exactly.json()["size"] == UPLOAD_LIMIT


async def test_a_body_announced_too_large_is_refused_before_reading(api):
    response = await api.client.post("/api/files", content=b"x" * 10,
                                      headers={"content-type": "multipart/form-data; boundary=b",
                                               "content-length": str(UPLOAD_LIMIT * 2)})
    assert response.status_code == 413 and stored_files(api) == []


def multipart(*parts: tuple[str, str | None, bytes]) -> dict:
    """A hand-made multipart body: (field name, file name or None, content) per part."""
    body = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        body += b"--b\r\nContent-Disposition: " + disposition.encode() + b"\r\n\r\n" + content + b"\r\n"
    return {"content": body + b"--b--\r\n", "headers": {"content-type": "multipart/form-data; boundary=b"}}


@pytest.mark.parametrize("request_kwargs, path", [
    ({"json": {"file": "x"}}, ""),  # not multipart
    (multipart(("other", "a.txt", b"x")), ""),  # a file, but not in the field "file"
    (multipart(("file", "a.txt", b"x"), ("file", "b.txt", b"y")), ""),  # one file per upload
    (multipart(("app", None, b"x" * 500), ("file", "a.txt", b"x")), ""),  # text fields are short
    ({"content": b"--b\r\nbroken", "headers": {"content-type": "multipart/form-data; boundary=b"}}, ""),
    (multipart(("note", None, b"no file at all")), "/file"),
    (multipart(("file", "empty.txt", b"")), "/file"),
], ids=["json", "other-field", "two-files", "long-text", "broken", "no-file", "empty"])
async def test_a_bad_upload_says_what_is_wrong(api, request_kwargs, path):
    response = await api.client.post("/api/files", **request_kwargs)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["path"] == path
    assert stored_files(api) == [] and await count_rows(api) == 0


async def test_unknown_files_are_not_found(api):
    assert (await api.client.get("/api/files/" + "z" * 32)).status_code == 404
    assert (await api.client.get("/api/files/..%2F..%2Fsecret_key")).status_code == 404


async def test_images_are_what_their_bytes_say(api):
    real = (await upload(api, "photo.png", image_bytes(), "image/png")).json()
    assert real["mime"] == "image/png" and real["thumb_url"] == real["url"] + "?thumb=1"
    fake = (await upload(api, "photo.png", b"just some text, not a picture", "image/png")).json()
    assert fake["mime"] == "text/plain" and "thumb_url" not in fake
    broken = (await upload(api, "broken.png", image_bytes()[:40] + b"\x00" * 100, "image/png")).json()
    assert broken["mime"] == "application/octet-stream"  # a PNG signature Pillow cannot read
    jpeg = (await upload(api, "IMG_0001", image_bytes("JPEG"))).json()
    assert jpeg["mime"] == "image/jpeg"  # no extension needed


async def test_thumbnails_are_small_and_kept(api):
    png = (await upload(api, "wide.png", image_bytes("PNG", (1000, 500)))).json()
    response = await api.client.get(png["thumb_url"])
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(response.content)).size == (256, 128)
    cached = api.platform.settings.data_dir / "files" / "thumbs" / f"{png['token']}.png"
    assert cached.read_bytes() == response.content
    cached.write_bytes(b"from the cache")  # a second request reads the cache, it does not resize again
    assert (await api.client.get(png["thumb_url"])).content == b"from the cache"
    jpeg = (await upload(api, "tall.jpg", image_bytes("JPEG", (300, 600)))).json()
    thumb = await api.client.get(signed_url(api.platform.settings, jpeg["token"], thumb=True),
                                 headers={"Authorization": ""})
    assert thumb.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.content)).size == (128, 256)
    text = (await upload(api, "a.txt", b"hello")).json()
    assert (await api.client.get(text["url"] + "?thumb=1")).status_code == 422


async def _visit_fields(api):
    await api.import_app(APP)
    async with api.platform.engine.connect() as conn:
        schema = await api.platform.schemas.get(conn, "shop")
    return form_store(schema, "visit").definition.fields


async def test_a_record_gets_the_stored_truth_about_its_files(api):
    fields = await _visit_fields(api)
    photo = (await upload(api, "门店.png", image_bytes())).json()
    fake = (await upload(api, "fake.png", b"not an image")).json()
    pdf = (await upload(api, "合同.pdf", b"%PDF-1.4 small")).json()
    big_pdf = (await upload(api, "big.pdf", b"%PDF-1.4" + b"0" * 200_000)).json()
    items = [
        {"photos": [{"token": photo["token"], "name": "lie.png", "size": 1, "mime": "image/png", "url": "x"}],
         "contract": [{"token": pdf["token"]}]},
        {"photos": [{"token": fake["token"]}, {"token": "q" * 32}], "contract": [{"token": big_pdf["token"]},
                                                                               {"token": photo["token"]}]},
    ]
    async with api.platform.begin() as conn:
        problems = await check_files(conn, api.platform.settings, fields, items, lambda i: f"/items/{i}")
    assert items[0]["photos"] == [{"token": photo["token"], "name": "门店.png", "size": photo["size"], "mime": "image/png"}]
    assert items[0]["contract"] == [{"token": pdf["token"], "name": "合同.pdf", "size": 14, "mime": "application/pdf"}]
    assert [(p.path, p.code) for p in problems] == [
        ("/items/1/photos/0", "not_image"),  # a .png name over text is not an image
        ("/items/1/photos/1", "unknown_file"),
        ("/items/1/contract/0", "file_too_large"),
        ("/items/1/contract/1", "file_not_accepted"),
    ]


async def test_a_drawn_signature_becomes_a_stored_file(api):
    fields = await _visit_fields(api)
    drawing = image_bytes("PNG", (300, 100), "white")
    data_url = "data:image/png;base64," + base64.b64encode(drawing).decode()
    sign = next(f for f in fields if f.key == "sign")
    items = [{"sign": field_type("signature").coerce(sign, data_url, Context())}]  # a pending reference
    async with api.platform.begin() as conn:
        assert await check_files(conn, api.platform.settings, fields, items, user_id=api.user_id) == []
    (stored,) = items[0]["sign"]
    assert stored["mime"] == "image/png" and stored["size"] == len(drawing) and stored["name"] == "sign.png"
    assert (await api.client.get(f"/api/files/{stored['token']}")).content == drawing
    # a PNG header over bytes Pillow cannot read is refused, and nothing is kept
    before = len(stored_files(api))
    bad = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50).decode()
    items = [{"sign": field_type("signature").coerce(sign, bad, Context())}]
    async with api.platform.begin() as conn:
        problems = await check_files(conn, api.platform.settings, fields, items)
    assert [(p.path, p.code) for p in problems] == [("/sign/0", "bad_data_url")]
    assert len(stored_files(api)) == before


def test_signed_record_urls_reach_sub_table_rows(tmp_path):
    settings = Settings(data_dir=tmp_path, secret_key="k" * 40)
    photos = FIELD_MODELS["image"].model_validate({"key": "photos", "type": "image"})
    lines = FIELD_MODELS["subtable"].model_validate({"key": "lines", "type": "subtable", "fields": [
        {"key": "doc", "type": "attachment"}]})
    token = "t" * 32
    image = {"token": token, "name": "a.png", "size": 1, "mime": "image/png", "url": f"/api/files/{token}",
             "thumb_url": f"/api/files/{token}?thumb=1"}
    doc = {"token": token, "name": "a.pdf", "size": 1, "mime": "application/pdf", "url": f"/api/files/{token}"}
    records = [{"id": 1, "photos": [image], "lines": [{"id": 5, "doc": [doc]}, {"id": 6, "doc": None}]}]
    sign_records(settings, [photos, lines], records, ttl=600)
    assert records[0]["photos"][0]["url"].startswith(f"/api/files/{token}?exp=")
    assert records[0]["photos"][0]["thumb_url"].startswith(f"/api/files/{token}?thumb=1&exp=")
    assert "&sig=" in records[0]["lines"][0]["doc"][0]["url"] and records[0]["lines"][1]["doc"] is None


@pytest.mark.parametrize("raw, clean", [
    ("../../etc/passwd", "passwd"), ("C:\\fakepath\\报价单.xlsx", "报价单.xlsx"), ("  a.pdf. ", "a.pdf"),
    ("evil\u202egnp.exe", "evilgnp.exe"), ("..", "file"), ("", "file"), (None, "file"),
    ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
])
def test_file_names_are_cleaned(raw, clean):
    assert clean_name(raw) == clean


@pytest.mark.parametrize("head, name, mime", [
    (b"PK\x03\x04rest", "报表.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    (b"PK\x03\x04rest", "photo.png", "application/zip"),
    ("姓名,手机\n张三,1\n".encode("gb18030"), "客户.csv", "text/csv"),
    (b"\x00\x01\x02binary", "a.png", "application/octet-stream"),
    (b"\x00\x01\x02binary", "a.mp3", "audio/mpeg"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "a", "image/webp"),
])
def test_sniffing_believes_bytes_over_names(head, name, mime):
    assert sniff(head, name) == mime


def test_content_disposition_for_any_name():
    assert content_disposition("a.png", "image/png") == "inline; filename=\"a.png\"; filename*=UTF-8''a.png"
    assert content_disposition('报"价.zip', "application/zip") == \
        "attachment; filename=\"file.zip\"; filename*=UTF-8''%E6%8A%A5%22%E4%BB%B7.zip"


async def test_a_record_names_uploaded_files_and_hands_out_their_urls(api):
    await api.import_app(APP)
    photo = (await upload(api, "门店.png", image_bytes())).json()
    created = await api.client.post("/api/apps/shop/forms/visit/records", json={"photos": [photo]})
    assert created.status_code == 201, created.text
    (shown,) = created.json()["photos"]
    assert {k: shown[k] for k in ("token", "name", "size", "mime")} == {
        "token": photo["token"], "name": "门店.png", "size": photo["size"], "mime": "image/png"}
    # records hand out signed links, so an <img src> works without the Authorization header
    assert shown["url"].startswith(photo["url"] + "?exp=") and "&sig=" in shown["url"]
    assert shown["thumb_url"].startswith(photo["url"] + "?thumb=1&exp=")
    anonymous = httpx.AsyncClient(transport=api.client._transport, base_url=str(api.client.base_url))
    assert (await anonymous.get(shown["url"])).content == image_bytes()
    assert (await anonymous.get(shown["thumb_url"])).status_code == 200
    assert created.json()["photographed"] == "是"  # expressions see whether files are there
    empty = await api.client.post("/api/apps/shop/forms/visit/records", json={"photos": []})
    assert empty.json()["photos"] is None and empty.json()["photographed"] == "否"
