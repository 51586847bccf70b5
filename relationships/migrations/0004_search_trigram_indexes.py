from django.db import migrations

from keyaccounts.trigram import COMPACT_PHONE, trigram_indexes, upper


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("relationships", "0003_text_lengths")]

    operations = [
        trigram_indexes(
            "relationships_contact",
            {
                "contact_name_trgm": upper("name"),
                "contact_email_trgm": upper("email"),
                "contact_title_trgm": upper("title"),
                "contact_phone_trgm": upper("phone"),
                "contact_phone_compact_trgm": COMPACT_PHONE,
            },
        )
    ]
