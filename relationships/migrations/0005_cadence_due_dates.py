from django.db import migrations, models
from django.db.models import DateField, F, Func, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone


class AddDays(Func):
    """relationships.cadence_due.AddDays as it was when this migration was written."""

    arity = 2
    output_field = DateField()

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="LEAST((%(expressions)s), DATE '9999-12-31')", arg_joiner=" + ", **extra
        )

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="date(%(expressions)s || ' days')", arg_joiner=", '+' || ", **extra
        )


def backfill(apps, schema_editor):
    """Every cadence's stored dates in one set-based UPDATE (relationships.cadence_due)."""
    cadence_model = apps.get_model("relationships", "Cadence")
    interaction_model = apps.get_model("relationships", "Interaction")
    today = timezone.localdate()
    matching = interaction_model.objects.filter(customer_id=OuterRef("customer_id"), kind=OuterRef("interaction_kind"))
    last = Subquery(
        matching.filter(occurred_on__lte=today).order_by("-occurred_on").values("occurred_on")[:1],
        output_field=DateField(),
    )
    following = Subquery(
        matching.filter(occurred_on__gt=today).order_by("occurred_on").values("occurred_on")[:1],
        output_field=DateField(),
    )
    due = AddDays(
        Greatest(Coalesce(last, F("starts_on")), F("starts_on"), output_field=DateField()), F("interval_days")
    )
    cadence_model.objects.update(last_met_on=last, next_met_on=following, due_on=due)


class Migration(migrations.Migration):
    dependencies = [("relationships", "0004_search_trigram_indexes")]

    operations = [
        migrations.AddField(
            model_name="cadence",
            name="due_on",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="due on"),
        ),
        migrations.AddField(
            model_name="cadence",
            name="last_met_on",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="last met on"),
        ),
        migrations.AddField(
            model_name="cadence",
            name="next_met_on",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="next meeting on"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
    ]
