"""The one in-page editor (keyaccounts.editing): how every editor and fragment answers."""

import ast
import json
from pathlib import Path

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from keyaccounts import editing
from keyaccounts.editing import (
    INVALID,
    STALE_EDIT_MESSAGE,
    Editor,
    StaleEdit,
    editor_form,
    fragment_or_page,
    refused,
    saved,
)
from keyaccounts.tests import factories as f

HTMX = {"HX-Request": "true"}
EDITOR = Editor("Edit the note", "Save note", section="section-notes", slot="notes-editor", testid="note-form")


class NoteForm(forms.Form):
    text = forms.CharField()
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, stored_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].initial = stored_text
        self.fields["version"].initial = f"v-{stored_text}"


@pytest.fixture
def make_request(db):
    user = f.account_manager("amy")

    def make(method: str = "get", headers=None, data=None):
        request = getattr(RequestFactory(), method)("/notes/1/edit/", data or {}, headers=headers or {})
        request.user = user
        request.session = SessionStore()
        request._messages = FallbackStorage(request)
        request.htmx = HtmxDetails(request)
        return request

    return make


def test_the_editing_module_imports_no_app():
    tree = ast.parse(Path(editing.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not imported & {"accounts", "relationships", "complaints"}


def test_htmx_gets_the_fragment_and_a_full_request_the_page(make_request):
    context = {"count": 3, "more": False}
    fragment = fragment_or_page(make_request(headers=HTMX), "accounts/_today_badge.html", context, title="Today")
    page = fragment_or_page(make_request(), "accounts/_today_badge.html", context, title="Today")
    assert "<html" not in fragment.content.decode() and "3" in fragment.content.decode()
    assert "<html" in page.content.decode() and "<title>Today" in page.content.decode()
    assert "HX-Request" in fragment["Vary"] and "HX-Request" in page["Vary"]


def test_htmx_restoring_a_page_from_its_history_gets_the_whole_page(make_request):
    request = make_request(headers={**HTMX, "HX-History-Restore-Request": "true"})
    response = fragment_or_page(request, "accounts/_today_badge.html", {"count": 3, "more": False})
    assert "<html" in response.content.decode()


def test_the_page_only_context_is_not_computed_for_the_fragment(make_request):
    def page_only():
        raise AssertionError("computed for the fragment")

    context = {"count": 1, "more": False}
    fragment_or_page(make_request(headers=HTMX), "accounts/_today_badge.html", context, page_context=page_only)


def test_an_opened_editor_posts_into_its_section(make_request):
    response = editor_form(make_request(headers=HTMX), EDITOR, NoteForm(stored_text="Hello"), back="/back/")
    html = response.content.decode()
    assert response.status_code == 200 and "HX-Retarget" not in response
    assert 'hx-post="/notes/1/edit/"' in html and 'hx-target="#section-notes"' in html
    assert 'data-testid="note-form"' in html and 'data-editor-cancel="notes-editor"' in html


def test_a_refused_form_goes_back_into_its_slot_with_a_422(make_request):
    request = make_request("post", HTMX, {"text": ""})
    form = NoteForm(request.POST)
    assert not form.is_valid()
    response = editor_form(request, EDITOR, form, back="/back/")
    assert response.status_code == INVALID
    assert response["HX-Retarget"] == "#notes-editor" and response["HX-Reswap"] == "innerHTML"
    assert "invalid-feedback" in response.content.decode()


def test_without_htmx_the_editor_is_a_page_that_posts_plainly(make_request):
    response = editor_form(make_request("post", data={"text": ""}), EDITOR, NoteForm({"text": ""}), back="/back/")
    html = response.content.decode()
    assert response.status_code == INVALID and "<html" in html and "HX-Retarget" not in response
    assert 'action="/notes/1/edit/"' in html and "hx-post" not in html


def test_a_stale_edit_is_a_translated_validation_error():
    error = StaleEdit()
    assert isinstance(error, ValidationError) and error.code == "stale"
    assert error.messages == [str(STALE_EDIT_MESSAGE)]


def test_refused_as_stale_shows_the_stored_copy_with_the_message():
    sent = NoteForm({"text": "Mine", "version": "v-old"})
    assert sent.is_valid()
    form = refused(sent, StaleEdit(), stored=lambda: NoteForm(stored_text="Theirs"))
    assert form is not sent
    assert form["text"].value() == "Theirs" and form["version"].value() == "v-Theirs"
    assert form.non_field_errors() == [str(STALE_EDIT_MESSAGE)]


def test_any_other_refusal_stays_on_the_form_as_sent():
    sent = NoteForm({"text": "Mine"})
    assert sent.is_valid()
    form = refused(sent, ValidationError("Not on a Sunday."), stored=lambda: NoteForm(stored_text="Theirs"))
    assert form is sent and form["text"].value() == "Mine"
    assert form.non_field_errors() == ["Not on a Sunday."]


def test_saved_gives_htmx_the_section_and_an_event(make_request):
    request = make_request("post", HTMX)
    response = saved(
        request,
        "Saved.",
        back="/back/",
        fragment="accounts/_today_badge.html",
        context=lambda: {"count": 7, "more": False},
        event="notes-changed",
    )
    assert response.status_code == 200 and "7" in response.content.decode()
    assert "notes-changed" in response["HX-Trigger"]
    assert not list(get_messages(request))


def test_saved_sends_a_full_request_back_with_the_message(make_request):
    request = make_request("post")
    response = saved(request, "Saved.", back="/back/", fragment="accounts/_today_badge.html")
    assert response.status_code == 302 and response["Location"] == "/back/"
    assert [str(m) for m in get_messages(request)] == ["Saved."]


def test_saved_with_reload_has_htmx_load_the_page_whole(make_request):
    request = make_request("post", HTMX)
    response = saved(request, "Recorded.", back="/customers/1/", reload=True)
    assert response["HX-Redirect"] == "/customers/1/"
    assert [str(m) for m in get_messages(request)] == ["Recorded."]


def test_a_save_that_keeps_the_page_says_so_in_a_toast(make_request):
    request = make_request("post", HTMX)
    response = saved(request, "Alert marked as dealt with.", back="/back/")
    assert json.loads(response["HX-Trigger"])["kaToast"] == {"message": "Alert marked as dealt with."}


def test_a_fragment_that_says_saved_itself_gets_no_toast(make_request):
    request = make_request("post", HTMX)
    response = saved(
        request,
        "Saved.",
        back="/back/",
        fragment="accounts/_today_badge.html",
        context={"count": 1, "more": False},
        toast=False,
    )
    assert "HX-Trigger" not in response
