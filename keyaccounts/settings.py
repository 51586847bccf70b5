"""KeyAccounts settings.

Every value comes from the environment through the small typed helpers below, which raise
ImproperlyConfigured on a bad value. The defaults fail closed: DEBUG is off unless asked for, and
a run without DEBUG refuses to start without a SECRET_KEY.

Embedded default (nothing set): SQLite file next to manage.py, Celery tasks run eagerly in-process.
Production: DATABASE_URL (PostgreSQL) and REDIS_URL (Celery broker, result backend and cache).
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

# The development key is only ever used with DEBUG on; production must set SECRET_KEY.
DEVELOPMENT_SECRET_KEY = "keyaccounts-development-only-insecure-key"
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    SECRET_KEY = DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "django_htmx",
    "csp",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "relationships",
    "complaints",
    "plays",
    "exchange",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "keyaccounts.middleware.PermissionsPolicyMiddleware",
    # A view whose database connection fails answers a self-contained 503 (keyaccounts/faults.py).
    "keyaccounts.faults.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "keyaccounts.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication and messages: signs out sessions ended by "log out everywhere".
    "api.sessions.SessionEpochMiddleware",
    # Keeps a signed-in session alive while it is used (the idle timeout below).
    "keyaccounts.middleware.SessionIdleMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes must be last: it inspects the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "keyaccounts.urls"
# The CSRF refusal in the app's style and language (keyaccounts/errors.py).
CSRF_FAILURE_VIEW = "keyaccounts.errors.csrf_failure"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
                "keyaccounts.faults.admin_background_status",
            ],
        },
    },
]

WSGI_APPLICATION = "keyaccounts.wsgi.application"

# Database: DATABASE_URL (PostgreSQL) or the embedded SQLite file.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
    # PostgreSQL's JIT compiler off: the cost of a few correlated look-ups over a partitioned
    # table sets it off, and it then spends seconds compiling queries that run in a fraction of
    # one (the night's alerts: 4.1 s, of which 2.2 s compiling, against 0.5 s without; the night
    # as a whole 39.7 s against 32.2 s at 100,000 customers).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"timeout": 20},
        }
    }
# SQLite cannot hold a unique constraint whose NULLs count as equal: there the complaint
# analytics' whole-book rows (no customer) rely on their refresh alone, which deletes before it
# writes (complaints.monthly).
SILENCED_SYSTEM_CHECKS = [] if DATABASE_URL else ["models.W047"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's model backend, also reading the user's session generation ("log out everywhere").
    "api.sessions.SessionEpochBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions end after SESSION_IDLE_HOURS without a request (an idle timeout, not one from sign-in):
# SessionIdleMiddleware renews a signed-in session's expiry at most every SESSION_REFRESH_SECONDS,
# which costs one session write per user per five minutes instead of one per request
# (SESSION_SAVE_EVERY_REQUEST). So an idle session ends between 8 h - 5 min and 8 h after its last use.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_HOURS", 8) * 3600
SESSION_REFRESH_SECONDS = 5 * 60
if SESSION_COOKIE_AGE <= SESSION_REFRESH_SECONDS:
    raise ImproperlyConfigured("SESSION_IDLE_HOURS must be at least 1.")
SESSION_COOKIE_HTTPONLY = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Brute-force lockout: after AXES_FAILURE_LIMIT failures for a username from one address.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True

# How many reverse proxies (the front web server, a load balancer…) stand between the clients and
# gunicorn, each appending the address it saw to X-Forwarded-For. 0: none, the connecting address
# is the client's and X-Forwarded-For / X-Forwarded-Proto are ignored (a client could forge them).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
# The lockout keys on the client's address as the trusted proxies report it (django-ipware is not
# installed, so without this axes would key on REMOTE_ADDR: the proxy's, the same for everyone).
AXES_CLIENT_IP_CALLABLE = "keyaccounts.middleware.client_ip"

# Internationalisation
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
# One date style and digit grouping per language (keyaccounts/formats/<lang>/formats.py). Grouping
# is applied by the figure filters (accounts/templatetags/figures.py, money.py), not to every
# number a template prints: ids, page numbers and data attributes stay plain.
FORMAT_MODULE_PATH = ["keyaccounts.formats"]
USE_THOUSAND_SEPARATOR = False
# The currency of every amount (ISO 4217 code); pages print it with the `money` filters.
CURRENCY = env_str("CURRENCY", "CNY").strip().upper() or "CNY"
if len(CURRENCY) != 3 or not CURRENCY.isalpha():
    raise ImproperlyConfigured(f"CURRENCY must be a three-letter ISO 4217 code, not {CURRENCY!r}")

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles"))

# Uploaded import files wait here between their check and their confirmation; the web app and the
# Celery worker must both reach it (the same machine, or a shared volume).
IMPORT_DIR = env_str("IMPORT_DIR", str(BASE_DIR / "var" / "imports"))
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_MB", 150) * 1024 * 1024
# Customer-list workbooks written by background exports wait here for their owner's download and
# are removed after EXPORT_KEEP_HOURS; the worker writes, the web app reads (a shared directory).
EXPORT_DIR = env_str("EXPORT_DIR", str(BASE_DIR / "var" / "exports"))
EXPORT_KEEP_HOURS = env_int("EXPORT_KEEP_HOURS", 24)

# A night's scoring of a book of at least RISK_CHUNKED_MIN_CUSTOMERS active customers (PostgreSQL)
# is split into chunks of RISK_CHUNK_CUSTOMERS that every free worker process takes a share of.
RISK_CHUNK_CUSTOMERS = env_int("RISK_CHUNK_CUSTOMERS", 5000)
RISK_CHUNKED_MIN_CUSTOMERS = env_int("RISK_CHUNKED_MIN_CUSTOMERS", 20000)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Redis: Celery broker, result backend and shared cache. Unset: tasks run eagerly in-process.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
    # A dead Redis is a cache miss, not an error, and a short wait, not a hang (keyaccounts/faults.py).
    CACHES = {
        "default": {
            "BACKEND": "keyaccounts.faults.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The queue the app sends its tasks to and a worker started without -Q takes them from: apps
# sharing one Redis (a load test beside a deployment) keep their tasks apart with names of their own.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE") or "celery"
# Sending a task to a dead broker fails within about a second instead of retrying for long: the
# request answers, and the work stays recorded as pending (keyaccounts.faults.enqueue).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 30 * 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 35 * 60)
# A task taken by a worker that died without acknowledging it (the whole worker killed, not just
# a pool process) goes back to the queue after this many seconds. It must outlast the longest
# task's hard time limit (the model-quality backtest, 2 h 5 min), or a task still running would
# be handed to a second worker; the nightly task's redelivery still falls well within its 12 h
# expiry, and the next night catches up a night that was lost anyway.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 2 * 3600 + 15 * 60),
    "socket_connect_timeout": 1,
    # A worker looks for such abandoned tasks every interval × throttle seconds (100 s by default).
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": env_int("CELERY_UNACKED_RESTORE_THROTTLE", 10),
}

# /health/ reports the nightly risk run as stale (HTTP 503) when its last success finished longer
# ago than this: a day plus the two hours the run may take and start late.
HEALTH_NIGHTLY_MAX_AGE_HOURS = env_int("HEALTH_NIGHTLY_MAX_AGE_HOURS", 26)

# Email: notifications go out through Django's mail. Without EMAIL_HOST they are printed to the
# console (development); with it, sent over SMTP.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    # Django refuses the pair only when the first email is sent; say so at start-up instead.
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL are exclusive: set one of them to 0.")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "KeyAccounts <keyaccounts@localhost>")
EMAIL_SUBJECT_PREFIX = "[KeyAccounts] "
# The address people open the app at, for links in emails (no trailing slash); empty: relative links.
SITE_URL = env_str("SITE_URL").rstrip("/")


def env_percent_steps(name: str, default: str) -> list[int]:
    """Four rising percentages of an SLA window, one per escalation step."""
    raw = env_str(name, default)
    try:
        steps = [int(item) for item in raw.split(",")]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be four comma-separated integers, not {raw!r}") from exc
    if len(steps) != 4 or steps[0] <= 0 or any(b <= a for a, b in zip(steps, steps[1:], strict=False)):
        raise ImproperlyConfigured(f"{name} must be four rising positive percentages, not {raw!r}")
    return steps


# SLA escalation: the share of a ticket's SLA window (opening to deadline) after which each step
# fires — 1 the assignee (or department heads), 2 the department head, 3 the account owner and
# backup owner, 4 the executives. 80 warns before the deadline; 100 is the deadline itself.
ESCALATION_STEP_PERCENT = env_percent_steps("ESCALATION_STEP_PERCENT", "80,100,150,200")

# The REST API (api/): token first, so an unauthenticated request is told 401 and how to sign in;
# the session too, so a signed-in user reads the API in the browser under the UI's rules.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.IdCursorPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "KeyAccounts API",
    "DESCRIPTION": "Customers, contacts, interactions, risk, alerts, tickets and orders, with the UI's "
    "visibility rules. Authenticate with `Authorization: Token <key>` (your profile page issues the key).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the sidecar's files in our static files: no CDN. (No Redoc page: its
    # template loads web fonts from outside.)
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "RiskBandEnum": "accounts.models.RiskBand",
        "AlertKindEnum": "accounts.models.AlertKind",
        "InteractionKindEnum": "relationships.models.InteractionKind",
        "TicketKindEnum": "complaints.models.Ticket.Kind",
    },
}

# Content-Security-Policy (django-csp): everything from this site only, no inline script or style,
# no eval, no framing. Page behaviour lives in static/js, styles in static/css; JSON data blocks
# (json_script) are not scripts. The API docs page adds what Swagger UI needs (api/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
# Features no page uses, refused to the page and anything it might embed (PermissionsPolicyMiddleware).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "xr-spatial-tracking",
    )
}

# Production hardening, active whenever DEBUG is off: HTTPS only (`manage.py check --deploy` is
# silent with these). bin/run serves plain http with DEBUG on; the test settings turn the redirect off.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    # Plain http is redirected to https (off only where something in front already does it).
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # The load balancer's liveness probe may come over plain http from inside.
    SECURE_REDIRECT_EXEMPT = [r"^health/(live/)?$"]
    # HSTS: browsers that saw the site over https refuse plain http to it for this long. A year by
    # default; a first rollout may start lower (e.g. 3600) and raise it once https is known good.
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600)
    # Both reach beyond this application (every subdomain; the browsers' built-in list), so they
    # are the operator's decision, off unless asked for; the deploy check's reminders are silenced
    # only while they are off.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SILENCED_SYSTEM_CHECKS += [
        *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
        *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
    ]
    # Behind the front web server, which terminates TLS and says so in X-Forwarded-Proto (it must
    # set the header itself, overwriting whatever the client sent). Without a trusted proxy the
    # header is ignored: a client could send it over plain http.
    if TRUSTED_PROXY_COUNT:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
