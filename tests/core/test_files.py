"""Files on records: uploads checked by size, extension and content; bytes outside the
database under random names; downloads and thumbnails only for users who may see the
record; deletion of a file and of a record with its files deleted or kept."""
from __future__ import annotations

import io
import os
import zipfile

from PIL import Image
from sqlalchemy import select

from core import db, settings
from core.records import files as files_service
from core.records.models import StoredFile, TimelineEvent
from tests.support.gadgets.models import Gadget
from tests.support.gadgets.testing import build, client_for

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png_bytes(width=640, height=480) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return out.getvalue()


def ods_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<document/>")
    return out.getvalue()


def upload(client, gadget_id, *files):
    data = {"files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/records/gadget/{gadget_id}/files", data=data, content_type="multipart/form-data",
                       follow_redirects=True)


def stored(app):
    with app.app_context():
        return [(f.id, f.filename, f.content_type, f.size, f.storage_name, f.entity_type)
                for f in db.session.scalars(select(StoredFile).order_by(StoredFile.id))]


def files_on_disk(app) -> list[str]:
    root = app.config["FILES_PATH"]
    return sorted(os.path.join(d, n) for d, _dirs, names in os.walk(root) for n in names) if os.path.isdir(root) \
        else []


def test_a_png_is_stored_outside_the_database_with_a_thumbnail(make_app):
    app, gadget_id = build(make_app)
    user = client_for(app, "user")
    content = png_bytes()
    page = upload(user, gadget_id, ("photo of lamp.png", content))
    assert page.status_code == 200 and "1 file(s) attached." in page.get_data(as_text=True)
    (file_id, filename, content_type, size, storage_name, _type), = stored(app)
    assert (filename, content_type, size) == ("photo of lamp.png", "image/png", len(content))

    # Bytes under FILES_PATH/<2 hex>/<random token>, never under the user's file name.
    path = os.path.join(app.config["FILES_PATH"], storage_name[:2], storage_name)
    assert files_on_disk(app) == [path]
    assert len(storage_name) == 32 and "lamp" not in path
    with open(path, "rb") as handle:
        assert handle.read() == content

    download = user.get(f"/records/gadget/{gadget_id}/files/{file_id}")
    assert download.status_code == 200 and download.data == content
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "photo" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    detail = user.get(f"/gadgets/{gadget_id}").get_data(as_text=True)
    thumbnail_url = f"/records/gadget/{gadget_id}/files/{file_id}/thumbnail"
    assert f'src="{thumbnail_url}"' in detail and "photo of lamp.png" in detail
    thumbnail = user.get(thumbnail_url)
    assert thumbnail.status_code == 200 and thumbnail.mimetype == "image/png"
    image = Image.open(io.BytesIO(thumbnail.data))
    assert image.format == "PNG" and image.size == (200, 150)
    assert os.path.exists(path + ".thumb.png")  # cached for the next request
    assert user.get(thumbnail_url).data == thumbnail.data

    with app.app_context():
        assert db.session.scalar(select(TimelineEvent.summary).where(TimelineEvent.action == "file_added")) \
            == "photo of lamp.png"


def test_pdf_docx_and_several_files_at_once(make_app):
    app, gadget_id = build(make_app)
    user = client_for(app, "user")
    page = upload(user, gadget_id, ("offer.pdf", PDF), ("letter.docx", docx_bytes()), ("list.csv", b"a;b\n1;2\n"),
                  ("sheet.ods", ods_bytes()))
    assert "4 file(s) attached." in page.get_data(as_text=True)
    assert [(name, kind) for _id, name, kind, *_rest in stored(app)] == [
        ("offer.pdf", "application/pdf"),
        ("letter.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("list.csv", "text/csv"),
        ("sheet.ods", "application/vnd.oasis.opendocument.spreadsheet")]
    pdf_id = stored(app)[0][0]
    # A PDF has no thumbnail.
    assert user.get(f"/records/gadget/{gadget_id}/files/{pdf_id}/thumbnail").status_code == 404


def test_forbidden_and_disguised_files_are_refused_and_leave_nothing(make_app):
    app, gadget_id = build(make_app)
    user = client_for(app, "user")
    cases = [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 200, "cannot be attached"),
        ("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 200, "is not what its name says"),
        ("invoice.pdf", b"<html><script>alert(1)</script></html>", "is not what its name says"),
        ("photo.png", PDF, "is not what its name says"),
        ("letter.docx", PDF, "is not what its name says"),
        ("letter.odt", ods_bytes(), "is not what its name says"),
        ("letter.docx", ods_bytes(), "is not what its name says"),
        ("notes.txt", png_bytes(10, 10), "is not what its name says"),
        ("page.html", b"<html></html>", "cannot be attached"),
    ]
    for name, content, message in cases:
        page = upload(user, gadget_id, (name, content)).get_data(as_text=True)
        assert message in page, name
    # One refused file among good ones stores none of them.
    page = upload(user, gadget_id, ("offer.pdf", PDF), ("invoice.pdf", b"<html></html>"))
    assert "is not what its name says" in page.get_data(as_text=True)
    assert stored(app) == [] and files_on_disk(app) == []


def test_an_oversized_file_is_refused_with_the_limit_named(make_app):
    app, gadget_id = build(make_app)
    with app.app_context():
        settings.set_value("core.max_upload_mb", 1)
    user = client_for(app, "user")
    big = PDF + b"0" * (1024 * 1024)
    page = upload(user, gadget_id, ("big.pdf", big)).get_data(as_text=True)
    assert "big.pdf: the file is larger than the limit of 1 MB." in page
    assert stored(app) == [] and files_on_disk(app) == []
    # Just under the limit is fine.
    assert "1 file(s) attached." in upload(user, gadget_id, ("ok.pdf", PDF + b"0" * 1000)).get_data(as_text=True)


def test_downloads_check_access_to_the_record_and_the_file_belongs_to_it(make_app):
    app, gadget_id = build(make_app, access_mode="private")
    owner, user = client_for(app, "owner"), client_for(app, "user")
    upload(owner, gadget_id, ("secret.pdf", PDF))
    (file_id, *_rest), = stored(app)
    assert owner.get(f"/records/gadget/{gadget_id}/files/{file_id}").status_code == 200
    assert user.get(f"/records/gadget/{gadget_id}/files/{file_id}").status_code == 404
    assert user.get(f"/records/gadget/{gadget_id}/files/{file_id}/thumbnail").status_code == 404
    assert user.post(f"/records/gadget/{gadget_id}/files/{file_id}/delete").status_code == 404
    assert upload(user, gadget_id, ("mine.pdf", PDF)).status_code == 404
    # Through a record the user may see, another record's file is not found either.
    with app.app_context():
        public = Gadget(name="Open", access_mode="public_write")
        db.session.add(public)
        db.session.commit()
        public_id = public.id
    assert user.get(f"/records/gadget/{public_id}/files/{file_id}").status_code == 404
    assert user.post(f"/records/gadget/{public_id}/files/{file_id}/delete").status_code == 404
    assert len(stored(app)) == 1
    # Signed out: nothing.
    assert app.test_client().get(f"/records/gadget/{gadget_id}/files/{file_id}").status_code in (302, 401)


def test_deleting_a_file_needs_edit_and_removes_bytes_and_row(make_app):
    app, gadget_id = build(make_app, access_mode="public_read")
    owner, user = client_for(app, "owner"), client_for(app, "user")
    upload(owner, gadget_id, ("photo.png", png_bytes()))
    (file_id, *_rest), = stored(app)
    assert owner.get(f"/records/gadget/{gadget_id}/files/{file_id}/thumbnail").status_code == 200
    assert len(files_on_disk(app)) == 2  # the file and its thumbnail
    # A reader may see and download, not delete.
    assert user.get(f"/records/gadget/{gadget_id}/files/{file_id}").status_code == 200
    assert user.post(f"/records/gadget/{gadget_id}/files/{file_id}/delete").status_code == 403
    assert owner.post(f"/records/gadget/{gadget_id}/files/{file_id}/delete").status_code == 302
    assert stored(app) == [] and files_on_disk(app) == []


def test_deleting_the_record_deletes_its_files(make_app):
    app, gadget_id = build(make_app)
    user = client_for(app, "user")
    upload(user, gadget_id, ("a.pdf", PDF), ("b.png", png_bytes()))
    assert user.post(f"/gadgets/{gadget_id}/delete", data={"files": "delete"}).status_code == 302
    assert stored(app) == [] and files_on_disk(app) == []


def test_deleting_the_record_can_keep_its_files_detached(make_app):
    app, gadget_id = build(make_app)
    user = client_for(app, "user")
    upload(user, gadget_id, ("a.pdf", PDF))
    (file_id, *_rest), = stored(app)
    assert user.post(f"/gadgets/{gadget_id}/delete", data={"files": "keep"}).status_code == 302
    (_id, name, _kind, _size, storage_name, entity_type), = stored(app)
    assert (name, entity_type) == ("a.pdf", "deleted:gadget")
    assert len(files_on_disk(app)) == 1
    with app.app_context():
        assert [f.filename for f in files_service.detached_files()] == ["a.pdf"]
        # A new gadget that gets the old id does not inherit the kept file.
        db.session.add(Gadget(id=gadget_id, name="New lamp", access_mode="public_write"))
        db.session.commit()
    assert user.get(f"/records/gadget/{gadget_id}/files/{file_id}").status_code == 404
    page = user.get(f"/gadgets/{gadget_id}").get_data(as_text=True)
    assert 'id="files"' not in page and "No files yet." in page


def test_a_failed_commit_leaves_no_file(make_app, monkeypatch):
    app, gadget_id = build(make_app)
    user = client_for(app, "user")

    def broken_commit():
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", broken_commit)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = user.post(f"/records/gadget/{gadget_id}/files", data={"files": [(io.BytesIO(PDF), "a.pdf")]},
                         content_type="multipart/form-data")
    monkeypatch.undo()
    assert response.status_code == 500
    assert stored(app) == [] and files_on_disk(app) == []


def test_the_delete_page_asks_what_happens_to_the_files(make_app):
    app, gadget_id = build(make_app)
    user = client_for(app, "user")
    upload(user, gadget_id, ("a.pdf", PDF), ("b.pdf", PDF))
    user.post(f"/records/gadget/{gadget_id}/notes", data={"text": "A note"})
    page = user.get(f"/records/gadget/{gadget_id}/delete?next=/gadgets/").get_data(as_text=True)
    assert "It has 2 file(s)." in page and "notes (1)" in page
    assert 'value="keep"' in page and 'name="next" value="/gadgets/"' in page
    response = user.post(f"/records/gadget/{gadget_id}/delete", data={"files": "keep", "next": "/gadgets/"})
    assert response.headers["Location"] == "/gadgets/"
    with app.app_context():
        assert db.session.get(Gadget, gadget_id) is None
    assert {row[5] for row in stored(app)} == {"deleted:gadget"} and len(files_on_disk(app)) == 2


def test_the_delete_page_deletes_files_needs_edit_and_stays_on_the_site(make_app):
    app, gadget_id = build(make_app, access_mode="public_read")
    owner, user = client_for(app, "owner"), client_for(app, "user")
    upload(owner, gadget_id, ("a.pdf", PDF))
    assert user.get(f"/records/gadget/{gadget_id}/delete").status_code == 403
    assert user.post(f"/records/gadget/{gadget_id}/delete", data={"files": "delete"}).status_code == 403
    response = owner.post(f"/records/gadget/{gadget_id}/delete", data={"files": "delete", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"
    assert stored(app) == [] and files_on_disk(app) == []


def test_a_request_above_the_server_limit_also_names_the_limit(make_app):
    app, gadget_id = build(make_app)
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024  # stands in for the server's 64 MB
    user = client_for(app, "user")
    page = upload(user, gadget_id, ("big.pdf", PDF + b"0" * 3 * 1024 * 1024))
    assert page.status_code == 200
    # The lower of the setting (25 MB) and the server's limit is the one that applies.
    assert "The file is larger than the limit of 2 MB." in page.get_data(as_text=True)
    assert stored(app) == [] and files_on_disk(app) == []
