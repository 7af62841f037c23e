"""identity and access

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-11-23 11:40:02.283297
"""
from alembic import op
import sqlalchemy as sa
from core.db import UTCDateTime


revision = 'core_0002'
down_revision = 'core_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('core_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_group')),
    sa.UniqueConstraint('name', name=op.f('uq_core_group_name'))
    )
    op.create_table('core_group_member',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['core_group.id'], name=op.f('fk_core_group_member_group_id_core_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_group_member_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'user_id', name=op.f('pk_core_group_member'))
    )
    with op.batch_alter_table('core_group_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_group_member_user_id'), ['user_id'], unique=False)

    op.create_table('core_module_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(user_id IS NULL) <> (group_id IS NULL)', name=op.f('ck_core_module_grant_one_grantee')),
    sa.ForeignKeyConstraint(['group_id'], ['core_group.id'], name=op.f('fk_core_module_grant_group_id_core_group'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_module_grant_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_module_grant'))
    )
    with op.batch_alter_table('core_module_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_module_grant_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_module_grant_module'), ['module'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_module_grant_user_id'), ['user_id'], unique=False)

    op.create_table('core_permission_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('permission', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(role IS NULL) <> (group_id IS NULL)', name=op.f('ck_core_permission_grant_one_grantee')),
    sa.ForeignKeyConstraint(['group_id'], ['core_group.id'], name=op.f('fk_core_permission_grant_group_id_core_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_permission_grant'))
    )
    with op.batch_alter_table('core_permission_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_permission_grant_group_id'), ['group_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_permission_grant_permission'), ['permission'], unique=False)

    op.create_table('core_portal_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('customer_type', sa.String(length=100), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('last_login_at', UTCDateTime(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invited_by_id'], ['core_user.id'], name=op.f('fk_core_portal_account_invited_by_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_portal_account')),
    sa.UniqueConstraint('email', name='uq_core_portal_account_email')
    )
    with op.batch_alter_table('core_portal_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_portal_account_customer_id'), ['customer_id'], unique=False)

    op.create_table('core_record_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity_type', sa.String(length=100), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_record_member_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_record_member'))
    )
    with op.batch_alter_table('core_record_member', schema=None) as batch_op:
        batch_op.create_index('ix_core_record_member_lookup', ['entity_type', 'user_id', 'record_id'], unique=True)
        batch_op.create_index('ix_core_record_member_record', ['entity_type', 'record_id'], unique=False)

    op.create_table('core_audit_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('event', sa.String(length=100), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('portal_account_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['portal_account_id'], ['core_portal_account.id'], name=op.f('fk_core_audit_entry_portal_account_id_core_portal_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_audit_entry_user_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_audit_entry'))
    )
    with op.batch_alter_table('core_audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_audit_entry_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_audit_entry_event'), ['event'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_audit_entry_portal_account_id'), ['portal_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_audit_entry_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('core_module_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('restricted', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recovery_codes', sa.JSON(), nullable=False, server_default='[]'))



def downgrade():
    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.drop_column('recovery_codes')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_secret')

    with op.batch_alter_table('core_module_state', schema=None) as batch_op:
        batch_op.drop_column('restricted')

    with op.batch_alter_table('core_audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_audit_entry_user_id'))
        batch_op.drop_index(batch_op.f('ix_core_audit_entry_portal_account_id'))
        batch_op.drop_index(batch_op.f('ix_core_audit_entry_event'))
        batch_op.drop_index(batch_op.f('ix_core_audit_entry_created_at'))

    op.drop_table('core_audit_entry')
    with op.batch_alter_table('core_record_member', schema=None) as batch_op:
        batch_op.drop_index('ix_core_record_member_record')
        batch_op.drop_index('ix_core_record_member_lookup')

    op.drop_table('core_record_member')
    with op.batch_alter_table('core_portal_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_portal_account_customer_id'))

    op.drop_table('core_portal_account')
    with op.batch_alter_table('core_permission_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_permission_grant_permission'))
        batch_op.drop_index(batch_op.f('ix_core_permission_grant_group_id'))

    op.drop_table('core_permission_grant')
    with op.batch_alter_table('core_module_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_module_grant_user_id'))
        batch_op.drop_index(batch_op.f('ix_core_module_grant_module'))
        batch_op.drop_index(batch_op.f('ix_core_module_grant_group_id'))

    op.drop_table('core_module_grant')
    with op.batch_alter_table('core_group_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_group_member_user_id'))

    op.drop_table('core_group_member')
    op.drop_table('core_group')
