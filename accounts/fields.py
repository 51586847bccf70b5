"""Model fields of our own."""

from django.db import models


class WholeJSONField(models.JSONField):
    """JSON that is written once and read whole, never searched inside: PostgreSQL ``json``, not ``jsonb``.

    ``jsonb`` parses every value into its binary form on the way in, which pays off only for
    queries into the document. A risk snapshot's factors and reasons are read whole, and 90,000
    of each are written every night: stored as ``json`` (checked, kept as text) they cost the
    server about two and a half seconds less. Other databases store JSONField as usual. Key
    lookups still work but parse the whole text each time: read the value instead. PostgreSQL
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
