from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_ratelimitcounter'),
    ]

    operations = [
        migrations.CreateModel(
            name='FailureCounter',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=200, unique=True)),
                ('failures', models.PositiveIntegerField(default=0)),
                ('window_start', models.DateTimeField()),
                ('locked_until', models.DateTimeField(blank=True, null=True)),
                ('expires_at', models.DateTimeField()),
            ],
            options={
                'verbose_name': 'failure counter',
                'indexes': [models.Index(fields=['expires_at'], name='failurecounter_expires')],
            },
        ),
    ]
