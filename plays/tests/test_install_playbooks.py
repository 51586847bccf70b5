"""A new installation gets the default playbooks with one command; edited playbooks are kept."""

from io import StringIO

from django.core.management import call_command

from keyaccounts.tests import factories as f
from plays.models import Playbook, Trigger
from plays.triggers import DEFAULT_PLAYBOOKS


def run() -> str:
    out = StringIO()
    call_command("install_playbooks", stdout=out)
    return out.getvalue()


def test_every_warning_sign_gets_its_playbook_once_and_an_edited_one_is_kept(db):
    edited = f.PlaybookFactory(trigger=Trigger.NEW_RED, name="Our own rescue plan", name_zh="我们自己的挽救计划")
    f.PlaybookStepFactory(playbook=edited, title="Call the owner of the plant")

    assert f"Installed {len(DEFAULT_PLAYBOOKS) - 1} default playbooks" in run()
    assert set(Playbook.objects.values_list("trigger", flat=True)) == set(DEFAULT_PLAYBOOKS)
    edited.refresh_from_db()
    assert edited.name == "Our own rescue plan" and list(edited.steps.values_list("title", flat=True)) == [
        "Call the owner of the plant"
    ]
    handover = Playbook.objects.get(trigger=Trigger.HANDOVER)
    assert handover.name_zh and handover.steps.count() == len(DEFAULT_PLAYBOOKS[Trigger.HANDOVER][4])
    assert all(step.title_zh for step in handover.steps.all())

    assert "Installed 0 default playbooks" in run()
    assert Playbook.objects.count() == len(DEFAULT_PLAYBOOKS)
