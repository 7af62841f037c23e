"""search index on contact names and emails; index on custom field values; the list's
indexes for filtering by type or temperature in name or creation order

Revision ID: contacts_0002
Revises: contacts_0001
"""
from alembic import op

from core.records import fields, search

revision = 'contacts_0002'
down_revision = 'contacts_0001'
branch_labels = None
depends_on = None


# (name, columns): the single-column indexes on type_id and temperature_id of 0001 become
# the first column of these.
LIST_INDEXES = (
    ("ix_contacts_contact_type_name", ["type_id", "name", "id"]),
    ("ix_contacts_contact_type_created", ["type_id", "created_at", "id"]),
    ("ix_contacts_contact_temperature_name", ["temperature_id", "name", "id"]),
    ("ix_contacts_contact_temperature_created", ["temperature_id", "created_at", "id"]),
)


def upgrade():
    search.create_index(op.get_bind(), "contacts_contact", ["name", "email"])
    fields.create_index(op.get_bind(), "contacts_contact")
    op.drop_index("ix_contacts_contact_type_id", table_name="contacts_contact")
    op.drop_index("ix_contacts_contact_temperature_id", table_name="contacts_contact")
    for name, columns in LIST_INDEXES:
        op.create_index(name, "contacts_contact", columns)


def downgrade():
    for name, _columns in LIST_INDEXES:
        op.drop_index(name, table_name="contacts_contact")
    op.create_index("ix_contacts_contact_type_id", "contacts_contact", ["type_id"])
    op.create_index("ix_contacts_contact_temperature_id", "contacts_contact", ["temperature_id"])
    fields.drop_index(op.get_bind(), "contacts_contact")
    search.drop_index(op.get_bind(), "contacts_contact")
