"""The served process loads its URL patterns and templates before it freezes what it keeps, so
the garbage collector's full collections do not walk them request after request."""

from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from keyaccounts.wsgi import warm_up


def test_warm_up_compiles_every_template_of_the_project_and_reverses_urls_in_each_language():
    folder = Path(settings.TEMPLATES[0]["DIRS"][0])
    assert warm_up() == len(list(folder.rglob("*.html")))
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            assert reverse("health") == "/health/"
