"""Record-level access in SQL: lists, counts and search return exactly what each persona
may see, at 10,000 records with mixed access modes; single records agree; listed users are
told."""
from __future__ import annotations

import re

from sqlalchemy import func, insert, select

from core import access, db
from core.models import OutboxMessage, RecordMember
from core.modules import set_access
from tests.conftest import create_user, sign_in
from tests.support import memo

PASSWORD = "persona-secret-1"
COUNT = 10_000


def build(app):
    """10,000 records, cycling through the four access modes; "listed" is on every third
    record's list; every seventh title contains "needle"."""
    with app.app_context():
        users = {name: create_user(email=f"{name}@example.com", name=name.title(), password=PASSWORD,
                                   role="owner" if name == "owner" else "user")
                 for name in ("owner", "listed", "other", "admin", "outsider")}
        ids = {name: user.id for name, user in users.items()}
        rows = [{"title": f"Record {i:05d}" + (" needle" if i % 7 == 0 else ""),
                 "access_mode": access.ACCESS_MODES[i % 4]} for i in range(COUNT)]
        db.session.execute(insert(memo.MemoRecord), rows)
        record_ids = db.session.execute(select(memo.MemoRecord.id).order_by(memo.MemoRecord.id)).scalars().all()
        db.session.execute(insert(RecordMember), [
            {"entity_type": "memo_record", "record_id": record_id, "user_id": ids["listed"]}
            for i, record_id in enumerate(record_ids) if i % 3 == 0])
        db.session.commit()
        set_access("memo", True, [ids["listed"], ids["other"]], [], [ids["admin"]], [], user=users["owner"])
    return ids, record_ids, rows


def visible(persona: str, rows) -> list[str]:
    """The oracle, in plain Python over the generated data."""
    if persona == "outsider":
        return []
    return [row["title"] for i, row in enumerate(rows)
            if persona in ("owner", "admin") or row["access_mode"] in (access.PUBLIC_READ, access.PUBLIC_WRITE)
            or (persona == "listed" and i % 3 == 0)]


def test_lists_counts_and_search_show_exactly_what_each_persona_may_see(make_app):
    app = make_app(PLUGINS=[memo])
    ids, record_ids, rows = build(app)
    for persona in ("owner", "listed", "other", "admin", "outsider"):
        client = sign_in(app.test_client(), f"{persona}@example.com", PASSWORD)
        expected = visible(persona, rows)
        page = client.get("/memo/records")
        if persona == "outsider":
            assert page.status_code == 403  # memo is restricted to the others
        else:
            html = page.get_data(as_text=True)
            assert re.search(r'<p id="count">(\d+)</p>', html).group(1) == str(len(expected)), persona
            assert re.findall(r"<li>(Record \d{5}(?: needle)?)</li>", html) == expected, persona
        # The same condition in a count query of the service, as exports and the API use it.
        with app.test_request_context():
            from flask_login import login_user

            from core.auth.models import User

            user = db.session.get(User, ids[persona])
            login_user(user)
            query = access.filter_query(select(memo.MemoRecord), user, "memo.view", "memo_record")
            assert db.session.execute(select(func.count()).select_from(query.subquery())).scalar() == len(expected)
            writable = access.filter_query(select(memo.MemoRecord.title), user, "memo.edit_record", "memo_record")
            expected_writable = [] if persona == "outsider" else [
                row["title"] for i, row in enumerate(rows)
                if persona in ("owner", "admin") or row["access_mode"] == access.PUBLIC_WRITE
                or (persona == "listed" and i % 3 == 0)]
            assert db.session.execute(writable.order_by(memo.MemoRecord.id)).scalars().all() == expected_writable
        # Global search: the first 20 hits are the first 20 visible needles.
        results = client.get("/search?q=needle").get_data(as_text=True)
        found = re.findall(r"Record \d{5} needle", results)
        assert found == [t for t in expected if "needle" in t][:20], persona


def test_single_records_agree_with_the_lists(make_app):
    app = make_app(PLUGINS=[memo])
    ids, record_ids, rows = build(app)
    other = sign_in(app.test_client(), "other@example.com", PASSWORD)
    listed = sign_in(app.test_client(), "listed@example.com", PASSWORD)
    private_unlisted = record_ids[1 * 4 + 0]  # i = 4: private, 4 % 3 != 0
    private_listed = record_ids[0]  # i = 0: private, on listed's list
    public_read = record_ids[1]
    assert other.get(f"/memo/records/{private_unlisted}").status_code == 404
    assert other.get(f"/memo/records/{public_read}").get_data(as_text=True) == rows[1]["title"]
    assert other.get(f"/memo/records/{public_read}/edit").status_code == 403
    assert listed.get(f"/memo/records/{private_listed}/edit").get_data(as_text=True) == "editing " + rows[0]["title"]
    assert listed.get(f"/memo/records/{private_unlisted}").status_code == 404


def test_users_added_to_a_record_list_are_notified_once(make_app):
    app = make_app(PLUGINS=[memo])
    with app.app_context():
        owner = create_user()
        colleague = create_user(email="colleague@example.com", name="Carla Colleague", role="user")
        record = memo.MemoRecord(title="Offer Müller GmbH", access_mode=access.RESTRICTED)
        db.session.add(record)
        db.session.flush()
        assert access.set_members("memo_record", record, [owner.id, colleague.id], actor=owner) == {owner.id,
                                                                                                    colleague.id}
        db.session.commit()
        access.set_members("memo_record", record, [owner.id, colleague.id], actor=owner)  # nobody new
        db.session.commit()
        messages = db.session.execute(select(OutboxMessage)).scalars().all()
        assert [m.recipients for m in messages] == [["colleague@example.com"]]  # not the one who added
        assert "Offer Müller GmbH" in messages[0].subject
        assert access.members("memo_record", record.id) == sorted([owner.id, colleague.id])
        access.set_members("memo_record", record, [owner.id], actor=owner)
        db.session.commit()
        assert access.members("memo_record", record.id) == [owner.id]


def test_the_access_condition_reads_the_member_table_through_an_index(make_app):
    app = make_app(PLUGINS=[memo])
    ids, _record_ids, _rows = build(app)
    with app.test_request_context():
        from core.auth.models import User

        user = db.session.get(User, ids["listed"])
        query = access.filter_query(select(memo.MemoRecord.id), user, "memo.view", "memo_record")
        sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
        with db.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # SQLite's "LIMIT -1" (before the OFFSET) stays a parameter even with literal_binds.
                compiled = query.compile(db.engine, compile_kwargs={"render_postcompile": True})
                parameters = tuple(compiled.params[name] for name in compiled.positiontup)
                plan = " ".join(str(row) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled),
                                                                               parameters))
            else:
                connection.exec_driver_sql("ANALYZE")
                connection.exec_driver_sql("SET enable_seqscan = off")  # the plan for a big table
                plan = " ".join(str(row) for row in connection.exec_driver_sql("EXPLAIN " + sql))
    # The member table is reached through one of its indexes, never scanned.
    assert "ix_core_record_member_" in plan, plan
    assert "SCAN core_record_member" not in plan and "Seq Scan on core_record_member" not in plan, plan
