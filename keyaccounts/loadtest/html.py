"""Reading the app's HTML as a browser would, for the load test's simulated users: the fields a
form would post (hidden ones such as ``csrfmiddlewaretoken`` and an edit's ``version`` included)
and the links of a page. Standard library only, so it runs inside locust and in the tests alike.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

SKIPPED_INPUTS = {"submit", "button", "image", "reset", "file"}


@dataclass
class Form:
    """A form of a page or fragment: what it posts, in order (a name may repeat)."""

    action: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)
    # Every option of each select, to choose another value than the one shown.
    options: dict[str, list[str]] = field(default_factory=dict)

    def names(self) -> set[str]:
        return {name for name, _value in self.fields}

    def value(self, name: str) -> str | None:
        return next((value for key, value in self.fields if key == name), None)

    def filled(self, **values: str) -> list[tuple[str, str]]:
        """The fields with ``values`` in place of what the form holds (added when missing)."""
        kept = [(name, value) for name, value in self.fields if name not in values]
        return kept + list(values.items())


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.form: Form | None = None  # the form being read
        self._select: tuple[str, bool] | None = None  # name, multiple
        self._selected: list[str] = []
        self._option: dict | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "form":
            self.form = Form(action=a.get("action", ""))
            self.forms.append(self.form)
            return
        if self.form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in SKIPPED_INPUTS:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self.form.fields.append((name, a.get("value", "on")))
                return
            self.form.fields.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._selected = (name, "multiple" in a), []
            self.form.options[name] = []
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": []}
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"].append(data)
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self.form is None:
            return
        if tag == "option" and self._option is not None:
            self._end_option()
        elif tag == "select" and self._select is not None:
            if self._option is not None:
                self._end_option()
            name, multiple = self._select
            chosen = self._selected or ([] if multiple else self.form.options[name][:1])
            self.form.fields += [(name, value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops the one newline that follows <textarea>.
            text = "".join(self._text)
            self.form.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "form":
            self.form = None

    def _end_option(self):
        option, self._option = self._option, None
        value = option["value"] if option["value"] is not None else "".join(option["text"]).strip()
        self.form.options[self._select[0]].append(value)
        if option["selected"]:
            self._selected.append(value)


def first_form(text: str, having: str = "") -> Form | None:
    """The first form in ``text`` (with a field named ``having``), as a browser would submit it
    untouched; None without one. A page's navigation bar has forms too (language, sign out)."""
    parser = _FormParser()
    parser.feed(text)
    parser.close()
    return next((form for form in parser.forms if not having or having in form.names()), None)


def linked_ids(text: str, prefix: str) -> list[int]:
    """The ids of the links to ``prefix<id>/`` in a page, e.g. prefix "/customers/", in order."""
    seen = dict.fromkeys(int(pk) for pk in re.findall(rf'href="{re.escape(prefix)}(\d+)/"', text))
    return list(seen)


def linked_names(text: str, prefix: str) -> list[str]:
    """The texts of the links to ``prefix<id>/``, e.g. the customers' names in a list."""
    names = re.findall(rf'href="{re.escape(prefix)}\d+/">([^<]+)</a>', text)
    return [html.unescape(name).strip() for name in names if name.strip()]


def hx_gets(text: str, path_prefix: str) -> list[str]:
    """The ``hx-get`` addresses in a page that start with ``path_prefix``, unescaped."""
    found = re.findall(r'hx-get="([^"]+)"', text)
    return [html.unescape(url) for url in found if html.unescape(url).startswith(path_prefix)]
