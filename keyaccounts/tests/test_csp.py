"""The Content-Security-Policy and Permissions-Policy headers, and templates that need neither
inline script nor inline style: behaviour lives in static/js, styles in static/css.

The browser check (no page reports a CSP violation) is in test_browser.py.
"""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from keyaccounts.tests import factories as f

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.fixture
def admin_client(client, db):
    root = get_user_model().objects.create_superuser("root", "root@example.com", "correct-horse-battery")
    client.force_login(root)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/today/",
        "/dashboard/",
        "/risk/quality/",
        "/profile/",
        "/password/",
        "/search/?q=a",
        "/admin/",
        "/admin/auth/user/",
        "/api/docs/",
        "/customer/",
    ],
)
def test_every_page_forbids_inline_script_and_eval(admin_client, url):
    if url == "/customer/":
        url = reverse("customer_detail", args=[f.CustomerFactory().pk])
    response = admin_client.get(url)
    assert response.status_code == 200, url
    policy = _policy(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"] and policy["connect-src"] == ["'self'"]
    # Inline style only on the API docs page (Swagger UI's own <style> block).
    expected_style = ["'self'", "'unsafe-inline'"] if url == "/api/docs/" else ["'self'"]
    assert policy["style-src"] == expected_style


def test_the_login_page_carries_the_policy_and_the_permissions_policy(client, db):
    response = client.get(reverse("login"))
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    permissions = response.headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in permissions


def test_the_api_docs_start_swagger_ui_from_a_script_file(admin_client):
    page = admin_client.get(reverse("api_docs")).content.decode()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    init = admin_client.get(reverse("api_docs") + "?script=")
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in init.content.decode()


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)
EVENT_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I)
# htmx attributes that run JavaScript: hx-on handlers, js:/javascript: values, [filter] triggers.
HTMX_EVAL = re.compile(r"""hx-on[:-]|=\s*["'](js|javascript):|hx-trigger\s*=\s*["'][^"']*\[""", re.I)


def _templates():
    return sorted(TEMPLATES.rglob("*.html"))


def test_templates_hold_no_inline_script():
    found = []
    for path in _templates():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for attrs in SCRIPT_TAG.findall(line):
                if "src=" not in attrs and 'type="application/json"' not in attrs:
                    found.append(f"{path.relative_to(TEMPLATES)}:{number}")
    assert found == []


def test_templates_hold_no_inline_event_handlers_or_htmx_eval():
    found = []
    for path in _templates():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if EVENT_HANDLER.search(line) or HTMX_EVAL.search(line):
                found.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()[:80]}")
    assert found == []


def test_templates_hold_no_inline_style():
    found = []
    for path in _templates():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"""\sstyle\s*=\s*["']""", line) or "<style" in line:
                found.append(f"{path.relative_to(TEMPLATES)}:{number}")
    assert found == []


def test_htmx_is_told_not_to_eval_nor_inject_its_indicator_style(client, db):
    page = client.get(reverse("login")).content.decode()
    assert '"allowEval":false' in page and '"includeIndicatorStyles":false' in page
