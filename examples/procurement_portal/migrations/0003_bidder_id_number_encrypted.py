from django.conf import settings
from django.db import migrations, models

from inkseal.core import secretbox


def encrypt_id_numbers(apps, schema_editor):  # type: ignore[no-untyped-def]
    Bidder = apps.get_model("procurement_portal", "Bidder")
    for bidder in Bidder.objects.exclude(id_number=""):
        purpose = f"procurement-portal:bidder:{bidder.user_id}:id_number"
        bidder.id_number_enc = secretbox.seal(settings.FIELD_KEY, bidder.id_number, purpose)
        bidder.id_number = ""
        bidder.save(update_fields=["id_number_enc", "id_number"])


class Migration(migrations.Migration):
    dependencies = [("procurement_portal", "0002_bid")]

    operations = [
        migrations.AddField(
            model_name="bidder",
            name="id_number_enc",
            field=models.TextField(blank=True, editable=False, verbose_name="身份证号（加密）"),
        ),
        migrations.RunPython(encrypt_id_numbers, migrations.RunPython.noop),
        migrations.RemoveField(model_name="bidder", name="id_number"),
    ]
