"""Settings for the Recertification Portal, read from environment variables.

Defaults run at once (SQLite, console email, files on disk); production switches are documented
in docs/deployment.md. Every reader below raises ImproperlyConfigured on a bad value.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.contrib.messages import constants as message_constants
from django.core.exceptions import ImproperlyConfigured

from core.cache import redis_cache_settings
from core.operations import logging_config, sentry_init

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "", *, required: bool = False) -> str:
    value = os.environ.get(name, "")
    if value == "":
        if required:
            raise ImproperlyConfigured(f"The environment variable {name} must be set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off (got {raw!r})."
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number (got {raw!r}).") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum} (got {value}).")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


# --- Core -------------------------------------------------------------------------------------

# On by default so that a checkout runs at once; production sets DEBUG=0 (check --deploy flags it).
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", required=not DEBUG) or "insecure-development-key-only-for-debug"
if not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long in production.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# The portal's public address in absolute links (emails, certificates, badges): required in
# production. In development, when it is not set, links follow the host each request is served on
# (core.site: only hosts ALLOWED_HOSTS names), and commands fall back to http://127.0.0.1:8000.
SITE_URL = env_str("SITE_URL").rstrip("/")
if not DEBUG and not SITE_URL:
    raise ImproperlyConfigured(
        "SITE_URL must be set in production (DEBUG=0): the portal's public address, "
        "e.g. https://portal.example.org, used in emails, certificates and badges."
    )
if SITE_URL and not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(
        f"SITE_URL must be an address starting with https:// or http:// (got {SITE_URL!r})."
    )
SITE_URL_FROM_REQUEST = DEBUG and not SITE_URL
SITE_URL = SITE_URL or "http://127.0.0.1:8000"
SITE_NAME = env_str("SITE_NAME", "Recertification Portal")

INSTALLED_APPS = [
    "core.admin_site.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "csp",
    # Two-step sign-in (members.two_factor): authenticator-app codes and recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_prometheus",
    # The task queue (core.tasks): django-tasks, Django 6's `django.tasks` for Django 5.2, and its
    # database backend, whose tables hold the queue.
    "django_tasks",
    "django_tasks_db",
    # The portal's apps, lowest layer first (docs/architecture.md): each may import only the apps
    # listed before it. The back office is the last app with models: its post_migrate creates the
    # staff groups. The demo data (`load_demo`) sits on top of everything.
    "core",
    "members",
    "recertification",
    "providers",
    "payments",
    "lifecycle",
    "backoffice",
    "demo",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # A request id on the response and on every log line written for the request.
    "core.operations.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A NUL in a query string is refused (400) before it can reach PostgreSQL: core.request_guard.
    "core.request_guard.RefuseNulQueryMiddleware",
    # Absolute links follow the request's host in development (SITE_URL unset): core.site.
    "core.site.SiteURLMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Personal pages: Cache-Control private, no-store for signed-in requests.
    "core.private_pages.PrivatePagesMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A session that owes the second step of sign-in sees only the two-step pages.
    "members.two_factor.SecondStepMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Lockout must see the outcome of authentication, so it comes last (but for the metrics).
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "recert_portal.urls"
WSGI_APPLICATION = "recert_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "members.context_processors.portal",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
try:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a database address: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions -----------------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # A Redis outage costs speed, never a page or a session (core/cache.py).
    CACHES, SESSION_ENGINE = redis_cache_settings(
        REDIS_URL, prefix=env_str("CACHE_KEY_PREFIX", "recert")
    )
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# A member's pages are kept whole in the cache while nothing they show changes (core/page_cache.py:
# keyed on versions the database changes with every write); 0 turns it off.
MEMBER_PAGE_CACHE_SECONDS = env_int("MEMBER_PAGE_CACHE_SECONDS", 15 * 60, minimum=0)
# The portal's entry forms, kept under what they show (the credentials offered, the years, the
# release): the page after a save reuses them; 0 turns it off.
MEMBER_FRAGMENT_CACHE_SECONDS = env_int("MEMBER_FRAGMENT_CACHE_SECONDS", 15 * 60, minimum=0)

# --- Accounts ---------------------------------------------------------------------------------

AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "members.backends.UsernameOrEmailBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Lockout after repeated failed sign-ins, keyed by username and address together so that one
# attacker cannot lock a member out from everywhere.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
# Trusted reverse proxies in front of the portal (0: none, REMOTE_ADDR is the client). The
# client's address is read in one place, members.ratelimit.client_address, for the lockout and
# for the rate limits alike (django-ipware is not installed, so axes would otherwise see the
# proxy's address and lock a member out for everyone behind it).
PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_IPWARE_PROXY_COUNT = PROXY_COUNT
AXES_CLIENT_IP_CALLABLE = "members.ratelimit.client_address"
# One lockout counter per account however its name is typed (username or email, any case).
AXES_USERNAME_CALLABLE = "members.ratelimit.axes_username"

# Password reset and "find my account" requests per address per hour.
ACCOUNT_EMAIL_RATE_LIMIT = env_int("ACCOUNT_EMAIL_RATE_LIMIT", 5, minimum=1)
# Staff give a code from an authenticator app before the admin opens (always in production; the
# demo and the tests turn it off). Members may turn two-step sign-in on for themselves.
STAFF_TWO_FACTOR = env_bool("STAFF_TWO_FACTOR", not DEBUG)
OTP_TOTP_ISSUER = "Recertification Portal"
# Sign-ups per client address per hour (an office behind one address signs up several people).
SIGNUP_RATE_LIMIT = env_int("SIGNUP_RATE_LIMIT", 20, minimum=1)

# --- Internationalisation ---------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True
# Dates as members read them: recert_portal/formats/en/formats.py (the locale's formats win over
# DATE_FORMAT settings, so the project's format module sets them).
FORMAT_MODULE_PATH = ["recert_portal.formats"]
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%m/%d/%Y"]

# --- Static and media files -------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media-not-served/"

AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "region_name": env_str("AWS_S3_REGION_NAME", "us-east-1"),
            "addressing_style": env_str("AWS_S3_ADDRESSING_STYLE", "auto"),
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": env_str(
            "STATICFILES_BACKEND",
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# Supporting files: at most this many per entry, each at most this size.
UPLOAD_MAX_FILES = env_int("UPLOAD_MAX_FILES", 5, minimum=1)
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_MB", 10, minimum=1) * 1024 * 1024
# A batch of emails larger than this (a provider's report of many members) is recorded "queued"
# and sent by the next `retry_emails` run, not inside the request (members.emails.queue_many).
EMAILS_SENT_AFTER_COMMIT = env_int("EMAILS_SENT_AFTER_COMMIT", 25, minimum=0)
# 8 MiB: the providers' API takes up to 10,000 completions in one JSON body (about 1.6 MB as
# sent, 6.7 MB with every field at its longest).
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- Email ------------------------------------------------------------------------------------

EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)
else:
    EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", "Recertification Portal <certification@example.org>"
)
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
SUPPORT_EMAIL = env_str("SUPPORT_EMAIL", "certification@example.org")
# Member emails are recorded (members.Notification) in the transaction of the change and sent
# after commit. These kinds are made when sent (body and files) by the function named, from the
# stored records (members does not import payments).
NOTIFICATION_CONTENT = {
    "payment_receipt": "payments.settlement.receipt_content",
    # A provider's report may email thousands of members: each body is made when it is sent.
    "credits_reported": "providers.reporting.credits_email_content",
}

# --- Background work (core.tasks, docs/deployment.md "Workers") -------------------------------

# "database": tasks are rows written in the transaction of the change that causes them, run by
# `manage.py db_worker` processes on any number of machines (production). "in-process": each task
# runs in the process that queued it, after its transaction commits; no worker to start (`make
# run`, a trial). The default follows DEBUG.
TASK_QUEUE = env_str("TASK_QUEUE", "in-process" if DEBUG else "database")
if TASK_QUEUE not in {"database", "in-process"}:
    raise ImproperlyConfigured('TASK_QUEUE must be "database" or "in-process".')
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend"
        if TASK_QUEUE == "database"
        else "django_tasks.backends.immediate.ImmediateBackend",
        # "default": the lifecycle's steps; "email": one task per email.
        "QUEUES": ["default", "email"],
    }
}
# Sending: at most this many emails a second across all workers (0: no limit); counted in the
# cache, so a deployment with Redis shares one count.
EMAIL_RATE_PER_SECOND = env_int("EMAIL_RATE_PER_SECOND", 0, minimum=0)
# Minutes between the attempts at an email that failed: 9 waits, 10 attempts over about 28 hours.
EMAIL_RETRY_MINUTES = env_str("EMAIL_RETRY_MINUTES", "1,5,15,30,60,120,240,480,720")

# --- Stripe -----------------------------------------------------------------------------------

STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
# Only for a test peer such as localstripe; empty means Stripe's own API.
STRIPE_API_BASE = env_str("STRIPE_API_BASE")
STRIPE_JS_URL = env_str("STRIPE_JS_URL", "https://js.stripe.com/v3/")
# Seconds to wait for Stripe, and retries of a failed network call, before telling the member.
STRIPE_TIMEOUT = env_int("STRIPE_TIMEOUT", 10, minimum=1)
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 1)
CURRENCY = env_str("CURRENCY", "USD")
INVOICE_NUMBER_PREFIX = env_str("INVOICE_NUMBER_PREFIX", "RC-")

# --- Lifecycle: reminders, verification, digital badges -------------------------------------------

# Days before a cycle's deadline on which reminders go out while the report is not submitted:
# each program declares its own (`reminder_days` in recertification/rules/); set this to override
# them all.
REMINDER_DAYS = env_list("REMINDER_DAYS", [])
INVOICE_REMINDER_DAYS = env_list("INVOICE_REMINDER_DAYS", ["14", "0"])
VERIFY_RATE_LIMIT = env_int("VERIFY_RATE_LIMIT", 30, minimum=1)
VERIFY_RATE_WINDOW = env_int("VERIFY_RATE_WINDOW_SECONDS", 600, minimum=60)
# 32 bytes (hex or base64url) signing the Open Badges credentials; derived from SECRET_KEY when unset.
BADGE_SIGNING_KEY = env_str("BADGE_SIGNING_KEY")

# --- Security ---------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if env_bool("BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
X_FRAME_OPTIONS = "DENY"
# A friendly page (status 403) when a form is posted without its CSRF token.
CSRF_FAILURE_VIEW = "recert_portal.urls.csrf_failure"

_stripe_js_origin = "/".join(STRIPE_JS_URL.split("/")[:3])
_stripe_api_origin = "/".join((STRIPE_API_BASE or "https://api.stripe.com").split("/")[:3])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", _stripe_js_origin],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'", _stripe_api_origin, _stripe_js_origin],
        "frame-src": [_stripe_js_origin, "https://hooks.stripe.com"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Pages ------------------------------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
MESSAGE_TAGS = {message_constants.ERROR: "danger"}

# One line per record, with the request id (core.operations); LOG_FORMAT=json for JSON lines.
LOGGING = logging_config(
    json_lines=env_str("LOG_FORMAT", "text") == "json", level=env_str("LOG_LEVEL", "INFO")
)
# Errors to Sentry when SENTRY_DSN is set (no personal data is sent).
sentry_init(
    env_str("SENTRY_DSN"),
    environment=env_str("SENTRY_ENVIRONMENT", "production" if not DEBUG else "development"),
    release=env_str("SENTRY_RELEASE"),
)
# Addresses that may read /metrics (Prometheus), comma-separated; none by default.
METRICS_ALLOWED_IPS = [a.strip() for a in env_str("METRICS_ALLOWED_IPS").split(",") if a.strip()]
