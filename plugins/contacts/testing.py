"""What the access matrix (``core.testing.AccessMatrix``) needs to request every contacts route."""
from core.testing import MatrixDeclarations


def _contact():
    from plugins.contacts.models import Contact

    # With a photo, so the photo route has something to answer.
    return Contact(kind="person", first_name="Matrix", last_name="Contact", name="Matrix Contact",
                   photo=b"\x89PNG\r\n\x1a\n", photo_type="image/png")


MATRIX = MatrixDeclarations(
    factories={"contact": _contact},
    record_routes={"contacts.detail": "contact", "contacts.edit": "contact", "contacts.delete": "contact",
                   "contacts.photo": "contact", "contacts.delete_photo": "contact", "contacts.merge": "contact"},
    params={"contacts.admin_list": {"kind": "types"}, "contacts.admin_list_usual": {"kind": "types"},
            "contacts.admin_list_delete": {"kind": "types", "item_id": 999},
            "contacts_webforms.edit": {"form_id": 999}, "contacts_webforms.snippet": {"form_id": 999},
            "contacts_webforms.switch": {"form_id": 999}, "contacts_webforms.delete": {"form_id": 999},
            "contacts_webforms.public_form": {"key": "not-a-form"},
            **{f"contacts_import.{name}": {"import_id": 999}
               for name in ("mapping", "show", "report", "resume", "revert")}},
)
