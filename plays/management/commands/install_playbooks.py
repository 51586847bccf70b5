"""Install the default playbook of every warning sign that has none, for a new installation; the
playbooks admins already have, edited or not, are left as they are."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from plays.models import Playbook
from plays.triggers import install_default_playbooks


class Command(BaseCommand):
    help = _("Install the default playbook (steps in Chinese and English) of every warning sign that has none.")

    def handle(self, *args, **options):
        with transaction.atomic():
            created = install_default_playbooks()
        total = Playbook.objects.count()
        self.stdout.write(
            ngettext(
                "Installed %(created)d default playbook; %(total)d playbooks in all.",
                "Installed %(created)d default playbooks; %(total)d playbooks in all.",
                created,
            )
            % {"created": created, "total": total}
        )
