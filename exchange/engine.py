"""An import from file to database: read, check every row, stage, count, and apply — or change nothing.

`run` is the one entry: the web page's task and ``manage.py import_records`` both call it. It
opens one transaction; rows are checked as they stream past (errors name the row, the column,
the value and why), staged into temporary tables, matched with the records by their keys and
counted. A dry run (the preview) or any error rolls everything back; otherwise it commits whole.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import DatabaseError, IntegrityError, transaction
from django.utils.translation import gettext as _

from .context import Context, Outcome, Row, may_import
from .formats import FORMATS, detect
from .kinds import HANDLERS
from .reading import FileRefused, open_table

__all__ = ["Outcome", "may_import", "run"]


def run(
    kind: str, path, user, *, apply: bool, reason: str = "", progress: Callable[[float], None] | None = None
) -> Outcome:
    """Import the file at ``path`` as ``kind`` for ``user``; with ``apply=False`` nothing is kept."""
    outcome = Outcome(kind)
    fmt = FORMATS.get(kind)
    if fmt is None:
        outcome.error_count = 1
        outcome.errors.append({"row": None, "column": "", "value": kind, "why": _("There is no such kind of import.")})
        return outcome
    probe = Context(fmt, user, set(), outcome)
    if not may_import(user, fmt):
        probe.error(None, "", "", _("You may not import %(kind)s.") % {"kind": _(fmt.label).lower()})
        return outcome
    try:
        table = open_table(path)
    except FileRefused as refused:
        probe.error(None, "", "", refused.message)
        return outcome
    except OSError:
        probe.error(None, "", "", _("The uploaded file is no longer there; upload it again."))
        return outcome
    found, unknown, missing = fmt.match(table.headers)
    if unknown or missing:
        guess = detect(table.headers)
        if guess and guess != kind and FORMATS[guess].score(table.headers) > fmt.score(table.headers):
            probe.error(
                1,
                "",
                "",
                _("This looks like a file of %(other)s, not of %(kind)s.")
                % {"other": _(FORMATS[guess].label).lower(), "kind": _(fmt.label).lower()},
            )
        for header, why in unknown:
            probe.error(1, header, header, why)
        for key in missing:
            probe.error(1, key, "", _("this required column is missing"))
        return outcome
    ctx = Context(fmt, user, {column.key for column in found.values()}, outcome)
    handler = HANDLERS[kind](ctx)
    try:
        with transaction.atomic():
            # The staging tables go with a rollback; dropped by hand only on the way out.
            handler.start()
            for number, cells in table.rows:
                raw = {column.key: (cells[pos] if pos < len(cells) else None) for pos, column in found.items()}
                handler.row(Row(ctx, number, raw))
                outcome.rows += 1
                if progress and outcome.rows % 5000 == 0:
                    progress(0.75 * table.fraction())
            if outcome.rows == 0:
                ctx.error(None, "", "", _("The file has a header row but no data rows."))
            if not ctx.failed:
                handler.check()
            if not ctx.failed:
                if progress:
                    progress(0.8)
                outcome.counts = handler.count()
                if ctx.new_products:
                    outcome.counts["products"] = {"created": ctx.new_products, "updated": 0, "unchanged": 0}
                if ctx.new_competitors:
                    outcome.counts["competitors"] = {"created": ctx.new_competitors, "updated": 0, "unchanged": 0}
                # The preview applies too, then rolls back: what the database would refuse
                # (a clash with another record's unique key) shows before anyone confirms.
                handler.apply(user_id=user.pk, reason=reason or _("import"))
                if progress:
                    progress(0.95)
            handler.drop()
            outcome.applied = apply and not ctx.failed
            if not outcome.applied:
                transaction.set_rollback(True)
    except FileRefused as refused:
        outcome.applied = False
        ctx.error(None, "", "", refused.message)
    except IntegrityError as error:
        outcome.applied = False
        ctx.error(None, "", "", _("The database refused the data, nothing was written: %(why)s") % {"why": error})
    except DatabaseError as error:
        outcome.applied = False
        ctx.error(None, "", "", _("The import failed, nothing was written: %(why)s") % {"why": error})
    return outcome
