"""engines/form/fields/files.py: attachments, images and signatures — references to uploaded files by token."""
from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from engines.form.fields import field_type
from engines.form.fields.base import FieldError
from engines.form.fields.files import accepts, decode_data_url
from fieldcases import UTC, Err, check, make, params

T1, T2, T3 = "a" * 32, "B-_" + "b" * 29, "c" * 16
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20).decode()
JPEG = base64.b64encode(b"\xff\xd8\xff\xe0" + b"\x00" * 20).decode()
PDF = {"accept": [".pdf", "image/*"]}
MB = 1024 * 1024

CASES = [
    # a token, the object the API hands out (extra keys ignored), or a list of them; repeats collapse
    ("attachment", {}, T1, [{"token": T1}]),
    ("attachment", {}, {"token": T1, "url": "/api/files/x", "thumb_url": "y"}, [{"token": T1}]),
    ("attachment", {}, [T1, {"token": T2, "name": "合同.pdf", "size": 10, "mime": "application/pdf"}, T1],
     [{"token": T1}, {"token": T2, "name": "合同.pdf", "size": 10, "mime": "application/pdf"}]),
    ("attachment", {}, f"{T1}, {T2}，{T3}", [{"token": T1}, {"token": T2}, {"token": T3}]),  # a spreadsheet cell
    ("attachment", {}, f"http://shop.example/api/files/{T1}?exp=1&sig=x", [{"token": T1}]),  # an exported link
    ("attachment", {}, {"token": T1, "size": True, "name": 5, "mime": ""}, [{"token": T1}]),  # junk claims dropped
    ("attachment", {}, "short", Err("bad_file_ref", {})),
    ("attachment", {}, "../../etc/passwd" + "x" * 10, Err("bad_file_ref")),
    ("attachment", {}, {"name": "a.pdf"}, Err("bad_file_ref")),
    ("attachment", {}, {"token": 7}, Err("bad_file_ref")),
    ("attachment", {}, 7, Err("bad_file_ref")),
    ("attachment", {}, [T1, [T2]], Err("bad_file_ref")),
    ("attachment", {}, f"data:image/png;base64,{PNG}", Err("bad_file_ref")),  # only signatures take data URLs
    ("attachment", {"max_files": 2}, [T1, T2, T3], Err("too_many_items", {"limit": 2})),
    ("attachment", {"max_files": 2}, [T1, T2, T1], [{"token": T1}, {"token": T2}]),
    ("attachment", {}, [f"{c}" * 20 for c in "abcdefghijk"], Err("too_many_items", {"limit": 10})),  # 10 by default
    # what the client says about a file is checked against the limits at once (the runtime checks the truth)
    ("attachment", {"max_size_mb": 1}, {"token": T1, "name": "a.zip", "size": MB}, [{"token": T1, "name": "a.zip", "size": MB}]),
    ("attachment", {"max_size_mb": 1}, {"token": T1, "name": "a.zip", "size": MB + 1},
     Err("file_too_large", {"name": "a.zip", "limit_mb": "1"})),
    ("attachment", {"max_size_mb": 0.5}, {"token": T1, "size": MB}, Err("file_too_large", {"name": T1, "limit_mb": "0.5"})),
    ("attachment", PDF, {"token": T1, "name": "报价.PDF", "mime": "application/pdf"},
     [{"token": T1, "name": "报价.PDF", "mime": "application/pdf"}]),
    ("attachment", PDF, {"token": T1, "name": "photo", "mime": "image/jpeg"}, [{"token": T1, "name": "photo", "mime": "image/jpeg"}]),
    ("attachment", PDF, {"token": T1, "name": "a.exe", "mime": "application/x-msdownload"},
     Err("file_not_accepted", {"name": "a.exe", "accept": ".pdf, image/*"})),
    ("attachment", PDF, {"token": T1, "name": "fake.pdf", "mime": "text/plain"}, Err("file_not_accepted")),  # named .pdf, is not
    ("attachment", {"accept": ["application/pdf"]}, {"token": T1, "name": "a.bin", "mime": "application/pdf"},
     [{"token": T1, "name": "a.bin", "mime": "application/pdf"}]),
    ("attachment", PDF, {"token": T1, "name": "a.exe"}, [{"token": T1, "name": "a.exe"}]),  # type unknown yet
    # images: only raster images browsers show
    ("image", {}, [{"token": T1, "name": "a.png", "mime": "image/png"}, T2],
     [{"token": T1, "name": "a.png", "mime": "image/png"}, {"token": T2}]),
    ("image", {}, {"token": T1, "name": "a.png", "mime": "application/octet-stream"}, Err("not_image", {"name": "a.png"})),
    ("image", {}, {"token": T1, "name": "a.svg", "mime": "image/svg+xml"}, Err("not_image")),  # may carry scripts
    ("image", {"max_files": 1}, [T1, T2], Err("too_many_items", {"limit": 1})),
    ("image", {"max_size_mb": 2}, {"token": T1, "size": 3 * MB, "mime": "image/png"}, Err("file_too_large")),
    # signature: a list of one image, or a data: URL the runtime stores
    ("signature", {}, T1, [{"token": T1}]),
    ("signature", {}, [{"token": T1, "mime": "image/png"}], [{"token": T1, "mime": "image/png"}]),
    ("signature", {}, f"data:image/png;base64,{PNG}", [{"data_url": f"data:image/png;base64,{PNG}"}]),
    ("signature", {}, f" data:image/jpeg;base64,{JPEG} ", [{"data_url": f"data:image/jpeg;base64,{JPEG}"}]),
    ("signature", {}, [T1, T2], Err("too_many_items", {"limit": 1})),
    ("signature", {}, "data:text/html;base64,PGI+", Err("bad_data_url", {})),
    ("signature", {}, "data:image/png;base64,not base64!", Err("bad_data_url")),
    ("signature", {}, f"data:image/png;base64,{JPEG}", Err("bad_data_url")),  # JPEG bytes under a PNG label
    ("signature", {}, "data:image/png;base64," + "A" * (3 * MB), Err("file_too_large")),
    ("signature", {}, {"token": T1, "mime": "application/pdf"}, Err("not_image")),
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


@pytest.mark.parametrize("kind", ["attachment", "image", "signature"])
def test_dump_gives_each_file_its_url(kind):
    ftype = field_type(kind)
    stored = [{"token": T1, "name": "签名.png", "size": 120, "mime": "image/png"}]
    assert ftype.dump(make(kind), stored, UTC) == [
        {**stored[0], "url": f"/api/files/{T1}", "thumb_url": f"/api/files/{T1}?thumb=1"}]
    assert ftype.dump(make(kind), None, UTC) is None
    assert ftype.to_cell(make(kind), ftype.dump(make(kind), stored, UTC)) == f"/api/files/{T1}"


def test_dump_gives_no_thumbnail_to_other_files():
    pdf = {"token": T1, "name": "a.pdf", "size": 9, "mime": "application/pdf"}
    assert field_type("attachment").dump(make("attachment"), [pdf], UTC) == [{**pdf, "url": f"/api/files/{T1}"}]


def test_an_exported_cell_reads_back_as_the_same_files():
    ftype, f = field_type("attachment"), make("attachment")
    stored = [{"token": T1, "name": "a", "size": 1, "mime": "text/plain"},
              {"token": T2, "name": "b", "size": 1, "mime": "text/plain"}]
    cell = ftype.to_cell(f, ftype.dump(f, stored, UTC))
    assert ftype.coerce(f, cell, UTC) == [{"token": T1}, {"token": T2}]


def test_file_tokens_skip_data_urls_still_to_store():
    value = field_type("signature").coerce(make("signature"), f"data:image/png;base64,{PNG}", UTC)
    assert field_type("signature").file_tokens(make("signature"), value) == []
    assert field_type("attachment").file_tokens(make("attachment"), [{"token": T1}, {"token": T2}]) == [T1, T2]


def test_check_file_uses_the_stored_truth():
    f = make("attachment", accept=[".png"])
    field_type("attachment").check_file(f, {"token": T1, "name": "a.png", "size": 5, "mime": "image/png"})
    with pytest.raises(FieldError) as info:  # a .png name over non-image bytes
        field_type("attachment").check_file(f, {"token": T1, "name": "a.png", "size": 5, "mime": "text/plain"})
    assert info.value.code == "file_not_accepted"


@pytest.mark.parametrize("patterns, name, mime, ok", [
    ([".jpg"], "a.jpeg", "image/jpeg", False),
    ([".jpg"], "a.JPG", "image/jpeg", True),
    ([".jpeg"], "a.jpeg", "image/jpeg", True),
    ([".docx"], "a.docx", "application/zip", True),  # extensions the runtime cannot confirm go by name
    (["image/*"], "a.png", "image/png", True),
    (["image/*"], "a.pdf", "application/pdf", False),
    (["video/*", ".csv"], "a.csv", "text/csv", True),
])
def test_accepts(patterns, name, mime, ok):
    assert accepts(patterns, name, mime) is ok


def test_decode_data_url_gives_the_bytes():
    assert decode_data_url(f"data:image/png;base64,{PNG}") == ("image/png", base64.b64decode(PNG))


def test_accept_patterns_are_checked_in_the_definition():
    f = make("attachment", accept=[".pdf", "image/*", "pdf", "*/*", "application/vnd.ms-excel"])
    problems = field_type("attachment").check_def(f)
    assert [(p.path, p.code, p.params) for p in problems] == [
        ("/accept/2", "bad_accept", {"value": "pdf"}), ("/accept/3", "bad_accept", {"value": "*/*"})]


@pytest.mark.parametrize("kind, props", [
    ("attachment", {"max_files": 0}), ("attachment", {"max_files": 101}), ("attachment", {"max_size_mb": 0}),
    ("attachment", {"accept": ".pdf"}), ("image", {"accept": [".png"]}), ("signature", {"max_files": 2}),
])
def test_definition_rejected(kind, props):
    with pytest.raises(ValidationError):
        make(kind, **props)


def test_types_declare_storage_widget_and_icon():
    for key, icon in [("attachment", "PaperClipOutlined"), ("image", "PictureOutlined"), ("signature", "SignatureOutlined")]:
        ftype = field_type(key)
        assert (ftype.storage, ftype.widget, ftype.icon, ftype.unique_ok) == ("json", key, icon, False)
