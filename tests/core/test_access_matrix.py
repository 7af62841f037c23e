"""The access matrix: every route of the core and of the test plugin, requested as every
persona, must answer what its declared permission says (see core.testing.AccessMatrix)."""
from __future__ import annotations

import pytest

from core.testing import AccessMatrix, MatrixDeclarations
from plugins.contacts.testing import MATRIX as CONTACTS
from plugins.tasks.testing import MATRIX as TASKS
from tests.support import gadgets, memo
from tests.support.gadgets.models import Gadget

DECLARATIONS = MatrixDeclarations(
    factories={"memo_record": lambda: memo.MemoRecord(title="Matrix record"),
               "memo_customer": lambda: memo.MemoCustomer(name="Matrix customer"),
               "gadget": lambda: Gadget(name="Matrix gadget")},
    record_routes={"memo.record": "memo_record", "memo.edit_record": "memo_record",
                   "memo_portal.portal_record": "memo_record",
                   "gadgets.detail": "gadget", "gadgets.edit": "gadget", "gadgets.delete": "gadget"},
    params={"gadgets.widget": {"record_id": 999}, "gadgets.sprocket": {"record_id": 999}},
) + CONTACTS + TASKS


@pytest.fixture
def matrix(make_app):
    """The core, the memo plugin and the gadgets plugin (whose gadgets use every record
    service, so the record service routes are in the matrix too)."""
    return AccessMatrix(make_app(PLUGINS=[memo, gadgets]), DECLARATIONS).build()


def test_every_route_answers_every_persona_as_declared(matrix):
    problems = matrix.check()
    assert problems == [], "\n".join(problems)


def test_search_finds_exactly_what_each_persona_may_see(matrix):
    assert matrix.check_search("Matrix") == []


def test_the_matrix_fails_a_route_whose_declaration_is_wrong(matrix):
    # The edit view checks write access on the record; declared as needing only memo.view
    # (read), the declaration promises more than the view gives, and the matrix says so.
    view = matrix.app.view_functions["memo.edit_record"]
    original = view.kontor_permission
    view.kontor_permission = "memo.view"
    try:
        problems = matrix.check()
    finally:
        view.kontor_permission = original
    record_id = matrix.records["memo_record"]["public_read"]
    assert f"GET /memo/records/{record_id}/edit (public_read record) as restricted: expected allowed, got 403" \
        in problems


def test_personas_see_what_the_matrix_expects(matrix):
    """A few answers spelled out, so the matrix's own oracle is checked too."""
    records = matrix.records["memo_record"]
    clients = matrix.clients
    assert clients["user"].get(f"/memo/records/{records['private']}").status_code == 200  # on its list
    assert clients["restricted"].get(f"/memo/records/{records['private']}").status_code == 404
    assert clients["restricted"].get(f"/memo/records/{records['public_read']}").status_code == 200
    assert clients["restricted"].get(f"/memo/records/{records['public_read']}/edit").status_code == 403
    assert clients["restricted"].get(f"/memo/records/{records['public_write']}/edit").status_code == 200
    assert clients["outsider"].get("/memo/records").status_code == 403
    assert clients["module_admin"].get(f"/memo/records/{records['restricted']}/edit").status_code == 200
    assert clients["customer_a"].get(f"/portal/memo/records/{records['private']}").status_code == 200
    assert clients["customer_b"].get(f"/portal/memo/records/{records['private']}").status_code == 404
    assert clients["anonymous"].get("/memo/records").headers["Location"].startswith("/login")
    assert clients["anonymous"].get("/portal/memo/records").headers["Location"].startswith("/portal/login")


def test_the_search_check_notices_a_search_that_ignores_record_access(matrix, monkeypatch):
    from core.records import search

    monkeypatch.setattr(search, "filter_query", lambda query, *args: query)
    problems = matrix.check_search("Matrix")
    assert any("as restricted" in p for p in problems), problems
