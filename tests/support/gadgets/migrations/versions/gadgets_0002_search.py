"""search index on gadget names

Revision ID: gadgets_0002
Revises: gadgets_0001
"""
from alembic import op

from core.records import search

revision = 'gadgets_0002'
down_revision = 'gadgets_0001'
branch_labels = None
depends_on = None


def upgrade():
    search.create_index(op.get_bind(), "gadgets_gadget", ["name"])


def downgrade():
    search.drop_index(op.get_bind(), "gadgets_gadget")
