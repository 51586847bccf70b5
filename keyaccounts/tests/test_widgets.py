"""QuickSelect writes the markup Django's template-rendered Select writes, for every kind of choice."""

from __future__ import annotations

import pytest
from django import forms
from django.test.html import parse_html

from keyaccounts.widgets import QuickSelect

CHOICES = [
    ("", "All owners"),
    ("7", "Wang <Li> & \"Co\" 'x'"),
    ("12", "张伟"),
    (3, "A number"),
    ("Region", [("east", "East & co"), ("west", "<West>")]),
]


@pytest.mark.parametrize("value", [None, "", "7", "12", 3, "west", "unknown"])
@pytest.mark.parametrize(
    "attrs",
    [
        {"class": "form-select form-select-sm"},
        {"class": "x", "id": "id_owner", "required": True, "disabled": False, "data-note": 'a "quoted" <b>'},
    ],
)
def test_quick_select_writes_what_djangos_select_writes(value, attrs):
    django_html = forms.Select(attrs=attrs, choices=CHOICES).render("owner", value)
    quick_html = QuickSelect(attrs=attrs, choices=CHOICES).render("owner", value)
    assert parse_html(quick_html) == parse_html(django_html)
    # No value picks the empty choice, as Django does; an unknown one picks nothing.
    assert ("selected" in quick_html) == (value != "unknown")


def test_a_label_cannot_break_out_of_its_option():
    html = QuickSelect(choices=[("1", "</option><script>alert(1)</script>")]).render("owner", "1")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_a_bound_form_field_renders_through_it():
    class Form(forms.Form):
        owner = forms.ChoiceField(choices=CHOICES[:3], widget=QuickSelect(attrs={"class": "form-select"}))

    html = str(Form({"owner": "12"})["owner"])
    assert parse_html(html) == parse_html(
        '<select name="owner" class="form-select" id="id_owner" required>'
        '<option value="">All owners</option>'
        '<option value="7">Wang &lt;Li&gt; &amp; &quot;Co&quot; &#x27;x&#x27;</option>'
        '<option value="12" selected>张伟</option></select>'
    )
