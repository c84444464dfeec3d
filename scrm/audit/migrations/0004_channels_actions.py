from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_import_action'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('auth.login', 'Sign-in'), ('auth.login_failed', 'Failed sign-in'), ('auth.logout', 'Sign-out'), ('pii.reveal', 'PII revealed'), ('pii.key_rotation', 'Key rotation'), ('data.export', 'Export'), ('data.import', 'Import'), ('staff.created', 'Staff created'), ('staff.role_changed', 'Role or scope changed'), ('staff.departed', 'Staff departed'), ('customer.transfer', 'Customer transfer'), ('approval.decided', 'Approval'), ('channel.code', 'Channel code changed'), ('identity.link', 'Contact linked to a customer'), ('identity.verify', 'Identity verification attempt')], db_index=True, max_length=32),
        ),
    ]
