"""core tables

Revision ID: core_0001
Revises: 
Create Date: 2026-11-23 09:27:30.517048
"""
from alembic import op
import sqlalchemy as sa
from core.db import UTCDateTime


revision = 'core_0001'
down_revision = None
branch_labels = ('core',)
depends_on = None


def upgrade():
    op.create_table('core_outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=320), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('subject', sa.String(length=998), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('sent_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_outbox_message'))
    )
    with op.batch_alter_table('core_outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_outbox_message_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_outbox_message_state'), ['state'], unique=False)

    op.create_table('core_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('counter', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_revision'))
    )
    op.bulk_insert(sa.table('core_revision', sa.column('id', sa.Integer), sa.column('counter', sa.Integer)),
                   [{'id': 1, 'counter': 0}])
    op.create_table('core_setting',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('changed_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_core_setting'))
    )
    op.create_table('core_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('last_login_at', UTCDateTime(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_user')),
    sa.UniqueConstraint('email', name=op.f('uq_core_user_email'))
    )
    op.create_table('core_job_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('started_at', UTCDateTime(), nullable=True),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_job_run_user_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_job_run'))
    )
    with op.batch_alter_table('core_job_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_job_run_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_job_run_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_job_run_user_id'), ['user_id'], unique=False)

    op.create_table('core_module_state',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('changed_at', UTCDateTime(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['core_user.id'], name=op.f('fk_core_module_state_changed_by_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_core_module_state'))
    )
    op.create_table('core_outbox_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['core_outbox_message.id'], name=op.f('fk_core_outbox_attachment_message_id_core_outbox_message'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_outbox_attachment'))
    )
    with op.batch_alter_table('core_outbox_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_outbox_attachment_message_id'), ['message_id'], unique=False)



def downgrade():
    with op.batch_alter_table('core_outbox_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_outbox_attachment_message_id'))

    op.drop_table('core_outbox_attachment')
    op.drop_table('core_module_state')
    with op.batch_alter_table('core_job_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_job_run_user_id'))
        batch_op.drop_index(batch_op.f('ix_core_job_run_name'))
        batch_op.drop_index(batch_op.f('ix_core_job_run_created_at'))

    op.drop_table('core_job_run')
    op.drop_table('core_user')
    op.drop_table('core_setting')
    op.drop_table('core_revision')
    with op.batch_alter_table('core_outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_outbox_message_state'))
        batch_op.drop_index(batch_op.f('ix_core_outbox_message_created_at'))

    op.drop_table('core_outbox_message')
