"""A real app (gunicorn, production settings) whose PostgreSQL cannot be reached: pages answer a
clean 503 page with Retry-After, /health/ answers 503 saying the database is down."""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLOSED = "postgres://postgres@127.0.0.1:1/x"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, headers: dict | None = None, data: bytes | None = None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture(scope="module")
def app_without_database():
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DEBUG", "DJANGO_SETTINGS_MODULE", "SQLITE_PATH"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="keyaccounts.settings",
        DATABASE_URL=CLOSED,
        SECRET_KEY="database-down-test-key",
        ALLOWED_HOSTS="127.0.0.1",
        DEBUG="0",
        # Plain http on loopback, as behind a front web server that ends TLS.
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        PYTHONPATH=str(ROOT),
    )
    command = [sys.executable, "-m", "gunicorn", "keyaccounts.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(base + "/health/")
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stdout.read().decode() if process.poll() is not None else ""
                    pytest.fail(f"gunicorn did not start: {output}")
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


# A signed-in visitor's browser: its session can only be read from the database.
SIGNED_IN = {"Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345"}


@pytest.mark.parametrize("url", ["/", "/login/", "/customers/1/", "/today/"])
def test_pages_answer_a_clean_503_with_retry_after(app_without_database, url):
    status, headers, html = _get(app_without_database + url, {**SIGNED_IN, "Accept-Language": "en"})
    assert status == 503
    assert headers["Retry-After"] == "30"
    assert "Temporarily unavailable" in html and "cannot reach its database" in html
    assert 'data-status="503"' in html
    assert "Traceback" not in html and "OperationalError" not in html and "127.0.0.1:1" not in html


def test_the_503_page_follows_the_language_cookie(app_without_database):
    headers = {"Cookie": SIGNED_IN["Cookie"] + "; django_language=zh-hans", "Accept-Language": "en"}
    status, _headers, html = _get(app_without_database + "/", headers)
    assert status == 503 and '<html lang="zh-hans">' in html


def test_an_htmx_request_gets_the_503_fragment(app_without_database):
    status, headers, html = _get(
        app_without_database + "/today/", {**SIGNED_IN, "HX-Request": "true", "Accept-Language": "en"}
    )
    assert status == 503 and headers["Retry-After"] == "30"
    assert html.startswith('<div class="alert') and "database is unavailable" in html


def test_health_says_the_database_is_down(app_without_database):
    status, headers, body = _get(app_without_database + "/health/")
    assert status == 503 and headers["Content-Type"] == "application/json"
    data = json.loads(body)
    assert data["status"] == "down"
    assert data["checks"]["database"] == {"status": "down"}
    assert data["checks"]["nightly"] == {"status": "unknown"}
    assert data["checks"]["broker"] == {"status": "in-process"}


def test_a_new_visitor_sees_the_sign_in_form_and_signing_in_is_the_503_page(app_without_database):
    # The form needs no database; checking the password does.
    request = urllib.request.Request(app_without_database + "/login/", headers={"Accept-Language": "en"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        cookie = re.search(r"csrftoken=([^;]+)", response.headers["Set-Cookie"]).group(1)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode()).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "alice", "password": "x"}).encode()
    status, headers, html = _get(
        app_without_database + "/login/",
        {"Cookie": f"csrftoken={cookie}", "Accept-Language": "en", "Content-Type": "application/x-www-form-urlencoded"},
        data=form,
    )
    assert status == 503 and headers["Retry-After"] == "30" and "Temporarily unavailable" in html
