"""Model fields of our own."""

from django.db import models

from .packing import KINDS, pack, unpack


class WholeJSONField(models.JSONField):
    """JSON that is written once and read whole, never searched inside: PostgreSQL ``json``, not ``jsonb``.

    ``jsonb`` parses every value into its binary form on the way in, which pays off only for
    queries into the document. A risk snapshot's ``factor_risks`` is written for every active
    customer every night and read whole (its larger ``factors`` and ``reasons`` are packed,
    ``PackedJSONField``); as ``json`` (checked, kept as text) the write costs the server less.
    Other databases store JSONField as usual. Key lookups still work but parse the whole text
    each time: read the value instead. PostgreSQL
    has no equality for ``json``: such a column cannot be compared (``exact``, ``contains``),
    nor be part of a DISTINCT, a UNION or a GROUP BY.
    """

    def db_type(self, connection):
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def from_db_value(self, value, expression, connection):
        # psycopg2 decodes ``json`` columns itself (``jsonb`` Django decodes).
        if value is not None and not isinstance(value, str):
            return value
        return super().from_db_value(value, expression, connection)


class PackedJSONField(models.JSONField):
    """JSON that is written once, read whole and kept small: packed bytes (``accounts.packing``).

    The Python value is the JSON value, as with ``JSONField``; the column holds it packed with
    the dictionary of its ``kind`` (PostgreSQL ``bytea``, SQLite ``BLOB``), about a tenth of the
    text. Nothing inside can be searched or compared in SQL: read the value. Raw SQL that
    selects the column gets bytes: ``accounts.packing.unpack(kind, value)`` reads them.
    """

    stores_bytes = True

    def __init__(self, *args, kind: str, **kwargs):
        if kind not in KINDS:
            raise ValueError(f"Unknown packing kind {kind!r}")
        self.kind = kind
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def db_type(self, connection):
        return connection.data_types["BinaryField"] % self.db_type_parameters(connection)

    def db_check(self, connection):
        # Not JSON text in the database, so no JSON_VALID check on SQLite.
        return None

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None or hasattr(value, "as_sql"):
            return value
        return pack(self.kind, value)

    def from_db_value(self, value, expression, connection):
        return unpack(self.kind, value)
