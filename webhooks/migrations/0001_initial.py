"""WebhookEndpoint, WebhookDelivery: moved from the former `sync` app, tables renamed (`sync_<model>` →
`webhooks_<model>`) with their rows when an earlier Relais made them, created otherwise; see
core/migrations/_moved_tables.py."""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.db import migrations, models

from core.migrations._moved_tables import adopt


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('core', '0001_initial'),
        ('licensing', '0004_manifest_serial_offline_validity'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='WebhookEndpoint',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('url', models.URLField(max_length=2000)),
                        ('description', models.CharField(blank=True, max_length=200)),
                        ('event_types', models.JSONField(blank=True, default=list)),
                        ('is_active', models.BooleanField(default=True)),
                        ('secret', models.CharField(editable=False, max_length=100)),
                        ('previous_secret', models.CharField(blank=True, editable=False, max_length=100)),
                        ('previous_secret_until', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('failing_since', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('last_success_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('disabled_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('disabled_reason', models.CharField(blank=True, editable=False, max_length=200)),
                        ('sending_token', models.UUIDField(blank=True, editable=False, null=True)),
                        ('sending_until', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('tenant', models.ForeignKey(blank=True, help_text="Empty: platform-wide, every tenant's events.", null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='licensing.tenant')),
                    ],
                    options={
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='WebhookDelivery',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('succeeded', 'Succeeded'), ('failed', 'Failed (no retry left)')], default='pending', max_length=16)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('next_attempt_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('last_attempt_at', models.DateTimeField(blank=True, null=True)),
                        ('response_status', models.PositiveIntegerField(blank=True, null=True)),
                        ('response_body', models.TextField(blank=True)),
                        ('duration_ms', models.PositiveIntegerField(blank=True, null=True)),
                        ('error', models.CharField(blank=True, max_length=500)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('event', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='core.event')),
                        ('endpoint', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deliveries', to='webhooks.webhookendpoint')),
                    ],
                    options={
                        'verbose_name_plural': 'webhook deliveries',
                        'ordering': ['-created_at'],
                        'indexes': [models.Index(fields=['status', 'next_attempt_at'], name='webhooks_we_status_afd94b_idx'), models.Index(fields=['endpoint', 'status', 'created_at'], name='webhooks_we_endpoin_85bd03_idx')],
                    },
                ),
            ],
        ),
        adopt('webhooks', {'WebhookEndpoint': {}, 'WebhookDelivery': {('status', 'next_attempt_at'): 'sync_webhoo_status_2d8e1b_idx', ('endpoint', 'status', 'created_at'): 'sync_webhoo_endpoin_15d92d_idx'}}),
    ]
