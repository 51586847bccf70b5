from django.urls import reverse

from accounts.models import RiskModelVersion
from accounts.risk.engine import active_model_version


def _add(client, **data):
    payload = {
        "version": 2,
        "weights": '{"purchase_trend": 50, "relationship": 50}',
        "parameters": "{}",
        "notes": "",
        **data,
    }
    return client.post(reverse("admin:accounts_riskmodelversion_add"), payload)


def test_a_version_whose_weights_sum_to_nothing_is_refused_with_a_message(client, superuser):
    client.force_login(superuser)
    response = _add(client, weights='{"purchase_trend": 0}')
    assert response.status_code == 200
    assert "more than zero" in response.text
    assert not RiskModelVersion.objects.filter(version=2).exists()


def test_saving_a_new_active_version_steps_the_old_one_down(client, superuser):
    old = active_model_version()
    client.force_login(superuser)
    response = _add(client, activate="on")
    assert response.status_code == 302
    old.refresh_from_db()
    assert not old.is_active
    assert active_model_version().version == 2
    assert RiskModelVersion.objects.get(version=2).created_by == superuser


def test_activate_action_switches_the_active_version(client, superuser):
    old = active_model_version()
    client.force_login(superuser)
    _add(client)
    new = RiskModelVersion.objects.get(version=2)
    response = client.post(
        reverse("admin:accounts_riskmodelversion_changelist"),
        {"action": "activate_version", "_selected_action": [new.pk]},
    )
    assert response.status_code == 302
    old.refresh_from_db()
    new.refresh_from_db()
    assert new.is_active and not old.is_active
    assert new.history.count() == 2


def test_add_form_proposes_the_next_version_number(client, superuser):
    active_model_version()
    client.force_login(superuser)
    response = client.get(reverse("admin:accounts_riskmodelversion_add"))
    assert response.context["adminform"].form.initial["version"] == 2
