"""Record service: files. Files attached to a record; the bytes live under the instance's
FILES_PATH as ``<2 hex>/<random token>`` (never the user's file name), the metadata in
``StoredFile``. Only an allow-list of types is accepted, each checked by its content and
its file name extension agreeing; downloads only go through a route that checks access to
the record. Anyone who may see the record may attach files; deleting one needs the type's
edit permission.

When a record is deleted, its files are deleted too, or kept ("keep_files"): kept files
are detached from the record (their ``entity_type`` becomes ``deleted:<type>``, which no
record route serves, so a new record that happens to get the old id never sees them) and
stay on disk for an admin to recover from the instance folder; ``detached_files()`` lists
them.
"""
from __future__ import annotations

import os
import secrets
import zipfile
import zlib

import filetype
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select, update
from werkzeug.exceptions import RequestEntityTooLarge

from core import access, records, settings
from core.records import timeline
from core.db import db
from core.records.models import Note, StoredFile

bp = Blueprint("records_files", __name__, url_prefix="/records")

THUMBNAIL_SIZE = 200
MAX_THUMBNAIL_PIXELS = 50_000_000
DETACHED_PREFIX = "deleted:"
CHUNK = 64 * 1024

# Extension -> the content type the file is stored and served as.
ALLOWED = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "txt": "text/plain",
    "csv": "text/csv",
    "zip": "application/zip",
}
IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
# Office documents are zip archives; what makes one is the part inside it.
OFFICE_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
OPEN_DOCUMENT = {"odt": b"application/vnd.oasis.opendocument.text",
                 "ods": b"application/vnd.oasis.opendocument.spreadsheet"}


class Refused(Exception):
    """An upload that is not stored; the message says why, for the user."""


def extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def _is_zip(path: str) -> bool:
    # Both the local header at the start and a readable directory at the end: an
    # executable with a zip appended (a self-extracting archive) starts otherwise.
    with open(path, "rb") as handle:
        if handle.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):
            return False
    return zipfile.is_zipfile(path)


def _zip_names(path: str) -> set[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return set()


def _is_text(path: str) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(CHUNK)
    # Plain text has no NUL bytes and no signature of a known binary format.
    return b"\x00" not in head and filetype.guess(head) is None


def content_matches(path: str, ext: str) -> bool:
    """Whether the file at ``path`` really is what its extension ``ext`` says."""
    if ext in ("txt", "csv"):
        return _is_text(path)
    if ext in OFFICE_PARTS:
        return _is_zip(path) and OFFICE_PARTS[ext] in _zip_names(path)
    if ext in OPEN_DOCUMENT:
        if not _is_zip(path):
            return False
        try:
            with zipfile.ZipFile(path) as archive:
                info = archive.getinfo("mimetype")
                # A few bytes in a real document; never unpack a large (or bomb) entry.
                return info.file_size < 200 and archive.read(info).strip() == OPEN_DOCUMENT[ext]
        except (KeyError, zipfile.BadZipFile, OSError, ValueError, zlib.error):
            return False
    if ext == "zip":
        return _is_zip(path)
    guessed = filetype.guess(path)
    return guessed is not None and guessed.mime == ALLOWED[ext]


def limit_mb() -> int:
    """The upload limit in MB: the setting, unless the server's MAX_CONTENT_LENGTH (the
    whole request) is lower."""
    limit = int(settings.get("core.max_upload_mb") or 25)
    server = current_app.config.get("MAX_CONTENT_LENGTH")
    return max(1, min(limit, server // (1024 * 1024))) if server else limit


def files_path() -> str:
    return current_app.config["FILES_PATH"]


def stored_path(stored: StoredFile) -> str:
    return os.path.join(files_path(), stored.storage_name[:2], stored.storage_name)


def thumbnail_path(stored: StoredFile) -> str:
    return stored_path(stored) + ".thumb.png"


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _receive(upload) -> tuple[str, str, int]:
    """Write ``upload`` to a temporary file next to its final place and check it:
    ``(storage name, temporary path, size)``, or ``Refused`` with nothing left on disk."""
    filename = os.path.basename((upload.filename or "").replace("\\", "/")).strip()
    ext = extension(filename)
    if not filename or len(filename) > 255:
        raise Refused(_("A file needs a name of at most 255 characters."))
    if ext not in ALLOWED:
        raise Refused(_("%(name)s: files of this type cannot be attached. Allowed are PDF, PNG, JPEG, GIF, "
                        "WebP, DOCX, XLSX, ODT, ODS, TXT, CSV and ZIP.", name=filename))
    name = secrets.token_hex(16)
    folder = os.path.join(files_path(), name[:2])
    os.makedirs(folder, exist_ok=True)
    partial = os.path.join(folder, name + ".part")
    limit = limit_mb() * 1024 * 1024
    size = 0
    try:
        with open(partial, "wb") as out:
            while chunk := upload.stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise Refused(_("%(name)s: the file is larger than the limit of %(limit)s MB.",
                                    name=filename, limit=limit_mb()))
                out.write(chunk)
        if size == 0:
            raise Refused(_("%(name)s is empty.", name=filename))
        if not content_matches(partial, ext):
            raise Refused(_("%(name)s: the content is not what its name says (.%(ext)s), so it is refused.",
                            name=filename, ext=ext))
    except BaseException:
        _remove(partial)
        raise
    return name, partial, size


def files_of(entity_type: str, record_id: int) -> list[StoredFile]:
    return list(db.session.scalars(select(StoredFile).where(StoredFile.entity_type == entity_type,
                                                            StoredFile.record_id == record_id)
                                   .order_by(StoredFile.created_at.desc(), StoredFile.id.desc())))


def detached_files() -> list[StoredFile]:
    """Files kept when their record was deleted (``entity_type`` is ``deleted:<type>``)."""
    return list(db.session.scalars(select(StoredFile).where(StoredFile.entity_type.startswith(DETACHED_PREFIX))
                                   .order_by(StoredFile.created_at.desc())))


def may_delete(declared, record) -> bool:
    from core.access import has_permission

    return has_permission(current_user, declared.edit_permission, record)


@bp.app_context_processor
def _template_helpers():
    return {"record_files": files_of, "may_delete_file": may_delete, "file_is_image": lambda f: f.content_type in IMAGES,
            "max_upload_mb": limit_mb}


def _back(declared, record_id: int):
    return redirect((records.record_url(declared, record_id) or "/") + "#record-panel")


def _load_file(entity_type: str, record_id: int, file_id: int, change: bool = False):
    declared, record = records.load(entity_type, record_id, change=change)
    stored = db.session.get(StoredFile, file_id)
    # The file must belong to this very record: access was checked on the record only.
    if stored is None or stored.entity_type != entity_type or stored.record_id != record.id:
        abort(404)
    return declared, record, stored


@bp.post("/<entity_type>/<int:record_id>/files")
@records.record_route("view")
def upload(entity_type: str, record_id: int):
    declared, record = records.load(entity_type, record_id)
    if not declared.files:
        abort(404)
    uploads = [u for u in request.files.getlist("files") if u and u.filename]
    if not uploads:
        flash(_("Choose a file first."), "danger")
        return _back(declared, record.id)
    # All or nothing: one refused file stores none, and nothing half-written stays.
    received = []
    try:
        for item in uploads:
            name, partial, size = _receive(item)
            received.append((item, name, partial, size))
    except Refused as refused:
        for _item, _name, partial, _size in received:
            _remove(partial)
        flash(str(refused), "danger")
        return _back(declared, record.id)
    final_paths = []
    try:
        for item, name, partial, size in received:
            filename = os.path.basename(item.filename.replace("\\", "/")).strip()
            final = partial[: -len(".part")]
            os.replace(partial, final)
            final_paths.append(final)
            db.session.add(StoredFile(entity_type=entity_type, record_id=record.id, filename=filename,
                                      content_type=ALLOWED[extension(filename)], size=size, storage_name=name,
                                      uploaded_by_id=current_user.id))
            timeline.record_event(entity_type, record.id, "file_added", user=current_user, summary=filename)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for _item, _name, partial, _size in received:
            _remove(partial)
        for path in final_paths:
            _remove(path)
        raise
    flash(_("%(count)s file(s) attached.", count=len(received)), "success")
    return _back(declared, record.id)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error):
    # Werkzeug refuses a request above MAX_CONTENT_LENGTH before the upload view runs;
    # the user still learns the limit that applies to them, back on the record's page.
    flash(_("The file is larger than the limit of %(limit)s MB.", limit=limit_mb()), "danger")
    args = request.view_args or {}
    declared = records.entity_type(args.get("entity_type", ""))
    if declared is None or "record_id" not in args:
        return redirect("/")
    return _back(declared, args["record_id"])


def _private(response):
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<entity_type>/<int:record_id>/files/<int:file_id>")
@records.record_route("view")
def download(entity_type: str, record_id: int, file_id: int):
    _declared, _record, stored = _load_file(entity_type, record_id, file_id)
    path = stored_path(stored)
    if not os.path.exists(path):
        abort(404)
    return _private(send_file(path, mimetype=stored.content_type, as_attachment=True,
                              download_name=stored.filename, conditional=False, etag=False))


def make_thumbnail(stored: StoredFile) -> str | None:
    """The path of the image's thumbnail (a PNG of at most 200 px), made on first request
    and kept next to the file; ``None`` when Pillow cannot read the image."""
    from PIL import Image, ImageOps

    target = thumbnail_path(stored)
    if os.path.exists(target):
        return target
    partial = f"{target}.{secrets.token_hex(4)}.part"
    try:
        with Image.open(stored_path(stored)) as image:
            if image.width * image.height > MAX_THUMBNAIL_PIXELS:
                return None  # too big to unpack into memory for a thumbnail
            image = ImageOps.exif_transpose(image)
            image.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
            image = image.convert("RGBA" if "A" in image.getbands() or "transparency" in image.info else "RGB")
            image.save(partial, "PNG")
        os.replace(partial, target)  # atomic: a parallel request never reads half a thumbnail
    except (OSError, ValueError, Image.DecompressionBombError):
        _remove(partial)
        return None
    return target


@bp.get("/<entity_type>/<int:record_id>/files/<int:file_id>/thumbnail")
@records.record_route("view")
def thumbnail(entity_type: str, record_id: int, file_id: int):
    _declared, _record, stored = _load_file(entity_type, record_id, file_id)
    if stored.content_type not in IMAGES:
        abort(404)
    path = make_thumbnail(stored)
    if path is None:
        abort(404)
    return _private(send_file(path, mimetype="image/png", conditional=False, etag=False))


@bp.post("/<entity_type>/<int:record_id>/files/<int:file_id>/delete")
@records.record_route("edit")
def remove(entity_type: str, record_id: int, file_id: int):
    declared, record, stored = _load_file(entity_type, record_id, file_id, change=True)
    paths = [stored_path(stored), thumbnail_path(stored)]
    db.session.delete(stored)
    db.session.commit()
    for path in paths:  # after the commit: a failed commit keeps the bytes of a kept row
        _remove(path)
    flash(_("File deleted."), "success")
    return _back(declared, record.id)


@bp.route("/<entity_type>/<int:record_id>/delete", methods=["GET", "POST"])
@records.record_route("edit")
def delete_record(entity_type: str, record_id: int):
    """Delete a record after asking what happens to its files: deleted with it, or kept
    (detached, see ``forget``). Plugins link here (with ``?next=`` the page to go to
    afterwards, e.g. the list) instead of writing their own delete view."""
    declared, record = records.load(entity_type, record_id, change=True)
    after = access.local_path(request.values.get("next")) or "/"
    if request.method == "POST":
        records.delete_record(entity_type, record, keep_files=request.form.get("files") == "keep",
                              user=current_user)
        db.session.commit()
        flash(_("%(what)s deleted.", what=records.title(declared, record)), "success")
        return redirect(after)
    count = db.session.scalar(select(func.count()).select_from(StoredFile).where(
        StoredFile.entity_type == entity_type, StoredFile.record_id == record.id))
    notes = db.session.scalar(select(func.count()).select_from(Note).where(
        Note.entity_type == entity_type, Note.record_id == record.id))
    return render_template("core/records/delete.html", declared=declared, record=record, entity_type=entity_type,
                           title=records.title(declared, record), file_count=count, note_count=notes, after=after,
                           back=records.record_url(declared, record.id) or after)


def forget(entity_type: str, record_id: int, keep_files: bool = False) -> None:
    """Delete the record's files, or detach them with ``keep_files`` (part of the caller's
    transaction; the bytes go once it commits)."""
    owned = (StoredFile.entity_type == entity_type, StoredFile.record_id == record_id)
    if keep_files:
        db.session.execute(update(StoredFile).where(*owned).values(entity_type=DETACHED_PREFIX + entity_type))
        return
    paths = []
    for stored in db.session.scalars(select(StoredFile).where(*owned)):
        paths += [stored_path(stored), thumbnail_path(stored)]
        db.session.delete(stored)
    _remove_after_commit(paths)


def _remove_after_commit(paths: list[str]) -> None:
    """Remove ``paths`` once the session commits; forget them if it rolls back (the rows,
    and so their bytes, stay)."""
    from sqlalchemy import event

    session = db.session()

    # Listeners stay on the session (it ends with the request); ``pending`` makes each act once.
    pending = [True]

    def committed(_session):
        if pending:
            pending.clear()
            for path in paths:
                _remove(path)

    def rolled_back(_session):
        pending.clear()

    event.listen(session, "after_commit", committed)
    event.listen(session, "after_rollback", rolled_back)
