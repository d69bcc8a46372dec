"""accounts: phone sign-in, text messages and data requests

Email becomes optional (learners may sign up by phone); a verified phone is unique among accounts.
One-time codes are stored hashed; outbound SMS and raw delivery reports are recorded; consent
(version and time) and erasure are recorded on the account; data requests are logged.

Revision ID: 0111
Revises: 0108
"""
from alembic import op
import sqlalchemy as sa


revision = '0111'
down_revision = '0110'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbound_sms',
    sa.Column('to_phone', sa.String(length=20), nullable=False),
    sa.Column('template', sa.String(length=60), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('encoding', sa.String(length=8), nullable=False),
    sa.Column('parts', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('QUEUED', 'SENDING', 'ACCEPTED', 'DELIVERED', 'FAILED', 'UNKNOWN', name='smsstatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=True),
    sa.Column('provider_message_id', sa.String(length=80), nullable=True),
    sa.Column('provider_status_code', sa.Integer(), nullable=True),
    sa.Column('delivery_status', sa.String(length=40), nullable=True),
    sa.Column('failure_reason', sa.String(length=200), nullable=True),
    sa.Column('cost', sa.String(length=30), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dedupe_key', sa.String(length=120), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_sms')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbound_sms_dedupe_key')),
    sa.UniqueConstraint('provider_message_id', name=op.f('uq_outbound_sms_provider_message_id'))
    )
    with op.batch_alter_table('outbound_sms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbound_sms_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbound_sms_to_phone'), ['to_phone'], unique=False)

    op.create_table('sms_delivery_reports',
    sa.Column('provider_message_id', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('raw', sa.Text(), nullable=True),
    sa.Column('matched', sa.Boolean(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_delivery_reports'))
    )
    with op.batch_alter_table('sms_delivery_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_delivery_reports_provider_message_id'), ['provider_message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sms_delivery_reports_received_at'), ['received_at'], unique=False)

    op.create_table('data_requests',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('EXPORT', 'ERASURE', name='requestkind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'DONE', 'FAILED', name='requeststatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('keep_certificates', sa.Boolean(), nullable=True),
    sa.Column('archive_key', sa.String(length=300), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_data_requests_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_requests'))
    )
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_requests_user_id'), ['user_id'], unique=False)

    op.create_table('one_time_codes',
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_one_time_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_one_time_codes'))
    )
    with op.batch_alter_table('one_time_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_one_time_codes_phone'), ['phone'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_phone_verified', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('consent_version', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('consented_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('email',
               existing_type=sa.VARCHAR(length=254),
               nullable=True)
        batch_op.create_index('uq_users_verified_phone', ['phone'], unique=True, sqlite_where=sa.text('is_phone_verified = 1'), postgresql_where=sa.text('is_phone_verified'))



def downgrade():
    # Accounts without an email get a placeholder address so the column can be required again.
    op.execute("UPDATE users SET email = 'phone-' || CAST(id AS VARCHAR(40)) || '@invalid' WHERE email IS NULL")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index('uq_users_verified_phone', sqlite_where=sa.text('is_phone_verified = 1'), postgresql_where=sa.text('is_phone_verified'))
        batch_op.alter_column('email',
               existing_type=sa.VARCHAR(length=254),
               nullable=False)
        batch_op.drop_column('erased_at')
        batch_op.drop_column('consented_at')
        batch_op.drop_column('consent_version')
        batch_op.drop_column('is_phone_verified')

    with op.batch_alter_table('one_time_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_one_time_codes_phone'))

    op.drop_table('one_time_codes')
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_requests_user_id'))

    op.drop_table('data_requests')
    with op.batch_alter_table('sms_delivery_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_delivery_reports_received_at'))
        batch_op.drop_index(batch_op.f('ix_sms_delivery_reports_provider_message_id'))

    op.drop_table('sms_delivery_reports')
    with op.batch_alter_table('outbound_sms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbound_sms_to_phone'))
        batch_op.drop_index(batch_op.f('ix_outbound_sms_status'))

    op.drop_table('outbound_sms')
