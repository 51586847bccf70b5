"""Train a new packing dictionary for risk snapshots' factors or reasons from stored snapshots.

Writes ``accounts/dictionaries/<kind>-<version>.zdict``; it never overwrites a file, because values
packed with a dictionary need that very dictionary to be read. To use a new version, add its
format byte to ``accounts.packing._DICTIONARIES`` and make it ``_CURRENT_FORMAT``.
"""

import orjson
import zstandard
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

import accounts.packing as packing
from accounts.models import RiskSnapshot


def _without_free_text(value):
    """The value with every string emptied: names, products and dates typed by people belong to
    customers, not in a dictionary shipped with the code; the document's shape stays."""
    if isinstance(value, str):
        return ""
    if isinstance(value, list):
        return [_without_free_text(item) for item in value]
    if isinstance(value, dict):
        return {key: _without_free_text(item) for key, item in value.items()}
    return value


def training_sample(kind: str, document):
    """What of a stored document goes into training: a reason keeps its codes, not its parameters' words."""
    if kind == "reasons":
        return [{**reason, "params": _without_free_text(reason.get("params") or {})} for reason in document or []]
    return document


class Command(BaseCommand):
    @property
    def help(self) -> str:
        return _("Train a packing dictionary for risk snapshots' factors or reasons from the latest snapshots.")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=packing.KINDS)
        parser.add_argument("--dictionary-version", dest="dictionary_version", type=int, required=True)
        parser.add_argument("--samples", type=int, default=20000, help=_("Snapshots to learn from."))
        parser.add_argument("--size", type=int, default=16384, help=_("Dictionary size in bytes."))

    def handle(self, *args, kind, dictionary_version, samples, size, **options):
        path = packing.dictionary_path(kind, dictionary_version)
        if path.exists():
            message = _("%(path)s exists: a dictionary is never changed, train a new version.")
            raise CommandError(message % {"path": path})
        latest = RiskSnapshot.objects.order_by("-as_of").values_list("as_of", flat=True).first()
        if latest is None:
            raise CommandError(_("There are no risk snapshots to learn from."))
        documents = (
            RiskSnapshot.objects.filter(as_of=latest).order_by("customer_id").values_list(kind, flat=True)[:samples]
        )
        texts = [orjson.dumps(training_sample(kind, document)) for document in documents.iterator()]
        trained = zstandard.train_dictionary(size, texts)
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(trained.as_bytes())
        self.stdout.write(
            _("Wrote %(path)s (%(bytes)d bytes) from %(count)d snapshots of %(day)s.")
            % {"path": path, "bytes": len(trained.as_bytes()), "count": len(texts), "day": latest}
        )
