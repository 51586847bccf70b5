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


# The lockout behind the front web server: REMOTE_ADDR is the proxy's; the client's address is the
# one the trusted proxy appended to X-Forwarded-For.
PROXY = "10.0.0.2"
CLIENT_A = "203.0.113.5"
CLIENT_B = "198.51.100.7"


def _login(client, password, *, forwarded_for=None, remote=PROXY):
    extra = {"REMOTE_ADDR": remote}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(reverse("login"), {"username": "amy", "password": password}, **extra)


def test_behind_the_proxy_failures_from_one_client_do_not_lock_out_another(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    f.account_manager("amy")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong", forwarded_for=CLIENT_A)
    assert _login(client, "correct-horse-battery", forwarded_for=CLIENT_A).status_code == 429
    assert _login(client, "correct-horse-battery", forwarded_for=CLIENT_B).status_code == 302


def test_behind_the_proxy_a_forged_forwarded_address_does_not_dodge_the_lockout(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    f.account_manager("amy")
    # The client sends its own X-Forwarded-For; the proxy appends the address it saw.
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong", forwarded_for=f"192.0.2.{n}, {CLIENT_A}")
    assert _login(client, "correct-horse-battery", forwarded_for=f"192.0.2.99, {CLIENT_A}").status_code == 429


def test_without_a_proxy_a_forwarded_address_is_not_trusted(client, db, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    f.account_manager("amy")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "wrong", forwarded_for=f"192.0.2.{n}", remote=CLIENT_A)
    assert _login(client, "correct-horse-battery", forwarded_for=CLIENT_B, remote=CLIENT_A).status_code == 429


def test_a_short_forwarded_chain_falls_back_to_the_connecting_address(db, settings, rf):
    from keyaccounts.middleware import client_ip

    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT_A)) == PROXY
    assert client_ip(rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{CLIENT_A}, 10.0.0.1")) == CLIENT_A
