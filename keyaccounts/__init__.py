"""The project package: settings, URLs, the Celery app, WSGI/ASGI — and the utilities every app shares.

- `settings` (from the environment), `settings_test`, `urls`, `celery` (the app and the beat
  schedule), `wsgi`, `asgi`: the wiring, at the top of the dependency rule.
- `clock` (business days and day boundaries), `editing` (the one in-page editor), `bulk`
  (set-based inserts and upserts): shared utilities at the bottom — they import no app.

See docs/architecture.md for the package map and the dependency rule.
"""

from .celery import app as celery_app

__all__ = ("celery_app",)
