from django.urls import reverse

from keyaccounts.tests import factories as f


def test_login_with_correct_password_lands_on_home(client, db):
    f.account_manager("amy")
    response = client.post(reverse("login"), {"username": "amy", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_wrong_password_shows_an_error_and_stays_signed_out(client, db):
    f.account_manager("amy")
    response = client.post(reverse("login"), {"username": "amy", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_login_even_with_the_right_password(client, db, settings):
    f.account_manager("amy")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "amy", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "amy", "password": "correct-horse-battery"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_does_not_block_another_user(client, db, settings):
    f.account_manager("amy")
    f.account_manager("ben")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "amy", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "ben", "password": "correct-horse-battery"})
    assert response.status_code == 302


def test_logout_signs_out(client, db):
    user = f.account_manager("amy")
    client.force_login(user)
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


def test_password_change_requires_the_old_password(client, db):
    user = f.account_manager("amy")
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "Another-long-pass-42", "new_password2": "Another-long-pass-42"},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password("correct-horse-battery")


def test_language_switch_to_english_translates_the_page(client, db):
    user = f.account_manager("amy")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "My customers" in client.get(reverse("home")).text
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert "我的客户" in client.get(reverse("home")).text
