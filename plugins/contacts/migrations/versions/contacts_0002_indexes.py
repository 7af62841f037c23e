"""search index on contact names and emails; index on custom field values

Revision ID: contacts_0002
Revises: contacts_0001
"""
from alembic import op

from core.records import fields, search

revision = 'contacts_0002'
down_revision = 'contacts_0001'
branch_labels = None
depends_on = None


def upgrade():
    search.create_index(op.get_bind(), "contacts_contact", ["name", "email"])
    fields.create_index(op.get_bind(), "contacts_contact")


def downgrade():
    fields.drop_index(op.get_bind(), "contacts_contact")
    search.drop_index(op.get_bind(), "contacts_contact")
