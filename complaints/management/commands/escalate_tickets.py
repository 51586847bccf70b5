"""Escalate the running tickets now, as the five-minute beat task does (for the embedded default,
where no scheduler runs, and for operators)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from complaints.escalation import tickets_escalate


class Command(BaseCommand):
    help = _(
        "Escalate every running ticket that reached a new step of the escalation ladder and notify "
        "the step's people; what the beat task 'escalate-tickets' does every five minutes. Safe to run again."
    )

    def handle(self, *args, **options):
        result = tickets_escalate()
        counts = {"steps": result.steps, "tickets": result.tickets, "notifications": result.notifications}
        self.stdout.write(
            ngettext("%(steps)d escalation step", "%(steps)d escalation steps", result.steps) % counts
            + ngettext(" on %(tickets)d ticket", " on %(tickets)d tickets", result.tickets) % counts
            + ngettext(", %(notifications)d notification.", ", %(notifications)d notifications.", result.notifications)
            % counts
        )
