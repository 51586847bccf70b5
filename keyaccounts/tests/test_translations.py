"""Every word a user reads is translated: no bare text in templates, no gap in the Chinese catalogue."""

import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.template.base import Lexer, TokenType

polib = pytest.importorskip("polib")

TEMPLATES = Path(settings.BASE_DIR) / "templates"
CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# Attributes whose values people read (or hear, with a screen reader).
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "label", "aria-description"}
# Words that are the same in every language: the product's name, units and standard acronyms.
SAME_IN_EVERY_LANGUAGE = {
    "KeyAccounts",
    "OTIF",
    "SLA",
    "CSV",
    "XLSX",
    "API",
    "ICS",
    "RFM",
    "AUC",
    "ID",
    "KPI",
    "CNY",
    "OpenAPI",
    "Swagger",
    "UTC",
    "htmx",
    "JSON",
    "ISO",
    "PDF",
    "URL",
    "HTTP",
    "HTTPS",
}
# Placeholder for everything the template engine prints or decides ({{ }}, {% %}).
HOLE = " "
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+|[\u4e00-\u9fff]+")


class _Text(HTMLParser):
    """Collects the text nodes and read attributes of a template whose tags are replaced by holes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.found.append(value)

    def handle_endtag(self, tag):
        if tag in {"script", "style"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.found.append(data)


def bare_words(source: str) -> list[str]:
    """The words of a template that reach the page without passing through a translation tag."""
    parts, inside_translation, inside_comment = [], 0, 0
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if name in {"blocktranslate", "blocktrans"}:
                inside_translation += 1
            elif name in {"endblocktranslate", "endblocktrans"}:
                inside_translation -= 1
            elif name == "comment":
                inside_comment += 1
            elif name == "endcomment":
                inside_comment -= 1
            parts.append(HOLE)
        elif token.token_type == TokenType.TEXT and not (inside_translation or inside_comment):
            parts.append(token.contents)
        else:
            parts.append(HOLE)
    parser = _Text()
    parser.feed("".join(parts))
    parser.close()
    words = []
    for text in parser.found:
        for word in WORD.findall(text.replace(HOLE, " ")):
            if word not in SAME_IN_EVERY_LANGUAGE:
                words.append(word)
    return words


def test_the_scanner_finds_bare_text_and_accepts_translated_text():
    assert bare_words("<p>Save changes</p>") == ["Save", "changes"]
    assert bare_words('<input placeholder="Search customers">') == ["Search", "customers"]
    assert bare_words("<p>保存</p>") == ["保存"]
    assert bare_words('{% load i18n %}<p>{% translate "Save" %}</p>') == []
    assert bare_words("{% blocktranslate %}Saved {{ n }} rows{% endblocktranslate %}") == []
    assert bare_words('<a href="/x" class="btn btn-primary" data-testid="save">{{ label }}</a>') == []
    assert bare_words("{% comment %}Why this is so{% endcomment %}<p>OTIF · SLA</p>") == []


def test_no_template_shows_text_that_is_not_translated():
    offenders = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        words = bare_words(path.read_text(encoding="utf-8"))
        if words:
            offenders[str(path.relative_to(TEMPLATES))] = " ".join(words)[:200]
    assert not offenders, "Text outside {% translate %} / {% blocktranslate %}:\n" + "\n".join(
        f"  {name}: {words}" for name, words in offenders.items()
    )


def test_the_chinese_catalogue_translates_every_message_in_the_code(tmp_path, settings, monkeypatch):
    """The committed catalogue, brought up to date with the code as makemessages would, has no gap."""
    if not shutil.which("xgettext"):
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("xgettext is missing (CI=true): apt-get install gettext")
        pytest.skip("xgettext is missing: apt-get install gettext")
    here = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES"
    here.mkdir(parents=True)
    shutil.copy(CATALOGUE, here / "django.po")
    # makemessages writes to the locale directory beside the sources it walks: walk links to the
    # sources from a scratch directory so that the committed catalogue is left alone.
    sources = tmp_path / "sources"
    sources.mkdir()
    base = Path(settings.BASE_DIR)
    for child in base.iterdir():
        if (
            child.is_dir()
            and child.name not in {"locale", "static", "artifacts", "node_modules"}
            and (not child.name.startswith("."))
        ):
            (sources / child.name).symlink_to(child, target_is_directory=True)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(sources)
    call_command(
        "makemessages",
        locale=["zh_Hans"],
        no_obsolete=True,
        verbosity=0,
        symlinks=True,
        ignore_patterns=[".venv", "*/tests/*", "conftest.py"],
    )
    updated = polib.pofile(str(here / "django.po"))
    gaps = [e.msgid for e in updated.untranslated_entries()] + [f"(fuzzy) {e.msgid}" for e in updated.fuzzy_entries()]
    assert not gaps, f"{len(gaps)} messages without a Chinese translation:\n" + "\n".join(
        f"  {msgid[:100]!r}" for msgid in gaps[:40]
    )
