"""Administration of people and rights: users, groups, module access, the permission matrix
and the audit log, as the owner and the users see them."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core import db
from core.auth.models import Group, User
from core.models import AuditEntry, OutboxMessage, PermissionGrant
from tests.conftest import OWNER_PASSWORD, USER_PASSWORD, create_user, sign_in

EN = {"Accept-Language": "en"}


def _user(app, email):
    with app.app_context():
        return db.session.execute(select(User).where(User.email == email)).scalar_one()


def _user_id(app, email):
    return _user(app, email).id


def _group(app, name="Sales", members=()):
    with app.app_context():
        users = db.session.execute(select(User).where(User.email.in_(members))).scalars().all()
        group = Group(name=name, description="", members=list(users))
        db.session.add(group)
        db.session.commit()
        return group.id


def _events(app, event):
    with app.app_context():
        return db.session.execute(select(AuditEntry).where(AuditEntry.event == event)).scalars().all()


def _client(app, email, password=USER_PASSWORD):
    return sign_in(app.test_client(), email, password)


@pytest.fixture
def clients(app, user_client):
    """The owner and Uwe User, both signed in (user_client creates both accounts)."""
    return _client(app, "owner@example.com", OWNER_PASSWORD), user_client


# Users


def test_owner_invites_a_user_who_gets_an_email(app, owner_client):
    sales = _group(app, "Sales")
    page = owner_client.get("/admin/users/new", headers=EN).get_data(as_text=True)
    assert "Sales" in page and 'name="groups"' in page
    response = owner_client.post("/admin/users/new", data={
        "name": "Ines Invited", "email": "Ines@Example.com", "role": "user", "language": "en",
        "groups": [str(sales)]})
    assert response.status_code == 302
    ines = _user(app, "ines@example.com")
    with app.app_context():
        ines = db.session.get(User, ines.id)
        assert ines.name == "Ines Invited" and ines.role == "user" and not ines.password_hash
        assert [g.name for g in ines.groups] == ["Sales"]
        mails = db.session.execute(select(OutboxMessage)).scalars().all()
    assert [m.recipients for m in mails] == [["ines@example.com"]]
    listing = owner_client.get("/admin/users", headers=EN).get_data(as_text=True)
    assert "Ines Invited" in listing and "ines@example.com" in listing and "Sales" in listing
    assert "invited</span>" in listing
    assert _events(app, "user_created") and _events(app, "invitation_sent")


def test_inviting_an_existing_email_shows_the_error_beside_the_field(app, owner_client):
    response = owner_client.post("/admin/users/new", headers=EN, data={
        "name": "Twin", "email": "OWNER@example.com", "role": "user", "language": "de"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="field-email-error"' in page and "A user with this email exists already." in page
    with app.app_context():
        assert db.session.execute(select(OutboxMessage)).first() is None
        assert len(db.session.execute(select(User)).all()) == 1


def test_invalid_invitation_saves_nothing(app, owner_client):
    response = owner_client.post("/admin/users/new", data={"name": "", "email": "no-mail", "role": "king"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="field-name-error"' in page and 'id="field-email-error"' in page and 'id="field-role-error"' in page
    with app.app_context():
        assert len(db.session.execute(select(User)).all()) == 1


def test_owner_edits_a_user(app, owner_client):
    with app.app_context():
        create_user(email="user@example.com", name="Uwe User", role="user", password=USER_PASSWORD)
    sales = _group(app, "Sales")
    uwe = _user_id(app, "user@example.com")
    assert "Uwe User" in owner_client.get(f"/admin/users/{uwe}").get_data(as_text=True)
    response = owner_client.post(f"/admin/users/{uwe}", data={
        "name": "Uwe Renamed", "role": "user", "active": "on", "groups": [str(sales)]})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, uwe)
        assert user.name == "Uwe Renamed" and user.active and [g.name for g in user.groups] == ["Sales"]
    (entry,) = _events(app, "user_changed")
    assert entry.subject == "user@example.com" and entry.details["name"] == ["Uwe User", "Uwe Renamed"]
    assert owner_client.get("/admin/users/999999").status_code == 404


def test_deactivating_a_user_ends_their_session_at_once(app, clients):
    owner_client, user_client = clients
    assert user_client.get("/").status_code == 200
    uwe = _user_id(app, "user@example.com")
    response = owner_client.post(f"/admin/users/{uwe}", data={"name": "Uwe User", "role": "user"})
    assert response.status_code == 302
    answer = user_client.get("/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert user_client.post("/login", data={"email": "user@example.com", "password": USER_PASSWORD}).status_code != 302
    assert [e.subject for e in _events(app, "user_deactivated")] == ["user@example.com"]
    assert _user(app, "user@example.com").session_version == 1  # every session ends, not only this one
    listing = owner_client.get("/admin/users", headers=EN).get_data(as_text=True)
    assert "deactivated" in listing

    owner_client.post(f"/admin/users/{uwe}", data={"name": "Uwe User", "role": "user", "active": "on"})
    assert [e.subject for e in _events(app, "user_reactivated")] == ["user@example.com"]
    sign_in(app.test_client(), "user@example.com", USER_PASSWORD)


def test_the_last_active_owner_cannot_be_demoted_or_deactivated(app, owner_client):
    olga = _user_id(app, "owner@example.com")
    with app.app_context():
        create_user(email="other@example.com", name="Otto Owner", role="owner", password=OWNER_PASSWORD)
    otto = _user_id(app, "other@example.com")
    # Otto may be demoted while Olga stays owner ...
    assert owner_client.post(f"/admin/users/{otto}", data={"name": "Otto", "role": "user", "active": "on"}
                             ).status_code == 302
    assert _user(app, "other@example.com").role == "user"
    # ... and now Olga is the last one.
    response = owner_client.post(f"/admin/users/{olga}", headers=EN,
                                 data={"name": "Olga Owner", "role": "user", "active": "on"})
    assert response.status_code == 400
    assert "is the last active owner" in response.get_data(as_text=True)
    assert _user(app, "owner@example.com").role == "owner"


def test_an_owner_cannot_deactivate_themselves(app, owner_client):
    with app.app_context():
        create_user(email="other@example.com", name="Otto Owner", role="owner", password=OWNER_PASSWORD)
    olga = _user_id(app, "owner@example.com")
    response = owner_client.post(f"/admin/users/{olga}", headers=EN, data={"name": "Olga Owner", "role": "owner"})
    assert response.status_code == 400
    assert "You cannot deactivate yourself." in response.get_data(as_text=True)
    assert _user(app, "owner@example.com").active
    assert owner_client.get("/").status_code == 200


def test_a_deactivated_last_owner_is_refused_even_by_another_admin(app, owner_client):
    """With Otto inactive, Olga is the last active owner: a second owner account that is
    deactivated does not count."""
    with app.app_context():
        create_user(email="other@example.com", name="Otto Owner", role="owner", password=OWNER_PASSWORD,
                    active=False)
    olga = _user_id(app, "owner@example.com")
    response = owner_client.post(f"/admin/users/{olga}", data={"name": "Olga", "role": "user", "active": "on"})
    assert response.status_code == 400


def test_a_user_granted_user_management_cannot_make_owners(app, clients):
    owner_client, user_client = clients
    owner_client.post("/admin/permissions", data={"grant": ["core.users|role:user"]})
    uwe, olga = _user_id(app, "user@example.com"), _user_id(app, "owner@example.com")
    assert user_client.get("/admin/users").status_code == 200
    response = user_client.post(f"/admin/users/{uwe}", headers=EN,
                                data={"name": "Uwe User", "role": "owner", "active": "on"})
    assert response.status_code == 400
    assert "Only an owner can change an owner or make someone an owner." in response.get_data(as_text=True)
    assert user_client.post(f"/admin/users/{olga}", data={"name": "Olga Owner", "role": "owner"}).status_code == 400
    assert _user(app, "owner@example.com").active and _user(app, "user@example.com").role == "user"
    invite = user_client.post("/admin/users/new", data={"name": "Neo", "email": "neo@example.com", "role": "owner"})
    assert invite.status_code == 400


# Groups


def test_groups_are_created_edited_and_deleted(app, clients):
    owner_client, user_client = clients
    uwe = _user_id(app, "user@example.com")
    response = owner_client.post("/admin/groups/new", data={"name": "Sales", "description": "The sellers",
                                                             "members": [str(uwe)]})
    assert response.status_code == 302
    with app.app_context():
        group = db.session.execute(select(Group)).scalar_one()
        gid = group.id
        assert [u.email for u in group.members] == ["user@example.com"]
    listing = owner_client.get("/admin/groups", headers=EN).get_data(as_text=True)
    assert "Sales" in listing and "The sellers" in listing and "<td>1</td>" in listing

    response = owner_client.post(f"/admin/groups/{gid}", data={"name": "Sales team", "description": "", "members": []})
    assert response.status_code == 302
    with app.app_context():
        group = db.session.get(Group, gid)
        assert group.name == "Sales team" and group.members == []

    duplicate = owner_client.post("/admin/groups/new", headers=EN, data={"name": "sales TEAM"})
    assert duplicate.status_code == 400
    assert "A group with this name exists already." in duplicate.get_data(as_text=True)

    assert owner_client.post(f"/admin/groups/{gid}/delete").status_code == 302
    with app.app_context():
        assert db.session.execute(select(Group)).first() is None
    actions = [e.details["action"] for e in _events(app, "group_changed")]
    assert actions == ["created", "changed", "deleted"]
    assert owner_client.get(f"/admin/groups/{gid}").status_code == 404


# Module access and module admins


def _main_menu(page):
    return page.split('id="main-menu"')[1].split("</ul>")[0]


def test_restricting_a_module_to_a_group(app, clients):
    owner_client, user_client = clients
    with app.app_context():
        create_user(email="member@example.com", name="Mia Member", role="user", password=USER_PASSWORD)
    member_client = _client(app, "member@example.com")
    sales = _group(app, "Sales", members=["member@example.com"])
    assert user_client.get("/memo/").status_code == 200

    page = owner_client.get("/admin/modules/memo/access", headers=EN).get_data(as_text=True)
    assert "Restrict to chosen users and groups" in page and "Sales" in page
    response = owner_client.post("/admin/modules/memo/access", data={"restricted": "on",
                                                                      "access_groups": [str(sales)]})
    assert response.status_code == 302

    assert user_client.get("/memo/").status_code == 403
    home = user_client.get("/").get_data(as_text=True)
    assert "Memos" not in _main_menu(home)
    assert "Short notes for testing" not in home  # nor its card on the home page
    assert member_client.get("/memo/").status_code == 200
    assert "Memos" in _main_menu(member_client.get("/").get_data(as_text=True))
    page = owner_client.get("/admin/modules/memo/access").get_data(as_text=True)
    assert f'name="access_groups" value="{sales}" id="access_groups-{sales}" checked' in page
    assert [e.details["restricted"] for e in _events(app, "module_access_changed")] == [True]

    # Taking the user out of the group takes the module away at once.
    owner_client.post(f"/admin/groups/{sales}", data={"name": "Sales", "members": []})
    assert member_client.get("/memo/").status_code == 403


def test_module_admin_granted_on_the_page(app, clients):
    owner_client, user_client = clients
    with app.app_context():
        create_user(email="admin@example.com", name="Ada Admin", role="user", password=USER_PASSWORD)
    ada = _user_id(app, "admin@example.com")
    admin_client = _client(app, "admin@example.com")
    assert admin_client.post("/memo/count").status_code == 403
    response = owner_client.post("/admin/modules/memo/access", data={"admin_users": [str(ada)]})
    assert response.status_code == 302
    assert admin_client.post("/memo/count").status_code == 200
    assert user_client.post("/memo/count").status_code == 403


def test_essential_modules_cannot_be_restricted(app, owner_client):
    response = owner_client.post("/admin/modules/core/access", headers=EN, data={"restricted": "on"})
    assert response.status_code == 400
    assert "is essential: every user needs it." in response.get_data(as_text=True)
    assert _events(app, "module_access_changed") == []


def test_module_access_of_an_unknown_module_is_404(owner_client):
    assert owner_client.get("/admin/modules/nonsense/access").status_code == 404


def test_modules_page_links_to_access(owner_client):
    assert "/admin/modules/memo/access" in owner_client.get("/admin/modules").get_data(as_text=True)


# The permission matrix


def test_permission_matrix_grants_and_takes_back(app, clients):
    owner_client, user_client = clients
    with app.app_context():
        create_user(email="member@example.com", name="Mia Member", role="user", password=USER_PASSWORD)
    member_client = _client(app, "member@example.com")
    sales = _group(app, "Sales", members=["member@example.com"])
    page = owner_client.get("/admin/permissions", headers=EN).get_data(as_text=True)
    assert "Memos" in page and "Change memos" in page and "Sales" in page
    # memo.view is every user's by default: shown ticked and not changeable.
    assert 'value="memo.view|role:user" id="grant-1-memo-view"' in page
    cell = page.split('value="memo.view|role:user"')[1].split(">")[0]
    assert "checked" in cell and "disabled" in cell
    assert member_client.post("/memo/count").status_code == 403

    response = owner_client.post("/admin/permissions", data={"grant": [f"memo.edit|group:{sales}"]})
    assert response.status_code == 302
    assert member_client.post("/memo/count").status_code == 200
    assert user_client.post("/memo/count").status_code == 403
    page = owner_client.get("/admin/permissions").get_data(as_text=True)
    assert "checked" in page.split(f'value="memo.edit|group:{sales}"')[1].split(">")[0]
    (entry,) = _events(app, "permission_changed")
    assert entry.details["added"] == ["memo.edit: Sales"] and entry.details["removed"] == []

    assert owner_client.post("/admin/permissions", data={}).status_code == 302
    assert member_client.post("/memo/count").status_code == 403
    with app.app_context():
        assert db.session.execute(select(PermissionGrant)).first() is None
    assert _events(app, "permission_changed")[-1].details["removed"] == ["memo.edit: Sales"]


def test_permission_matrix_grants_to_a_role(app, clients):
    owner_client, user_client = clients
    assert user_client.post("/memo/count").status_code == 403
    owner_client.post("/admin/permissions", data={"grant": ["memo.edit|role:user", "memo.view|role:user",
                                                            "nonsense|role:user"]})
    assert user_client.post("/memo/count").status_code == 200
    with app.app_context():
        rows = db.session.execute(select(PermissionGrant.permission, PermissionGrant.role)).all()
    assert rows == [("memo.edit", "user")]  # defaults and unknown permissions are not stored


# The audit log


def test_audit_log_shows_entries_newest_first_and_filters(app, clients):
    owner_client, user_client = clients
    uwe = _user_id(app, "user@example.com")
    owner_client.post(f"/admin/users/{uwe}", data={"name": "Uwe Renamed", "role": "user", "active": "on"})
    page = owner_client.get("/admin/audit", headers=EN).get_data(as_text=True)
    table = page.split('id="audit-log"')[1]
    assert "User changed" in table and "Signed in" in table and "Olga Owner" in table and "user@example.com" in table
    assert table.index("User changed") < table.index("Signed in")
    filtered = owner_client.get("/admin/audit?event=user_changed", headers=EN).get_data(as_text=True)
    table = filtered.split('id="audit-log"')[1]
    assert "User changed" in table and "Signed in" not in table


def test_audit_log_pages_keep_the_filter(app, owner_client):
    with app.app_context():
        db.session.add_all([AuditEntry(event="login_failed", subject=f"who{i:02d}@example.com") for i in range(30)])
        db.session.commit()
    first = owner_client.get("/admin/audit?event=login_failed").get_data(as_text=True)
    assert first.count("@example.com</td>") == 25
    link = first.split('href="/admin/audit?')[1].split('"')[0].replace("&amp;", "&")
    assert "event=login_failed" in link
    second = owner_client.get("/admin/audit?" + link).get_data(as_text=True)
    assert second.count("@example.com</td>") == 5


# Nobody else


@pytest.mark.parametrize("method, url", [
    ("GET", "/admin/users"), ("GET", "/admin/users/new"), ("POST", "/admin/users/new"),
    ("GET", "/admin/users/1"), ("POST", "/admin/users/1"),
    ("GET", "/admin/groups"), ("GET", "/admin/groups/new"), ("POST", "/admin/groups/new"),
    ("GET", "/admin/groups/1"), ("POST", "/admin/groups/1"), ("POST", "/admin/groups/1/delete"),
    ("GET", "/admin/modules/memo/access"), ("POST", "/admin/modules/memo/access"),
    ("GET", "/admin/permissions"), ("POST", "/admin/permissions"), ("GET", "/admin/audit"),
])
def test_plain_users_are_refused_every_page(user_client, method, url):
    assert user_client.open(url, method=method, data={"name": "x", "role": "owner"}).status_code == 403


def test_every_input_on_the_people_pages_has_a_label(app, clients):
    from tests.core.test_pages import _Inputs

    owner_client, _user_client = clients
    sales = _group(app, "Sales", members=["user@example.com"])
    uwe = _user_id(app, "user@example.com")
    for url in ("/admin/users", "/admin/users/new", f"/admin/users/{uwe}", "/admin/groups", "/admin/groups/new",
                f"/admin/groups/{sales}", "/admin/modules/memo/access", "/admin/permissions", "/admin/audit"):
        response = owner_client.get(url)
        assert response.status_code == 200, url
        parser = _Inputs()
        parser.feed(response.get_data(as_text=True))
        for attrs in parser.inputs:
            assert attrs.get("id") in parser.labels or attrs.get("aria-label"), (url, attrs)


def test_an_owner_may_step_down_while_another_owner_remains(app, owner_client):
    with app.app_context():
        create_user(email="other@example.com", name="Otto Owner", role="owner", password=OWNER_PASSWORD)
    olga = _user_id(app, "owner@example.com")
    response = owner_client.post(f"/admin/users/{olga}", data={"name": "Olga", "role": "user", "active": "on"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert owner_client.get("/admin/users").status_code == 403
