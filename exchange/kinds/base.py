"""The shared shape of a kind's handler: staging, checks across rows, counting, applying."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ..context import Context, Row
from ..staging import Stage, Target


def longest(model, field: str) -> int:
    """The most characters a text column of ``model`` takes, as its forms allow."""
    return model._meta.get_field(field).max_length


class Handler:
    """The shared shape; subclasses define `targets` and `row`."""

    # Which stage's rows are counted under which label, in the order they are applied.
    labels: tuple[str, ...] = ()

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.stages: dict[str, Stage] = {}

    def targets(self) -> dict[str, Target]:
        raise NotImplementedError

    def start(self) -> None:
        for label, target in self.targets().items():
            self.stages[label] = Stage(target)

    def row(self, row: Row) -> None:
        raise NotImplementedError

    def field_names(self, mapping: dict[str, str]) -> tuple[str, ...]:
        """The model fields of the columns the file has (column key → field attname)."""
        return tuple(attname for key, attname in mapping.items() if self.ctx.has(key))

    # Checks across rows ------------------------------------------------------------------
    def check(self) -> None:
        for label, stage in self.stages.items():
            self.check_duplicates(label, stage)
        if self.ctx.failed:
            return
        for stage in self.stages.values():
            stage.resolve()
            if not stage.target.create:
                total, rows = stage.unmatched()
                for row in rows:
                    self.ctx.error(row, "", "", _("no such record to update"))
                if total > len(rows):
                    self.ctx.outcome.error_count += total - len(rows)
        if not self.ctx.admin:
            self.check_own_records()

    def duplicate_key(self, label: str, stage: Stage) -> tuple[list[str], str]:
        """The staging columns that must not repeat within the file, and the column to name."""
        return [stage.field_of[k].column for k in stage.target.key], stage.target.key[0]

    def check_duplicates(self, label: str, stage: Stage) -> None:
        columns, named = self.duplicate_key(label, stage)
        total, pairs = stage.duplicates(columns)
        for row, first in pairs:
            self.ctx.error(row, named, "", _("repeats the key of row %(first)d") % {"first": first})
        if total > len(pairs):
            self.ctx.outcome.error_count += total - len(pairs)

    def check_own_records(self) -> None:
        """An account manager may not change a record that belongs to another manager's customer."""
        mine = {values[0] for values in self.ctx.customers.values()}
        for stage in self.stages.values():
            if not any(f.attname == "customer_id" for f in stage.model._meta.concrete_fields):
                continue
            rows = stage.execute(
                "SELECT s.row_no, t.customer_id FROM {stage} AS s JOIN {table} AS t ON t.id = s.target_id"
            )
            for row, customer_id in rows:
                if customer_id not in mine:
                    self.ctx.error(row, "external_id", "", _("this record belongs to a customer you do not look after"))

    # Counting and applying ---------------------------------------------------------------
    def count(self) -> dict:
        return {label: self.stages[label].mark() for label in self.labels}

    def apply(self, *, user_id: int | None, reason: str) -> None:
        for label in self.labels:
            self.stages[label].apply(user_id=user_id, reason=reason)

    def drop(self) -> None:
        for stage in self.stages.values():
            stage.drop()
