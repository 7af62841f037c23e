"""customers and records

Revision ID: memo_0002
Revises: memo_0001
Create Date: 2026-11-23 11:43:43.831374
"""
from alembic import op
import sqlalchemy as sa
from core.db import UTCDateTime


revision = 'memo_0002'
down_revision = 'memo_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('memo_customer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memo_customer'))
    )
    op.create_table('memo_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('access_mode', sa.String(length=20), nullable=False),
    sa.Column('customer_type', sa.String(length=100), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memo_record'))
    )
    with op.batch_alter_table('memo_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memo_record_access_mode'), ['access_mode'], unique=False)
        batch_op.create_index(batch_op.f('ix_memo_record_customer_id'), ['customer_id'], unique=False)



def downgrade():
    with op.batch_alter_table('memo_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_memo_record_customer_id'))
        batch_op.drop_index(batch_op.f('ix_memo_record_access_mode'))

    op.drop_table('memo_record')
    op.drop_table('memo_customer')
