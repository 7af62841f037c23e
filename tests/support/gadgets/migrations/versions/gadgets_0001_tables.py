"""gadgets

Revision ID: gadgets_0001
Revises: 
Create Date: 2026-11-23 12:11:48.020332
"""
from alembic import op
import sqlalchemy as sa
from core.db import UTCDateTime
from sqlalchemy.dialects import postgresql

revision = 'gadgets_0001'
down_revision = None
branch_labels = ('gadgets',)
depends_on = None


def upgrade():
    op.create_table('gadgets_gadget',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('access_mode', sa.String(length=20), nullable=False),
    sa.Column('custom', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gadgets_gadget'))
    )
    with op.batch_alter_table('gadgets_gadget', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gadgets_gadget_access_mode'), ['access_mode'], unique=False)

    op.create_table('gadgets_sprocket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gadgets_sprocket'))
    )
    op.create_table('gadgets_widget',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gadgets_widget'))
    )


def downgrade():
    op.drop_table('gadgets_widget')
    op.drop_table('gadgets_sprocket')
    with op.batch_alter_table('gadgets_gadget', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gadgets_gadget_access_mode'))

    op.drop_table('gadgets_gadget')
