"""DeviceCommand: moved from the former `sync` app, tables renamed (`sync_<model>` →
`commands_<model>`) with their rows when an earlier Relais made them, created otherwise; see
core/migrations/_moved_tables.py."""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models

from core.migrations._moved_tables import adopt


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('devices', '0004_dashboard_indexes'),
        ('licensing', '0004_manifest_serial_offline_validity'),
        ('releases', '0004_rollouts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DeviceCommand',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('type', models.CharField(max_length=50)),
                        ('data', models.JSONField(blank=True, default=dict)),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('delivered', 'Delivered'), ('succeeded', 'Succeeded'), ('failed', 'Failed'), ('expired', 'Expired'), ('cancelled', 'Cancelled')], default='queued', max_length=16)),
                        ('result', models.JSONField(blank=True, null=True)),
                        ('error', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('expires_at', models.DateTimeField()),
                        ('delivered_at', models.DateTimeField(blank=True, null=True)),
                        ('completed_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('device', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='commands', to='devices.device')),
                        ('release', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='releases.release')),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='licensing.tenant')),
                    ],
                    options={
                        'ordering': ['-created_at'],
                        'indexes': [models.Index(fields=['device', 'status', 'created_at'], name='commands_de_device__f47561_idx'), models.Index(fields=['status', 'expires_at'], name='commands_de_status_3a6c96_idx')],
                    },
                ),
            ],
        ),
        adopt('commands', {'DeviceCommand': {('device', 'status', 'created_at'): 'sync_device_device__6cfdac_idx', ('status', 'expires_at'): 'sync_device_status_0e8e3f_idx'}}),
    ]
