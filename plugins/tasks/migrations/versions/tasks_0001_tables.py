"""tasks tables

Revision ID: tasks_0001
Revises: 
Create Date: 2026-11-23 14:03:10.346025
"""
from alembic import op
import sqlalchemy as sa
from core.db import UTCDateTime


revision = 'tasks_0001'
down_revision = None
branch_labels = ('tasks',)
depends_on = None


def upgrade():
    op.create_table('tasks_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('colour', sa.String(length=20), nullable=False),
    sa.Column('icon', sa.String(length=50), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks_category')),
    sa.UniqueConstraint('name', name=op.f('uq_tasks_category_name'))
    )
    op.create_table('tasks_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('record_type', sa.String(length=100), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('due_at', UTCDateTime(), nullable=False),
    sa.Column('alert', sa.String(length=10), nullable=False),
    sa.Column('responsible_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('closed_at', UTCDateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['tasks_category.id'], name=op.f('fk_tasks_task_category_id_tasks_category'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_tasks_task_created_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['responsible_id'], ['core_user.id'], name=op.f('fk_tasks_task_responsible_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks_task'))
    )
    with op.batch_alter_table('tasks_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tasks_task_category_id'), ['category_id'], unique=False)
        batch_op.create_index('ix_tasks_task_record', ['record_type', 'record_id'], unique=False)
        batch_op.create_index('ix_tasks_task_responsible', ['responsible_id', 'status', 'due_at'], unique=False)



def downgrade():
    with op.batch_alter_table('tasks_task', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_task_responsible')
        batch_op.drop_index('ix_tasks_task_record')
        batch_op.drop_index(batch_op.f('ix_tasks_task_category_id'))

    op.drop_table('tasks_task')
    op.drop_table('tasks_category')
