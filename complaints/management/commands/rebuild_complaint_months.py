"""Rebuild the complaint analytics page's stored monthly figures from the tickets."""

from django.core.management.base import BaseCommand

from complaints.models import ComplaintMonth
from complaints.monthly import complaint_months_refresh


class Command(BaseCommand):
    help = (
        "Rebuild every stored monthly figure of the complaint analytics page from the tickets, in "
        "one transaction (the nightly job does the same); safe to run again."
    )

    def handle(self, *args, **options):
        rows = complaint_months_refresh()
        months = ComplaintMonth.objects.values("month").distinct().count()
        self.stdout.write(f"{rows} rows over {months} months")
