"""Sessions: "log out everywhere" (by the user on the profile page, by an admin in the Django
admin), who may do it, its audit trail, and the idle timeout."""

import time

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from api.models import SessionEpoch
from keyaccounts.tests import factories as f

pytestmark = pytest.mark.django_db

HOME = reverse("home")
LOGIN = reverse("login")


def _signed_in(user, password="correct-horse-battery") -> Client:
    client = Client()
    assert client.post(LOGIN, {"username": user.username, "password": password}).status_code == 302
    return client


def _is_signed_in(client) -> bool:
    response = client.get(HOME)
    return response.status_code == 200


@pytest.fixture
def amy():
    return f.account_manager("amy")


@pytest.fixture
def root():
    return get_user_model().objects.create_superuser("root", "root@example.com", "correct-horse-battery")


def test_log_out_everywhere_ends_the_other_sessions_and_keeps_this_one(amy):
    laptop, phone = _signed_in(amy), _signed_in(amy)
    response = laptop.post(reverse("profile"), {"action": "end_sessions"}, follow=True)
    assert "All your other sessions are ended" in response.content.decode()

    # The other browser's next request sends it to the sign-in page, which says why.
    other = phone.get(HOME)
    assert other.status_code == 302 and other["Location"].startswith(LOGIN)
    assert "all your sessions were ended" in phone.get(other["Location"]).content.decode()
    assert "_auth_user_id" not in phone.session
    # This one stays signed in, and a new sign-in works as before.
    assert _is_signed_in(laptop)
    assert _is_signed_in(_signed_in(amy))


def test_the_api_session_authentication_is_ended_too(amy):
    laptop, phone = _signed_in(amy), _signed_in(amy)
    assert phone.get("/api/v1/customers/").status_code == 200
    laptop.post(reverse("profile"), {"action": "end_sessions"})
    assert phone.get("/api/v1/customers/").status_code == 401


def test_ending_the_sessions_is_audited(amy):
    laptop = _signed_in(amy)
    laptop.post(reverse("profile"), {"action": "end_sessions"})
    laptop.post(reverse("profile"), {"action": "end_sessions"})
    epoch = SessionEpoch.objects.get(user=amy)
    assert epoch.epoch == 2 and epoch.ended_at is not None
    history = list(epoch.history.order_by("history_date"))
    assert [h.epoch for h in history] == [1, 2]
    assert all(h.history_user_id == amy.pk and h.history_change_reason == "ended by the user" for h in history)


def test_an_admin_logs_another_user_out_everywhere_with_the_action(amy, root):
    amys = _signed_in(amy)
    admin = _signed_in(root)
    response = admin.post(
        reverse("admin:auth_user_changelist"),
        {"action": "end_sessions", "_selected_action": [amy.pk]},
        follow=True,
    )
    assert "All sessions of 1 user are ended." in response.content.decode()
    assert not _is_signed_in(amys)
    assert _is_signed_in(admin)  # the admin's own sessions are untouched
    entry = LogEntry.objects.get(object_id=str(amy.pk))
    assert entry.user_id == root.pk and "sessions ended" in entry.get_change_message()
    assert SessionEpoch.objects.get(user=amy).history.get().history_change_reason == "ended by root"


def test_an_admin_logs_a_user_out_everywhere_from_the_users_page(amy, root):
    amys = _signed_in(amy)
    admin = _signed_in(root)
    change_page = admin.get(reverse("admin:auth_user_change", args=[amy.pk])).content.decode()
    url = reverse("admin:auth_user_end_sessions", args=[amy.pk])
    assert f'action="{url}"' in change_page
    assert admin.get(url).status_code == 405  # a POST only
    response = admin.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("admin:auth_user_change", args=[amy.pk])
    assert not _is_signed_in(amys)


def test_a_non_admin_cannot_log_someone_else_out(amy):
    ben = f.account_manager("ben")
    ben.is_staff = True  # even in the admin, without the permission to change users
    ben.save()
    amys, bens = _signed_in(amy), _signed_in(ben)
    assert bens.post(reverse("admin:auth_user_end_sessions", args=[amy.pk])).status_code == 403
    changelist = bens.post(
        reverse("admin:auth_user_changelist"), {"action": "end_sessions", "_selected_action": [amy.pk]}
    )
    assert changelist.status_code == 403
    # The profile page only ever ends one's own sessions, whatever else is posted.
    bens.post(reverse("profile"), {"action": "end_sessions", "user": amy.pk})
    assert _is_signed_in(amys)
    assert not SessionEpoch.objects.filter(user=amy).exists()


def test_a_user_not_in_the_admin_is_sent_to_its_sign_in(amy):
    ben = f.account_manager("ben")
    amys, bens = _signed_in(amy), _signed_in(ben)
    response = bens.post(reverse("admin:auth_user_end_sessions", args=[amy.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    assert _is_signed_in(amys)


def test_sessions_from_before_the_generations_are_ended_too(amy):
    old = _signed_in(amy)
    session = old.session
    del session["_session_epoch"]  # signed in before this release
    session.save()
    assert _is_signed_in(old)
    _signed_in(amy).post(reverse("profile"), {"action": "end_sessions"})
    assert not _is_signed_in(old)


def test_the_session_lasts_the_idle_hours_from_its_last_use(amy, settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    client = _signed_in(amy)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    first = Session.objects.get(pk=key).expire_date

    # Used again within five minutes: no write.
    assert _is_signed_in(client)
    assert Session.objects.get(pk=key).expire_date == first

    # Used again later: the expiry moves on, and the cookie with it.
    session = client.session
    session["_renewed_at"] = int(time.time()) - settings.SESSION_REFRESH_SECONDS - 1
    session.save()
    saved = Session.objects.get(pk=key).expire_date
    time.sleep(1.1)
    response = client.get(HOME)
    assert Session.objects.get(pk=key).expire_date > saved
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE


def test_an_anonymous_visit_gets_no_session(client, settings):
    response = client.get(LOGIN)
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_the_generation_check_costs_no_query_of_its_own(amy):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _signed_in(amy)
    client.post(reverse("profile"), {"action": "end_sessions"})  # amy now has a generation row
    with CaptureQueriesContext(connection) as queries:
        assert _is_signed_in(client)
    reading = [q["sql"] for q in queries.captured_queries if "api_sessionepoch" in q["sql"]]
    # Read with the user, in the one query that loads the signed-in user.
    assert len(reading) == 1 and 'FROM "auth_user"' in reading[0]
