"""The OpenAPI schema validates without a warning, the docs page loads nothing from outside, and
a schema-driven fuzz run (schemathesis) against the running API finds no server error."""

import re
import time

import pytest
import requests
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token

from keyaccounts.tests import factories as f

# Examples per operation and mode: the whole run stays well under a minute in CI.
FUZZ_EXAMPLES = 8


def test_the_schema_validates_without_warnings(tmp_path):
    # --fail-on-warn turns any warning (an unresolvable field, an enum clash) into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/customers/" in (tmp_path / "schema.yaml").read_text()


@pytest.mark.django_db
def test_the_docs_load_no_external_url():
    page = Client().get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert re.findall(r"""(?:src|href)=["'](?:https?:)?//""", html) == []
    assert "drf_spectacular_sidecar" in html  # the assets come from our static files
    assert not re.search(r"https?://(?!localhost|testserver)", html.replace("http://www.w3.org", ""))


@pytest.fixture
def fuzz_world(transactional_db):
    alice = f.account_manager("alice")
    oscar = f.account_manager("oscar")
    customer = f.CustomerFactory(code="FUZZ-1", owner=alice)
    f.CustomerFactory(code="FUZZ-2", owner=oscar)
    f.ContactFactory(customer=customer)
    f.InteractionFactory(customer=customer, external_id="I-1")
    f.TicketFactory(customer=customer, external_id="T-1")
    f.DeliveryLineFactory(order=f.OrderFactory(customer=customer))
    f.RiskSnapshotFactory(customer=customer)
    return Token.objects.create(user=alice)


def test_fuzzing_the_api_finds_no_server_error(live_server, fuzz_world):
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation import GenerationMode

    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    headers = {"Authorization": f"Token {fuzz_world.key}"}
    session = requests.Session()
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 16
    failures, calls = [], []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=FUZZ_EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                response = case.call(base_url=live_server.url, session=session, headers=headers)
                calls.append(response.status_code)
                try:
                    case.validate_response(response, checks=[not_a_server_error], headers=headers)
                except Exception as exc:  # noqa: BLE001 - collected, reported below
                    failures.append(f"{case.method} {case.formatted_path}: {response.status_code} {exc}")
                    raise

            try:
                run()
            except Exception:  # noqa: BLE001 - the failure is in `failures`
                pass
    assert failures == []
    assert len(calls) > 10 * len(operations)  # it did send requests, and most were answered in 4xx or 2xx
    assert any(code == 200 for code in calls) and any(code == 400 for code in calls)
    assert time.monotonic() - started < 120
