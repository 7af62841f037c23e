"""search index on task titles

Revision ID: tasks_0002
Revises: tasks_0001
"""
from alembic import op

from core.records import search

revision = 'tasks_0002'
down_revision = 'tasks_0001'
branch_labels = None
depends_on = None


def upgrade():
    search.create_index(op.get_bind(), "tasks_task", ["title"])


def downgrade():
    search.drop_index(op.get_bind(), "tasks_task")
