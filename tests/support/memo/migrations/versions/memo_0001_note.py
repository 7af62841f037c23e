"""memo note

Revision ID: memo_0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "memo_0001"
down_revision = None
branch_labels = ("memo",)
depends_on = None


def upgrade():
    op.create_table(
        "memo_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memo_note")),
    )


def downgrade():
    op.drop_table("memo_note")
