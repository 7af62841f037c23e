"""Record service: merging two records of one entity type (e.g. duplicate contacts).

``merge`` keeps ``survivor``, gives it the field values the user picked, moves everything
the record services hold of ``merged`` to it (notes, files, tags, links, reminders, listed
users, portal accounts, the timeline), lets every plugin move its own references through
the ``merge_records`` hook, writes a "merged" timeline entry and an audit entry, and
deletes ``merged``. All of it in the caller's transaction: the caller commits once, so a
failure leaves both records as they were.
"""
from __future__ import annotations

from sqlalchemy import and_, delete, select, update

from core import audit
from core.db import db


def _move_unique(model, record_column, entity_filter, key_column, from_id: int, to_id: int) -> None:
    """Move rows keyed by (record, key) without making a second row for a key the survivor
    already has (tag links, listed users): those are dropped instead."""
    taken = select(key_column).where(entity_filter, record_column == to_id)
    db.session.execute(delete(model).where(entity_filter, record_column == from_id, key_column.in_(taken)))
    db.session.execute(update(model).where(entity_filter, record_column == from_id).values({record_column: to_id}))


def merge(entity_type: str, survivor, merged, values: dict | None = None, user=None) -> None:
    """Merge ``merged`` into ``survivor`` (both records of ``entity_type``). ``values`` are
    the survivor's new field values (already validated by the caller)."""
    from core.auth.models import PortalAccount
    from core.models import RecordMember
    from core.records import delete_record, timeline, title
    from core.records.models import Note, RecordLink, Reminder, StoredFile, Tag, TagLink, TimelineEvent
    from core.runtime import kontor

    if survivor.id == merged.id or type(survivor) is not type(merged):
        raise ValueError("merge needs two different records of one type")
    _module, declared = kontor.entity_types()[entity_type]
    merged_title, from_id, to_id = title(declared, merged), merged.id, survivor.id
    for key, value in (values or {}).items():
        setattr(survivor, key, value)
    for model in (Note, StoredFile, Reminder, TimelineEvent):
        db.session.execute(update(model).where(model.entity_type == entity_type, model.record_id == from_id)
                           .values(record_id=to_id))
    tag_ids = select(Tag.id).where(Tag.entity_type == entity_type)
    _move_unique(TagLink, TagLink.record_id, TagLink.tag_id.in_(tag_ids), TagLink.tag_id, from_id, to_id)
    _move_unique(RecordMember, RecordMember.record_id, RecordMember.entity_type == entity_type,
                 RecordMember.user_id, from_id, to_id)
    db.session.execute(update(RecordLink).where(RecordLink.source_type == entity_type, RecordLink.source_id == from_id)
                       .values(source_id=to_id))
    db.session.execute(update(RecordLink).where(RecordLink.target_type == entity_type, RecordLink.target_id == from_id)
                       .values(target_id=to_id))
    # A link between the two records would now point from the survivor to itself.
    db.session.execute(delete(RecordLink).where(and_(
        RecordLink.source_type == entity_type, RecordLink.target_type == entity_type,
        RecordLink.source_id == to_id, RecordLink.target_id == to_id)))
    db.session.execute(update(PortalAccount).where(PortalAccount.customer_type == entity_type,
                                                   PortalAccount.customer_id == from_id)
                       .values(customer_id=to_id))
    kontor.hook("merge_records", entity_type=entity_type, survivor=survivor, merged=merged, user=user)
    timeline.record_event(entity_type, to_id, "merged", user=user,
                          summary=f"{merged_title} (#{from_id})")
    audit.record("records_merged", user=user, subject=f"{entity_type} {from_id} -> {to_id}",
                 entity_type=entity_type, survivor=to_id, merged=from_id, merged_title=merged_title)
    delete_record(entity_type, merged, user=user)
