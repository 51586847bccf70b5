"""The site's formats per language (FORMAT_MODULE_PATH): one date style and digit grouping each.

Only what differs from Django's own locale formats is set here; the rest falls through to Django.
"""
