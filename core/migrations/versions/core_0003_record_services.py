"""record services

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-11-23 12:11:47.937137
"""
from alembic import op
import sqlalchemy as sa
from core.db import UTCDateTime


revision = 'core_0003'
down_revision = 'core_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('core_field_definition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_type', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('default', sa.JSON(), nullable=True),
    sa.Column('help', sa.Text(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('section', sa.String(length=200), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_field_definition')),
    sa.UniqueConstraint('entity_type', 'key', name='uq_core_field_definition_key')
    )
    with op.batch_alter_table('core_field_definition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_field_definition_entity_type'), ['entity_type'], unique=False)

    op.create_table('core_history_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_history_category')),
    sa.UniqueConstraint('name', name=op.f('uq_core_history_category_name'))
    )
    op.create_table('core_tag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_type', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_tag')),
    sa.UniqueConstraint('entity_type', 'name', name='uq_core_tag_name')
    )
    op.create_table('core_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_type', sa.String(length=100), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('storage_name', sa.String(length=100), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['core_user.id'], name=op.f('fk_core_file_uploaded_by_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_file')),
    sa.UniqueConstraint('storage_name', name=op.f('uq_core_file_storage_name'))
    )
    with op.batch_alter_table('core_file', schema=None) as batch_op:
        batch_op.create_index('ix_core_file_record', ['entity_type', 'record_id'], unique=False)

    op.create_table('core_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_type', sa.String(length=100), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['core_user.id'], name=op.f('fk_core_note_author_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_note'))
    )
    with op.batch_alter_table('core_note', schema=None) as batch_op:
        batch_op.create_index('ix_core_note_record', ['entity_type', 'record_id'], unique=False)

    op.create_table('core_notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('read_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_notification_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_notification'))
    )
    with op.batch_alter_table('core_notification', schema=None) as batch_op:
        batch_op.create_index('ix_core_notification_user', ['user_id', 'read_at', 'created_at'], unique=False)

    op.create_table('core_record_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_type', sa.String(length=100), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('target_type', sa.String(length=100), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('conversion', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_core_record_link_created_by_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_record_link'))
    )
    with op.batch_alter_table('core_record_link', schema=None) as batch_op:
        batch_op.create_index('ix_core_record_link_source', ['source_type', 'source_id'], unique=False)
        batch_op.create_index('ix_core_record_link_target', ['target_type', 'target_id'], unique=False)

    op.create_table('core_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_type', sa.String(length=100), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('due_at', UTCDateTime(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('email', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('delivered_at', UTCDateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['core_user.id'], name=op.f('fk_core_reminder_created_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_reminder_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_reminder'))
    )
    with op.batch_alter_table('core_reminder', schema=None) as batch_op:
        batch_op.create_index('ix_core_reminder_due', ['state', 'due_at'], unique=False)
        batch_op.create_index('ix_core_reminder_record', ['entity_type', 'record_id'], unique=False)

    op.create_table('core_tag_link',
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tag_id'], ['core_tag.id'], name=op.f('fk_core_tag_link_tag_id_core_tag'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tag_id', 'record_id', name=op.f('pk_core_tag_link'))
    )
    with op.batch_alter_table('core_tag_link', schema=None) as batch_op:
        batch_op.create_index('ix_core_tag_link_record', ['record_id', 'tag_id'], unique=False)

    op.create_table('core_timeline_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_type', sa.String(length=100), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('occurred_at', UTCDateTime(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['core_history_category.id'], name=op.f('fk_core_timeline_event_category_id_core_history_category'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_timeline_event_user_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_timeline_event'))
    )
    with op.batch_alter_table('core_timeline_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_timeline_event_action'), ['action'], unique=False)
        batch_op.create_index('ix_core_timeline_event_record', ['entity_type', 'record_id', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_timeline_event_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('core_timeline_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_timeline_event_user_id'))
        batch_op.drop_index('ix_core_timeline_event_record')
        batch_op.drop_index(batch_op.f('ix_core_timeline_event_action'))

    op.drop_table('core_timeline_event')
    with op.batch_alter_table('core_tag_link', schema=None) as batch_op:
        batch_op.drop_index('ix_core_tag_link_record')

    op.drop_table('core_tag_link')
    with op.batch_alter_table('core_reminder', schema=None) as batch_op:
        batch_op.drop_index('ix_core_reminder_record')
        batch_op.drop_index('ix_core_reminder_due')

    op.drop_table('core_reminder')
    with op.batch_alter_table('core_record_link', schema=None) as batch_op:
        batch_op.drop_index('ix_core_record_link_target')
        batch_op.drop_index('ix_core_record_link_source')

    op.drop_table('core_record_link')
    with op.batch_alter_table('core_notification', schema=None) as batch_op:
        batch_op.drop_index('ix_core_notification_user')

    op.drop_table('core_notification')
    with op.batch_alter_table('core_note', schema=None) as batch_op:
        batch_op.drop_index('ix_core_note_record')

    op.drop_table('core_note')
    with op.batch_alter_table('core_file', schema=None) as batch_op:
        batch_op.drop_index('ix_core_file_record')

    op.drop_table('core_file')
    op.drop_table('core_tag')
    op.drop_table('core_history_category')
    with op.batch_alter_table('core_field_definition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_field_definition_entity_type'))

    op.drop_table('core_field_definition')
