"""Idempotent batch writes: the engine behind every POST of the API.

A POST carries one object or a list of up to `MAX_BATCH` objects. The whole batch is checked
before anything is written: each item's fields (its serializer), its references (customers by
code, products by SKU, orders by number — one query per kind for the whole batch), keys repeated
within the batch, and records whose key is taken by a record the user may not change. Any error
answers 400 with the errors by item index and field, and nothing is written.

Then, in one transaction, each item is matched with the stored record of its key (one query for
the batch): no record → created; a record with other values → updated; the same values →
unchanged. Creates and updates go in bulk with their django-simple-history rows
(``bulk_create_with_history`` / ``bulk_update_with_history``, history_user = the caller), so a
batch of 1,000 costs a handful of queries, not thousands. Posting the same batch twice changes
nothing the second time.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext
from rest_framework import serializers
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

MAX_BATCH = 1000
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


class BatchRefused(Exception):
    """The batch is refused as a whole: ``detail`` is the body of the 400."""

    def __init__(self, detail):
        super().__init__(detail)
        self.detail = detail


def batch_items(data) -> list:
    """The items of a POST body: one object or a list of 1 to MAX_BATCH objects."""
    if isinstance(data, dict):
        return [data]
    if not isinstance(data, list):
        raise BatchRefused({"non_field_errors": [gettext("Send an object or a list of objects.")]})
    if not data:
        raise BatchRefused({"non_field_errors": [gettext("The list is empty.")]})
    if len(data) > MAX_BATCH:
        raise BatchRefused(
            {
                "non_field_errors": [
                    gettext("A batch holds at most %(max)d items; this one has %(count)d.")
                    % {"max": MAX_BATCH, "count": len(data)}
                ]
            }
        )
    return data


@dataclass
class Item:
    index: int
    values: dict
    key: Hashable = None
    record: object = None
    outcome: str = ""
    changed: list[str] = field(default_factory=list)


class Errors(dict):
    """{index: {field: [messages]}}."""

    def add(self, index: int, name: str, message: str) -> None:
        self.setdefault(index, {}).setdefault(name, []).append(str(message))


class BatchWriter:
    """One kind of record written in batches. Subclasses say how items are checked and keyed."""

    model: type
    serializer_class: type[serializers.Serializer]
    # The model attributes an item sets (attnames: ``customer_id`` for a foreign key).
    fields: tuple[str, ...] = ()
    # Attributes that may not change once the record is stored.
    fixed: tuple[str, ...] = ()
    # The item's field that carries its key, for the error on a repeated key.
    key_field: str = "external_id"

    def __init__(self, user):
        self.user = user

    # What a subclass provides -------------------------------------------------------------------
    def resolve(self, items: list[Item], errors: Errors) -> None:
        """Turn references (codes, numbers) into ids in ``item.values``, one query per kind."""

    def key_of(self, values: dict) -> Hashable:
        return values[self.key_field]

    def stored(self, keys: list) -> dict:
        """The stored records of these keys, by key, in one query."""
        raise NotImplementedError

    def changeable(self, records: list) -> set:
        """The pks of those stored records the user may change, in one query."""
        raise NotImplementedError

    def new_record(self, item: Item):
        return self.model(**{name: item.values[name] for name in self.fields})

    def create(self, items: list[Item]) -> None:
        records = [self.new_record(item) for item in items]
        created = bulk_create_with_history(records, self.model, default_user=self.user)
        for item, record in zip(items, created, strict=True):
            item.record = record

    # The engine ------------------------------------------------------------------------------------
    def run(self, data) -> dict:
        items, errors = self._validated(batch_items(data))
        if not errors:
            self.resolve(items, errors)
        if not errors:
            self._match(items, errors)
        if errors:
            raise BatchRefused({"errors": {str(i): fields for i, fields in sorted(errors.items())}})
        with transaction.atomic():
            self._write(items)
        return self._summary(items)

    def _validated(self, raw_items: list) -> tuple[list[Item], Errors]:
        items, errors = [], Errors()
        for index, raw in enumerate(raw_items):
            serializer = self.serializer_class(data=raw, context={"user": self.user})
            if serializer.is_valid():
                items.append(Item(index=index, values=dict(serializer.validated_data)))
            else:
                errors[index] = serializer.errors
        return items, errors

    def _match(self, items: list[Item], errors: Errors) -> None:
        seen = {}
        for item in items:
            item.key = self.key_of(item.values)
            if item.key in seen:
                errors.add(
                    item.index,
                    self.key_field,
                    gettext("Repeats item %(index)d of this batch.") % {"index": seen[item.key]},
                )
            else:
                seen[item.key] = item.index
        if errors:
            return
        stored = self.stored([item.key for item in items])
        changeable = self.changeable(list(stored.values())) if stored else set()
        for item in items:
            record = stored.get(item.key)
            if record is None:
                item.outcome = CREATED
                continue
            if record.pk not in changeable:
                errors.add(item.index, self.key_field, gettext("This key belongs to a record you may not change."))
                continue
            item.record = record
            item.changed = [name for name in self.fields if getattr(record, name) != item.values[name]]
            for name in item.changed:
                if name in self.fixed:
                    errors.add(
                        item.index,
                        name.removesuffix("_id"),
                        gettext("This cannot change once the record is stored."),
                    )
            item.outcome = UPDATED if item.changed else UNCHANGED

    def _write(self, items: list[Item]) -> None:
        new = [item for item in items if item.outcome == CREATED]
        if new:
            self.create(new)
        changed = [item for item in items if item.outcome == UPDATED]
        if changed:
            for item in changed:
                for name in item.changed:
                    setattr(item.record, name, item.values[name])
            names = sorted({name for item in changed for name in item.changed})
            bulk_update_with_history([item.record for item in changed], self.model, names, default_user=self.user)

    def _summary(self, items: list[Item]) -> dict:
        counts = {CREATED: 0, UPDATED: 0, UNCHANGED: 0}
        for item in items:
            counts[item.outcome] += 1
        return {
            **counts,
            "results": [
                {"index": item.index, "id": item.record.pk, "key": self.key_text(item.key), "outcome": item.outcome}
                for item in items
            ],
        }

    def key_text(self, key) -> str:
        return str(key)
