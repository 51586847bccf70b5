"""The production settings pass Django's deployment check without a single warning, and HTTPS
behind the front web server is trusted only when a proxy is configured.

Each check runs ``manage.py`` in a fresh process with the production environment (the regular
settings, DEBUG off, a long random SECRET_KEY, ALLOWED_HOSTS set), not under the test settings.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_", "DEBUG", "DATABASE_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="keyaccounts.settings",
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="0",
        ALLOWED_HOSTS="crm.example.com",
        TRUSTED_PROXY_COUNT="1",
    )
    env.update(extra)
    return env


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_production_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("proxies", ["0", "1"])
def test_the_deploy_check_is_silent_with_production_settings(proxies):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", TRUSTED_PROXY_COUNT=proxies)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output and "?:" not in output


def test_with_subdomains_and_preload_opted_in_nothing_is_silenced():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", SECURE_HSTS_INCLUDE_SUBDOMAINS="1", SECURE_HSTS_PRELOAD="1"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_plain_http_is_redirected_but_the_liveness_probe_is_not(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/login/")
    assert response.status_code == 301 and response["Location"] == "https://testserver/login/"
    assert client.get("/health/live/").status_code == 200
    assert client.get("/health/").status_code != 301  # monitoring reads its status over http too
    assert client.get("/login/", secure=True).status_code == 200


PRINT_SETTINGS = (
    "from django.conf import settings as s; "
    "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_SECURE)"
)


def test_forwarded_proto_is_trusted_only_behind_a_proxy():
    behind = _manage("shell", "-c", PRINT_SETTINGS, TRUSTED_PROXY_COUNT="1")
    proxy_header = ["('HTTP_X_FORWARDED_PROTO',", "'https')"]
    assert behind.stdout.splitlines()[-1].split() == ["True", "31536000", *proxy_header, "True"]
    direct = _manage("shell", "-c", PRINT_SETTINGS, TRUSTED_PROXY_COUNT="0")
    assert direct.stdout.splitlines()[-1].split() == ["True", "31536000", "None", "True"]


def test_the_test_settings_serve_plain_http(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
