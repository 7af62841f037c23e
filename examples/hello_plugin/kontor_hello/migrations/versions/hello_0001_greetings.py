"""greetings

Revision ID: hello_0001
Revises:
Create Date: 2026-11-23 09:32:26.665514
"""
from alembic import op
import sqlalchemy as sa
from core.db import UTCDateTime


revision = "hello_0001"
down_revision = None
branch_labels = ("hello",)
depends_on = None


def upgrade():
    op.create_table(
        "hello_greeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hello_greeting")),
    )


def downgrade():
    op.drop_table("hello_greeting")
