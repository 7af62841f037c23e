"""index on the custom field values, for the list filters

Revision ID: gadgets_0003
Revises: gadgets_0002
"""
from alembic import op

from core.records import fields

revision = 'gadgets_0003'
down_revision = 'gadgets_0002'
branch_labels = None
depends_on = None


def upgrade():
    fields.create_index(op.get_bind(), "gadgets_gadget")


def downgrade():
    fields.drop_index(op.get_bind(), "gadgets_gadget")
