"""How the API refuses: every bad request is a 400 with a field-level body, never a 500.

DRF already answers its own validation errors, parse errors and authentication failures. What
reaches the database and is refused there — a constraint (IntegrityError), a value the column
cannot hold (DataError), a model's ValidationError raised by a service — is turned into a 400 here
as well, with the message under the field it names when it names one; so is a body nested too
deep to parse (RecursionError).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.utils.translation import gettext
from rest_framework import status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

NON_FIELD = "non_field_errors"


def django_error_detail(exc: DjangoValidationError) -> dict:
    """A Django ValidationError as DRF's {field: [messages]} body."""
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
    return {NON_FIELD: [str(m) for m in exc.messages]}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(django_error_detail(exc))
    elif isinstance(exc, IntegrityError):
        exc = ValidationError({NON_FIELD: [gettext("The data conflicts with a stored record.")]})
    elif isinstance(exc, DataError):
        exc = ValidationError({NON_FIELD: [gettext("A value does not fit its field.")]})
    elif isinstance(exc, RecursionError):
        # JSON nested deeper than the parser can follow: a malformed body, like any other.
        exc = ParseError()
    response = drf_exception_handler(exc, context)
    if response is None and isinstance(exc, (OverflowError, UnicodeError)):
        return Response({NON_FIELD: [gettext("A value does not fit its field.")]}, status=status.HTTP_400_BAD_REQUEST)
    return response
