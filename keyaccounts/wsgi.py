"""
WSGI config for keyaccounts project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keyaccounts.settings")

application = get_wsgi_application()

# What the app has loaded so far (Django, the models, the libraries: about 170,000 objects) lives
# as long as the process: the garbage collector stops looking at it. Its full collections, which
# walked all of it every few requests, took 100–190 ms each and made the slowest tenth of the
# requests of a page twice as slow as the median; they now take a few milliseconds.
gc.freeze()
