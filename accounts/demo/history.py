"""The audit history of generated records, with effective dates.

A record's first history row is dated when it came into being (a customer won, a contact met, a
ticket opened) and holds its values then; each change is a later row dated when it happened
(trust falling when a churn story's warning signs begin, a contact leaving, a ticket resolved
and rated). The scorer reads fields that change in place from this history, so a backtest of a
date before a story's warning signs sees the values from before them.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import models

from .writer import BulkOutput

CREATED, CHANGED = "+", "~"


class HistorySink:
    """History rows of one model: the record's columns (``columns``, in that order) at a moment."""

    def __init__(self, output: BulkOutput, model: type[models.Model], columns: Sequence[str], first_pk: int):
        self.sink = output.sink(model.history.model, ["history_id", "history_date", "history_type", *columns])
        self.rows = self.sink.rows
        self.pk = first_pk

    def add(self, when, kind: str, row: Sequence) -> int:
        """Append one history row; returns its history id."""
        pk = self.pk
        self.rows.append((pk, when, kind, *row))
        self.pk += 1
        return pk

    def maybe_flush(self) -> None:
        self.sink.maybe_flush()
