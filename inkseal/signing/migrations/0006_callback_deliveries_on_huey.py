"""Callbacks move onto Huey: the job table becomes the record of deliveries (the back office's
view), with the ticket of the one queued attempt allowed to run. Pending rows keep their place:
the sweep of stranded deliveries queues them on the new queue."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("signing", "0005_sign_task_lifecycle"),
    ]

    operations = [
        migrations.RenameModel(old_name="CallbackJob", new_name="CallbackDelivery"),
        migrations.AlterModelOptions(
            name="callbackdelivery",
            options={"ordering": ["-created_at", "-pk"], "verbose_name": "回调投递", "verbose_name_plural": "回调投递"},
        ),
        migrations.AddField(
            model_name="callbackdelivery",
            name="ticket",
            field=models.CharField(blank=True, editable=False, max_length=32),
        ),
    ]
