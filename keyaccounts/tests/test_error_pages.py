"""The error pages: 403, 404, 500 and the CSRF refusal, with the navigation, in both languages;
htmx requests get a one-line fragment; no page shows a stack trace."""

import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.urls import path, reverse

from keyaccounts import urls as root_urls

pytestmark = pytest.mark.django_db

# The Chinese the navigation already has, and what only a stack trace would show.
NAV = {"en": ("My customers", "Sign out"), "zh-hans": ("我的客户", "退出登录")}
TRACE_MARKERS = ("Traceback", 'File "', "RuntimeError", "secret detail", "Exception Value")


class Boom(RuntimeError):
    pass


def _explode(request):
    raise Boom("secret detail of the failure")


def _database_gone(request):
    raise OperationalError("connection to server at 10.0.0.9 failed: secret detail")


class DatabaseGoneAfterTheView:
    """A middleware whose database write fails after the view (as saving a session would)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        self.get_response(request)
        raise InterfaceError("connection already closed: secret detail")


urlpatterns = [
    path("boom/", _explode, name="boom"),
    path("database-gone/", _database_gone),
    *root_urls.urlpatterns,
]
handler403 = root_urls.handler403
handler404 = root_urls.handler404
handler500 = root_urls.handler500


def _no_trace(html: str) -> None:
    assert not [marker for marker in TRACE_MARKERS if marker in html]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_403_is_the_page_with_the_navigation_in_the_active_language(client, alice, language):
    client.force_login(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("portfolio_dashboard"))
    html = response.content.decode()
    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]
    assert f'<html lang="{language}">' in html and 'data-status="403"' in html
    assert all(label in html for label in NAV[language])
    assert reverse("home") in html
    _no_trace(html)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_404_is_the_page_with_the_navigation_in_the_active_language(client, alice, language):
    client.force_login(alice)
    response = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 404
    assert f'<html lang="{language}">' in html and 'data-status="404"' in html
    assert all(label in html for label in NAV[language])
    _no_trace(html)


def test_the_pages_say_what_happened_and_what_to_do(client, alice):
    client.force_login(alice)
    forbidden = client.get(reverse("portfolio_dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Access denied" in forbidden and "ask your administrator" in forbidden
    assert "Go back" in forbidden and "Go to My customers" in forbidden
    missing = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Page not found" in missing and "Go to My customers" in missing


def test_a_signed_out_visitor_gets_the_404_page_without_the_menu(client):
    html = client.get("/no/such/page/").content.decode()
    assert 'data-status="404"' in html and "Sign out" not in html


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_500_renders_the_full_page_and_no_trace(alice, settings, language):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    response = client.get("/boom/", HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 500
    assert f'<html lang="{language}">' in html and 'data-status="500"' in html
    assert all(label in html for label in NAV[language])
    _no_trace(html)


def test_500_falls_back_to_the_self_contained_page_when_the_context_fails(alice, settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "context_processors": [
                    *settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
                    "keyaccounts.tests.test_error_pages.broken_context_processor",
                ],
            },
        }
    ]
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    response = client.get("/boom/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 500
    assert 'data-status="500"' in html and "Something went wrong on our side" in html
    assert "Sign out" not in html  # the minimal page: no navigation, no user
    _no_trace(html)


def broken_context_processor(request):
    raise Boom("secret detail of the context")


@pytest.mark.parametrize(
    ("url", "status"),
    [(reverse("portfolio_dashboard"), 403), ("/no/such/page/", 404), ("/boom/", 500)],
)
def test_htmx_requests_get_a_short_fragment(alice, settings, url, status):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    response = client.get(url, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == status
    assert "<html" not in html and "<nav" not in html
    assert html.startswith('<div class="alert') and f"({status})" in html
    _no_trace(html)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_csrf_failure_is_the_403_page_in_the_same_style(alice, language):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("logout"), HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 403
    assert "403_csrf.html" in [t.name for t in response.templates]
    assert f'<html lang="{language}">' in html and all(label in html for label in NAV[language])
    assert "cookie not set" not in html  # the reason is logged, not shown


def test_a_csrf_failure_explains_what_to_do(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    html = client.post(reverse("logout"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The form expired" in html and "reload the page and send it again" in html


def test_an_htmx_csrf_failure_is_a_fragment(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("logout"), HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403 and response.content.decode().startswith('<div class="alert')


@pytest.mark.parametrize("debug", [False, True])
def test_a_database_failure_in_a_view_is_the_503_page(alice, settings, debug):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = debug
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    response = client.get("/database-gone/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "Temporarily unavailable" in html and "Sign out" not in html
    _no_trace(html)
    assert "10.0.0.9" not in html


def test_a_database_failure_outside_the_view_is_the_503_page_too(alice, settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.DatabaseGoneAfterTheView"]
    client = Client(raise_request_exception=False)
    response = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert '<html lang="zh-hans">' in html and 'data-status="503"' in html
    _no_trace(html)
