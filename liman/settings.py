"""Liman settings, read from the environment.

Development defaults are safe and need nothing installed; `LIMAN_ENV=production`
refuses to start with a default secret, debug on or no allowed hosts.
"""

import os
from decimal import Decimal, InvalidOperation
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LIMAN_VAR_DIR", BASE_DIR / "var"))

_DEV_SECRET = "liman-development-secret-do-not-use-in-production"  # noqa: S105


def env_str(name: str, default: str = "") -> str:
    """A string setting; `NAME_FILE` names a file holding the value (for secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no).")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from exc


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}.") from None


def env_decimal(name: str, default: str) -> Decimal:
    value = os.environ.get(name) or default
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ImproperlyConfigured(f"{name} must be a decimal number, not {value!r}.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


LIMAN_ENV = env_str("LIMAN_ENV", "development")
if LIMAN_ENV not in ("development", "production"):
    raise ImproperlyConfigured(f"LIMAN_ENV={LIMAN_ENV!r} must be 'development' or 'production'.")
IS_PRODUCTION = LIMAN_ENV == "production"

DEBUG = env_bool("LIMAN_DEBUG", not IS_PRODUCTION)
SECRET_KEY = env_str("LIMAN_SECRET_KEY", _DEV_SECRET)
ALLOWED_HOSTS = env_list("LIMAN_ALLOWED_HOSTS", "" if IS_PRODUCTION else "127.0.0.1,localhost,testserver")

if IS_PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("LIMAN_DEBUG must be off in production.")
    if SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 40:
        raise ImproperlyConfigured("LIMAN_SECRET_KEY must be set to a random value of at least 40 characters.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("LIMAN_ALLOWED_HOSTS must name the hosts Liman is served on.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "liman.core.apps.CoreConfig",
    "liman.registry.apps.RegistryConfig",
    "liman.dedup.apps.DedupConfig",
    "liman.health.apps.HealthConfig",
    "liman.movements.apps.MovementsConfig",
    "liman.cases.apps.CasesConfig",
    "liman.messaging.apps.MessagingConfig",
    "liman.assistance.apps.AssistanceConfig",
    "liman.cash.apps.CashConfig",
    "liman.consignments.apps.ConsignmentsConfig",
    "liman.feedback.apps.FeedbackConfig",
    "liman.activities.apps.ActivitiesConfig",
    "liman.livelihoods.apps.LivelihoodsConfig",
    "liman.dtm.apps.DtmConfig",
    "liman.reporting.apps.ReportingConfig",
    "liman.privacy.apps.PrivacyConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "liman.core.middleware.NulCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "liman.core.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "liman.core.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "liman.urls"
WSGI_APPLICATION = "liman.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "liman.core.context_processors.navigation_items",
            ],
        },
    },
]

# Forms and widgets are rendered by Jinja2 where Django ships a Jinja2 template for them (liman/core/renderers.py).
FORM_RENDERER = "liman.core.renderers.FormRenderer"

# Database: SQLite under var/ unless DATABASE_URL names another one.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'liman.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("LIMAN_DB_CONN_MAX_AGE", 0))}
# A persistent connection (LIMAN_DB_CONN_MAX_AGE) is checked before a request reuses it: after PostgreSQL restarts,
# the first request gets a new connection instead of an error.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Lockouts, Digest nonces, sessions and task progress are database rows, never one process's memory. What Django or
# a library caches goes to the database in production too, so that every web server sees the same (`liman
# createcachetable` after `migrate` makes its table); development and tests keep it in memory.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "liman_cache"}
    if IS_PRODUCTION
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
if (
    IS_PRODUCTION
    and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    and not env_bool("LIMAN_ALLOW_SQLITE", False)
):
    raise ImproperlyConfigured(
        "DATABASE_URL must name a PostgreSQL database in production (a country office's staff write at once, "
        "and backups, workers and more than one web server need it). LIMAN_ALLOW_SQLITE=1 allows SQLite anyway "
        "(a single-user installation)."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock
        # at BEGIN so two writers queue instead of failing mid-transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"

# Lockout after repeated failed logins (django-axes): per user name and address.
AXES_FAILURE_LIMIT = env_int("LIMAN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LIMAN_LOGIN_COOLOFF_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Sessions end after 30 idle minutes and when the browser closes. The session is saved when it changes, and at most
# once a minute to move its expiry on (liman.core.middleware.SessionMiddleware), not on every request.
SESSION_COOKIE_AGE = env_int("LIMAN_SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = IS_PRODUCTION
CSRF_COOKIE_SECURE = IS_PRODUCTION
SECURE_SSL_REDIRECT = env_bool("LIMAN_SSL_REDIRECT", IS_PRODUCTION)
SECURE_HSTS_SECONDS = 31536000 if IS_PRODUCTION else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if IS_PRODUCTION else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("tr", "Türkçe"), ("ar", "العربية")]
LOCALE_PATHS = [BASE_DIR / "liman" / "locale"]
TIME_ZONE = "Europe/Istanbul"
USE_I18N = True
USE_TZ = True
# Dates read the same in every language: ISO 8601 (liman/formats/).
FORMAT_MODULE_PATH = ["liman.formats"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    # Files at rest are encrypted with the field keys (a data key per file): liman/core/storage.py.
    "default": {"BACKEND": "liman.core.storage.EncryptedFileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an unauthenticated call gets 401 with a WWW-Authenticate header.
        "liman.core.tokens.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Liman API",
    "DESCRIPTION": "Every route answers only within the caller's office and programme scope.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Choice sets of the same field name in several apps, named apart.
    "ENUM_NAME_OVERRIDES": {
        "SexEnum": "liman.registry.choices.Sex.choices",
        "IncidentSexEnum": "liman.assistance.choices.Sex.choices",
        "PaymentStatusEnum": "liman.cash.choices.PaymentStatus.choices",
        "TrancheStatusEnum": "liman.livelihoods.choices.TrancheStatus.choices",
        "JobReferralStatusEnum": "liman.livelihoods.choices.ReferralStatus.choices",
    },
}

TASKS = {
    "default": {
        "BACKEND": env_str("LIMAN_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# A running task writes a heartbeat this often; one whose heartbeat is older than LIMAN_TASK_STALE_SECONDS lost
# its worker (killed, out of memory) and is marked failed, so its progress bar stops.
LIMAN_TASK_HEARTBEAT_SECONDS = env_float("LIMAN_TASK_HEARTBEAT_SECONDS", 5)
LIMAN_TASK_STALE_SECONDS = env_float("LIMAN_TASK_STALE_SECONDS", 180)

# Field encryption: comma-separated Fernet keys, newest first. Without them a development
# key is created under var/ (never in production).
LIMAN_FIELD_KEYS = env_list("LIMAN_FIELD_KEYS")
LIMAN_BLIND_INDEX_KEY = env_str("LIMAN_BLIND_INDEX_KEY")
LIMAN_DEV_KEY_FILE = VAR_DIR / "field-keys.txt"
if IS_PRODUCTION and (not LIMAN_FIELD_KEYS or not LIMAN_BLIND_INDEX_KEY):
    raise ImproperlyConfigured("LIMAN_FIELD_KEYS and LIMAN_BLIND_INDEX_KEY must be set in production.")
# The audit chain is keyed (HMAC-SHA256): comma-separated keys, newest first; the newest seals new events, the
# others still check the events they sealed. Held outside the database, so whoever can rewrite the audit table
# cannot recompute the chain. In development a key is created under var/ beside the field keys.
LIMAN_AUDIT_KEY = env_list("LIMAN_AUDIT_KEY")
if IS_PRODUCTION and not LIMAN_AUDIT_KEY:
    raise ImproperlyConfigured("LIMAN_AUDIT_KEY must be set in production.")
# Payment files to providers are signed (Ed25519, detached): 32 random bytes, URL-safe base64. Held outside the
# database; providers get the public key (`liman cash public-key`). In development a key is created under var/.
LIMAN_PAYMENT_SIGNING_KEY = env_str("LIMAN_PAYMENT_SIGNING_KEY", "")
if IS_PRODUCTION and not LIMAN_PAYMENT_SIGNING_KEY:
    raise ImproperlyConfigured("LIMAN_PAYMENT_SIGNING_KEY must be set in production.")

# Counter-trafficking: the reflection period after identification (docs/domain.md: 30 days), and the smallest
# group of victims a CTDC export may publish.
LIMAN_CT_REFLECTION_DAYS = env_int("LIMAN_CT_REFLECTION_DAYS", 30)
LIMAN_CTDC_K = env_int("LIMAN_CTDC_K", 11)
# Residence permits of victims of trafficking: one period at most this many months, all periods together at
# most this many (docs/domain.md: at most 6 months a period, 3 years in total).
LIMAN_VICTIM_PERMIT_MAX_MONTHS = env_int("LIMAN_VICTIM_PERMIT_MAX_MONTHS", 6)
LIMAN_VICTIM_PERMIT_TOTAL_MONTHS = env_int("LIMAN_VICTIM_PERMIT_TOTAL_MONTHS", 36)
# Imports: staged files neither committed nor discarded lose their rows after this many days
# (`liman import purge`, run daily); SQLite's page cache while an import writes, in MB.
LIMAN_STAGING_KEEP_DAYS = env_int("LIMAN_STAGING_KEEP_DAYS", 14)
LIMAN_IMPORT_SQLITE_CACHE_MB = env_int("LIMAN_IMPORT_SQLITE_CACHE_MB", 256)
# Uploads up to this size are checked, and batches up to this many rows committed, while the page waits; larger
# ones go to the background.
LIMAN_IMPORT_INLINE_BYTES = env_int("LIMAN_IMPORT_INLINE_BYTES", 512 * 1024)
LIMAN_IMPORT_INLINE_ROWS = env_int("LIMAN_IMPORT_INLINE_ROWS", 5000)
# How large an imported file may be (liman.core.tabular.Limits): bytes, bytes once unzipped (XLSX), rows,
# characters of a cell, columns, cells; parts of a workbook other than its sheets (shared strings, styles), each,
# and the characters of the texts a workbook shares between its cells, together (openpyxl holds both whole).
LIMAN_IMPORT_MAX_BYTES = env_int("LIMAN_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
LIMAN_IMPORT_MAX_UNZIPPED_BYTES = env_int("LIMAN_IMPORT_MAX_UNZIPPED_BYTES", 500 * 1024 * 1024)
LIMAN_IMPORT_MAX_ROWS = env_int("LIMAN_IMPORT_MAX_ROWS", 200_000)
LIMAN_IMPORT_MAX_CELL_CHARS = env_int("LIMAN_IMPORT_MAX_CELL_CHARS", 1000)
LIMAN_IMPORT_MAX_COLUMNS = env_int("LIMAN_IMPORT_MAX_COLUMNS", 500)
LIMAN_IMPORT_MAX_CELLS = env_int("LIMAN_IMPORT_MAX_CELLS", 3_000_000)
LIMAN_IMPORT_MAX_PART_BYTES = env_int("LIMAN_IMPORT_MAX_PART_BYTES", 100 * 1024 * 1024)
LIMAN_IMPORT_MAX_TEXT_CHARS = env_int("LIMAN_IMPORT_MAX_TEXT_CHARS", 50_000_000)
# A list downloads as CSV or XLSX up to this many rows; over it, the list asks to narrow the filters first.
LIMAN_EXPORT_MAX_ROWS = env_int("LIMAN_EXPORT_MAX_ROWS", 50_000)
# Days within which a person's request about their data (access, correction, deletion) is answered.
LIMAN_SUBJECT_REQUEST_DAYS = env_int("LIMAN_SUBJECT_REQUEST_DAYS", 30)
#: Record linkage: match probabilities from which a pair is "auto-link" (likely the same person) and "review"
#: (a human decides); offices may set their own. The environment variable LIMAN_DEDUP_BACKEND (read by
#: liman.dedup.engine, which runs without Django too) chooses duckdb (one machine, the default) or spark.
LIMAN_DEDUP_AUTO_LINK = env_float("LIMAN_DEDUP_AUTO_LINK", 0.90)
LIMAN_DEDUP_REVIEW = env_float("LIMAN_DEDUP_REVIEW", 0.02)

# Resettlement: the fit-to-fly check counts within this many hours before departure (docs/domain.md: 72); travellers
# are reminded of their flight this many hours before it departs.
LIMAN_FIT_TO_FLY_HOURS = env_int("LIMAN_FIT_TO_FLY_HOURS", 72)
LIMAN_FLIGHT_REMINDER_HOURS = env_int("LIMAN_FLIGHT_REMINDER_HOURS", 48)
# Livelihoods: the monthly minimum wage (gross, TRY) a work permit's wage is checked against; set it when the
# rate changes.
LIMAN_MINIMUM_WAGE = env_decimal("LIMAN_MINIMUM_WAGE", "26005.50")
# Reporting: the partner named in the 4W's rows; a .docx donor report template of a programme's own, with the
# fields of the shipped one (empty: the shipped one).
LIMAN_REPORTING_PARTNER = env_str("LIMAN_REPORTING_PARTNER", "IOM")
LIMAN_DONOR_REPORT_TEMPLATE = env_str("LIMAN_DONOR_REPORT_TEMPLATE", "")

# Field data: after this many wrong passwords in a row for one field user name (an ODK Collect login) from one
# address, each further try from that address waits 2, 4, 8, … seconds, up to this many minutes; other addresses
# (the enumerator's own phone) are not held back. An administrator of the office clears the counts.
LIMAN_FIELD_LOCKOUT_ATTEMPTS = env_int("LIMAN_FIELD_LOCKOUT_ATTEMPTS", 10)
LIMAN_FIELD_LOCKOUT_MINUTES = env_int("LIMAN_FIELD_LOCKOUT_MINUTES", 30)
# OpenRosa (ODK Collect, KoboCollect): the Digest realm field users sign in to, how long a Digest nonce is
# accepted, in seconds, and the largest submission, in bytes. Published DTM figures show no cell under this many
# people.
LIMAN_OPENROSA_REALM = env_str("LIMAN_OPENROSA_REALM", "Liman")
LIMAN_OPENROSA_NONCE_SECONDS = env_int("LIMAN_OPENROSA_NONCE_SECONDS", 900)
LIMAN_OPENROSA_MAX_BYTES = env_int("LIMAN_OPENROSA_MAX_BYTES", 10_000_000)
LIMAN_DTM_MIN_CELL = env_int("LIMAN_DTM_MIN_CELL", 11)
# API tokens (`liman api-token`, the API token page) expire after this many days.
LIMAN_API_TOKEN_DAYS = env_int("LIMAN_API_TOKEN_DAYS", 90)
# A Unicode font for PDF manifests (Turkish and Arabic names); Debian's fonts-dejavu-core ships it. Without it a
# PDF falls back to the built-in Helvetica, with names folded to the letters it has (ş → s, ı → i).
LIMAN_PDF_FONT = env_str("LIMAN_PDF_FONT", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
# About this many people per office in the demo data (`make run`); tests make it smaller.
LIMAN_DEMO_PEOPLE_PER_OFFICE = env_int("LIMAN_DEMO_PEOPLE_PER_OFFICE", 600)

# Roles that must confirm a TOTP code after the password.
LIMAN_SECOND_FACTOR_ROLES = env_list("LIMAN_SECOND_FACTOR_ROLES", "administrator,data_protection_focal_point")
OTP_TOTP_ISSUER = "Liman"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LIMAN_LOG_LEVEL", "WARNING")},
}
