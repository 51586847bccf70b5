from django.db import migrations

from keyaccounts.trigram import trigram_indexes, upper


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("accounts", "0012_text_lengths")]

    operations = [
        trigram_indexes(
            "accounts_customer",
            {"customer_name_trgm": upper("name"), "customer_code_trgm": upper("code")},
        )
    ]
