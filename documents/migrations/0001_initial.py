"""SyncDocument, SyncDocumentRevision: moved from the former `sync` app, tables renamed (`sync_<model>` →
`documents_<model>`) with their rows when an earlier Relais made them, created otherwise; see
core/migrations/_moved_tables.py."""

import django.core.validators
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
        ('licensing', '0004_manifest_serial_offline_validity'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='SyncDocument',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('name', models.CharField(max_length=64, validators=[django.core.validators.RegexValidator('^[a-z0-9][a-z0-9_-]{0,63}$', "Lowercase letters, digits, '-' and '_', at most 64, starting with a letter or digit.", code='invalid_document_name')])),
                        ('data', models.JSONField(blank=True, default=dict)),
                        ('preserve_fields', models.JSONField(blank=True, default=list)),
                        ('version', models.PositiveIntegerField(default=1)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('tenant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='licensing.tenant')),
                        ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='SyncDocumentRevision',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('version', models.PositiveIntegerField()),
                        ('data', models.JSONField(default=dict)),
                        ('patch', models.JSONField(default=list)),
                        ('changed', models.JSONField(default=list)),
                        ('actor_label', models.CharField(default='system', max_length=150)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('document', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='revisions', to='documents.syncdocument')),
                        ('restored_from', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='documents.syncdocumentrevision')),
                    ],
                    options={
                        'ordering': ['-created_at', '-version'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='syncdocument',
                    constraint=models.UniqueConstraint(fields=('tenant', 'name'), name='sync_document_name_per_tenant'),
                ),
                migrations.AddConstraint(
                    model_name='syncdocumentrevision',
                    constraint=models.UniqueConstraint(fields=('document', 'version'), name='sync_revision_version_per_document'),
                ),
            ],
        ),
        adopt('documents', {'SyncDocument': {}, 'SyncDocumentRevision': {}}),
    ]
