"""Data in and out: a company's ERP and spreadsheet records imported (CSV or XLSX, checked row by
row, previewed, applied all-or-nothing), and every kind exported in the same format.

`formats` (one documented column set per kind, English and Chinese headers), `reading` (files:
type, encoding, streamed rows), `engine` (validate, stage, preview counts, apply, audit), `models`
(import jobs), `views`, `tasks`, `urls`, `management/commands/import_records`; `exporting` (every
kind's visible rows in its import format) and `export_views` (their CSV / XLSX downloads); `backup`
(``manage.py backup_sqlite`` / ``restore_sqlite``, SQLite's online backup). Reads every app's
models; nothing but the entry points reads it. See docs/architecture.md.
"""
