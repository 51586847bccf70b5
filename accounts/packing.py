"""JSON documents packed small: Zstandard with a dictionary trained on documents of their kind.

A risk snapshot's ``factors`` and ``reasons`` are written for every active customer every night
and read whole. As JSON text they take about a kilobyte each, even compressed one at a time
(too little text for a compressor to find its repeats in). A dictionary of what such documents
usually hold — keys, factor, signal and reason names, common numbers — lets each one be packed
alone into about a tenth of that, at a few microseconds a document either way.

A packed value is one format byte and a Zstandard frame (without checksum or dictionary id)::

    0x01  zstd frame made with the kind's dictionary of version 1 (``dictionaries/<kind>-1.zdict``)

A dictionary file is never changed once a value may have been packed with it: a new dictionary
is a new version (format byte 0x02 …, added to ``_DICTIONARIES``), and values packed with the
old one stay readable. ``manage.py train_packing_dictionary <kind> --dictionary-version N``
trains one from stored documents.

Values that are not packed — UTF-8 JSON text or bytes starting with ``{``, ``[`` or ``"`` (rows
stored before packing, or written by hand) — are read as JSON, so a column can change over
without rewriting every row at once.
"""

from __future__ import annotations

import json
import threading
from functools import cache
from pathlib import Path

import orjson
import zstandard

DICTIONARY_DIR = Path(__file__).resolve().parent / "dictionaries"
# Format byte -> dictionary version; the newest packs.
_DICTIONARIES = {1: 1}
_CURRENT_FORMAT = 1
# Compression level: 3 packs a snapshot's factors in about 5 µs; higher levels save a few bytes
# at many times the time.
LEVEL = 3
KINDS = ("factors", "reasons")
_PLAIN_JSON_STARTS = frozenset(b'{["')


class PackingError(ValueError):
    """A stored value that cannot be unpacked (unknown format byte or a damaged frame)."""


def dictionary_path(kind: str, version: int) -> Path:
    return DICTIONARY_DIR / f"{kind}-{version}.zdict"


@cache
def _dictionary(kind: str, version: int) -> zstandard.ZstdCompressionDict:
    if kind not in KINDS:
        raise ValueError(f"No packing dictionary for {kind!r}; kinds: {', '.join(KINDS)}")
    return zstandard.ZstdCompressionDict(dictionary_path(kind, version).read_bytes())


# Compressor and decompressor objects are not to be shared between threads.
_local = threading.local()


def _compressor(kind: str) -> zstandard.ZstdCompressor:
    cache_ = _local.__dict__.setdefault("compressors", {})
    if kind not in cache_:
        cache_[kind] = zstandard.ZstdCompressor(
            level=LEVEL,
            dict_data=_dictionary(kind, _DICTIONARIES[_CURRENT_FORMAT]),
            write_checksum=False,
            write_content_size=True,
            write_dict_id=False,
        )
    return cache_[kind]


def _decompressor(kind: str, version: int) -> zstandard.ZstdDecompressor:
    cache_ = _local.__dict__.setdefault("decompressors", {})
    key = (kind, version)
    if key not in cache_:
        cache_[key] = zstandard.ZstdDecompressor(dict_data=_dictionary(kind, version))
    return cache_[key]


def pack(kind: str, value) -> bytes:
    """``value`` (anything JSON can hold) as packed bytes."""
    return bytes((_CURRENT_FORMAT,)) + _compressor(kind).compress(orjson.dumps(value))


def _json_text(kind: str, data) -> bytes | str:
    """The JSON text held by ``data``: packed bytes unpacked, plain JSON as it is."""
    if isinstance(data, str):
        return data
    data = bytes(data)
    if not data:
        raise PackingError("An empty value is neither packed nor JSON.")
    head = data[0]
    if head in _PLAIN_JSON_STARTS:
        return data
    version = _DICTIONARIES.get(head)
    if version is None:
        raise PackingError(f"Unknown packing format {head:#04x}.")
    try:
        return _decompressor(kind, version).decompress(data[1:])
    except zstandard.ZstdError as error:
        raise PackingError(f"A packed {kind} value is damaged: {error}") from error


def unpack(kind: str, data):
    """The JSON value held by ``data``: packed bytes, or plain JSON as text or bytes; None stays None."""
    if data is None or isinstance(data, dict | list):  # None, or JSON a driver has decoded already
        return data
    return orjson.loads(_json_text(kind, data))


# Reads one JSON value at a given place in a text and says where it ends.
_FIRST_VALUE = json.JSONDecoder()


def unpack_first(kind: str, data) -> tuple[object, str] | None:
    """The first item of the JSON array held by ``data`` (read as by `unpack`) and the item's JSON
    text, without decoding the items after it; None for None, an empty array or a value that is
    not an array. Where only the first of a snapshot's reasons is shown (an export of the whole
    book), decoding the others would cost more than all the rest of reading them."""
    if data is None or isinstance(data, dict | list):
        value = data
    else:
        text = _json_text(kind, data)
        if isinstance(text, bytes):
            text = text.decode()
        if text.startswith("["):
            try:
                item, end = _FIRST_VALUE.raw_decode(text, 1)
            except ValueError:  # an empty array, or JSON written with spaces
                pass
            else:
                return item, text[1:end]
        value = orjson.loads(text)
    if not isinstance(value, list) or not value:
        return None
    return value[0], orjson.dumps(value[0]).decode()


def is_packed(data) -> bool:
    return isinstance(data, bytes | memoryview | bytearray) and len(data) > 0 and bytes(data[:1])[0] in _DICTIONARIES
