"""contacts tables

Revision ID: contacts_0001
Revises: 
Create Date: 2026-11-23 13:50:36.764613
"""
from alembic import op
import sqlalchemy as sa
from core.db import UTCDateTime
from sqlalchemy.dialects import postgresql

revision = 'contacts_0001'
down_revision = None
branch_labels = ('contacts',)
depends_on = None


def upgrade():
    op.create_table('contacts_temperature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('color', sa.String(length=7), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts_temperature')),
    sa.UniqueConstraint('name', name=op.f('uq_contacts_temperature_name'))
    )
    op.create_table('contacts_type',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts_type')),
    sa.UniqueConstraint('name', name=op.f('uq_contacts_type_name'))
    )
    op.create_table('contacts_webform',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('consent_text', sa.Text(), nullable=False),
    sa.Column('thank_you', sa.Text(), nullable=False),
    sa.Column('redirect_url', sa.String(length=2000), nullable=False),
    sa.Column('manager_ids', sa.JSON(), nullable=False),
    sa.Column('tags', sa.String(length=500), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts_webform')),
    sa.UniqueConstraint('key', name=op.f('uq_contacts_webform_key'))
    )
    op.create_table('contacts_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('type_id', sa.Integer(), nullable=True),
    sa.Column('temperature_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('emails', sa.JSON(), nullable=False),
    sa.Column('phones', sa.JSON(), nullable=False),
    sa.Column('websites', sa.JSON(), nullable=False),
    sa.Column('billing_street', sa.String(length=200), nullable=False),
    sa.Column('billing_postcode', sa.String(length=20), nullable=False),
    sa.Column('billing_city', sa.String(length=100), nullable=False),
    sa.Column('billing_country', sa.String(length=2), nullable=False),
    sa.Column('shipping_street', sa.String(length=200), nullable=False),
    sa.Column('shipping_postcode', sa.String(length=20), nullable=False),
    sa.Column('shipping_city', sa.String(length=100), nullable=False),
    sa.Column('shipping_country', sa.String(length=2), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('latitude', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('longitude', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('photo', sa.LargeBinary(), nullable=True),
    sa.Column('photo_type', sa.String(length=20), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('access_mode', sa.String(length=20), nullable=False),
    sa.Column('custom', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['contacts_contact.id'], name=op.f('fk_contacts_contact_company_id_contacts_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['temperature_id'], ['contacts_temperature.id'], name=op.f('fk_contacts_contact_temperature_id_contacts_temperature'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['type_id'], ['contacts_type.id'], name=op.f('fk_contacts_contact_type_id_contacts_type'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts_contact'))
    )
    with op.batch_alter_table('contacts_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_contact_access_mode'), ['access_mode'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_contact_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_contacts_contact_created_id', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_contact_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_contact_import_id'), ['import_id'], unique=False)
        batch_op.create_index('ix_contacts_contact_name_id', ['name', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_contact_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_contact_temperature_id'), ['temperature_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_contact_type_id'), ['type_id'], unique=False)

    op.create_table('contacts_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=False),
    sa.Column('delimiter', sa.String(length=1), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('duplicates', sa.String(length=10), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('company_count', sa.Integer(), nullable=False),
    sa.Column('updated_count', sa.Integer(), nullable=False),
    sa.Column('skipped_count', sa.Integer(), nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('kept_count', sa.Integer(), nullable=False),
    sa.Column('job_run_id', sa.Integer(), nullable=True),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_contacts_import_user_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts_import'))
    )
    op.create_table('contacts_import_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['contacts_import.id'], name=op.f('fk_contacts_import_change_import_id_contacts_import'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts_import_change'))
    )
    with op.batch_alter_table('contacts_import_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_import_change_import_id'), ['import_id'], unique=False)

    op.create_table('contacts_import_error',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.Column('column', sa.String(length=200), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['contacts_import.id'], name=op.f('fk_contacts_import_error_import_id_contacts_import'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts_import_error'))
    )
    with op.batch_alter_table('contacts_import_error', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_import_error_import_id'), ['import_id'], unique=False)



def downgrade():
    with op.batch_alter_table('contacts_import_error', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_import_error_import_id'))

    op.drop_table('contacts_import_error')
    with op.batch_alter_table('contacts_import_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_import_change_import_id'))

    op.drop_table('contacts_import_change')
    op.drop_table('contacts_import')
    with op.batch_alter_table('contacts_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_contact_type_id'))
        batch_op.drop_index(batch_op.f('ix_contacts_contact_temperature_id'))
        batch_op.drop_index(batch_op.f('ix_contacts_contact_phone'))
        batch_op.drop_index('ix_contacts_contact_name_id')
        batch_op.drop_index(batch_op.f('ix_contacts_contact_import_id'))
        batch_op.drop_index(batch_op.f('ix_contacts_contact_email'))
        batch_op.drop_index('ix_contacts_contact_created_id')
        batch_op.drop_index(batch_op.f('ix_contacts_contact_company_id'))
        batch_op.drop_index(batch_op.f('ix_contacts_contact_access_mode'))

    op.drop_table('contacts_contact')
    op.drop_table('contacts_webform')
    op.drop_table('contacts_type')
    op.drop_table('contacts_temperature')
