"""Settings, all read from the environment.

Every setting has an embedded default that needs no server (SQLite, a filesystem Celery broker, mail written
to files), so a newcomer can run the demo with nothing but Python. Production sets ``DATABASE_URL``,
``CELERY_BROKER_URL``, ``SECRET_KEY`` and turns ``DEBUG`` off.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("COHORTOPS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int | None) -> int | None:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

DEV_SECRET_KEY = "django-insecure-cohortops-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = DEV_SECRET_KEY  # cohort.checks warns about it on every manage.py command

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "cohort.project.admin_config.CohortopsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "cohort",
    "mentors",
    "scholars",
    "scheduling",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before sessions and authentication: a client out of failed guesses costs no lookup.
    "cohort.throttles.FailedGuessThrottleMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cohort.project.urls"
WSGI_APPLICATION = "cohort.project.wsgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'cohortops.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, with a health check that asks the server only when it has said something (a restart, say).
    DATABASES["default"]["ENGINE"] = "cohort.project.postgresql"
    # psycopg prepares a statement the fifth time a connection runs it; Django turns that off, and only the
    # statements of cohort.prepared, sent with their values apart, can be prepared. Off behind a connection pooler
    # in transaction mode that does not keep prepared statements per client.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        5 if env_bool("DB_PREPARED_STATEMENTS", True) else None
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs web, worker and beat on one SQLite file: wait for locks instead of failing at once.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"

# --- Cache (feeds and their stamps, API logins and answers, the read generation; throttle counts) ----------
# Every process that writes or serves must share it: a plan applied on the worker ends what the web app serves
# from it (cohort.generation). Files under VAR_DIR are shared by the processes of one machine; Redis by many.
CACHES = {
    "default": (
        {"BACKEND": "cohort.project.caches.PooledRedisCache", "LOCATION": os.environ["CACHE_URL"]}
        if os.environ.get("CACHE_URL", "").startswith("redis")
        else {
            "BACKEND": "cohort.project.caches.SharedFileCache",
            "LOCATION": VAR_DIR / "cache",
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    )
}

# --- Mail ---------------------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "cohortops <cohortops@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
else:
    # No mail server configured: write each message to a file a newcomer can open.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# --- Celery -----------------------------------------------------------------------------------------------
# The default broker is kombu's filesystem transport: no server, good for one machine. Production: redis://.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
_BROKER_DIR = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("in", "processed", "control"):
        (_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Without control_folder kombu writes its exchange tables into the working directory.
        "control_folder": str(_BROKER_DIR / "control"),
        "data_folder_in": str(_BROKER_DIR / "in"),
        "data_folder_out": str(_BROKER_DIR / "in"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "store_processed": False,
    }
else:
    # Above the longest task time limit, so a running task is never handed to a second worker.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Where workers hand back results: only a plan's parts use one (a chord, scheduling.tasks), and every other task
# keeps none. A Redis broker serves as one unless another is named (over TLS, rediss://, name it: Celery's result
# backend needs its ssl_cert_reqs); without one, plans are solved on one worker.
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or (
    CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis://") else None
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = 3600  # a part's outcome is read once its round's last part is in
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 600
CELERY_TASK_SOFT_TIME_LIMIT = 540
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Beat's periodic tasks (the notification tick, sweeps, recoveries) go to a queue of their own, so a backlog of
# sends never holds them up; run a worker on it (`--queues ticks`), ideally a process of its own.
TICK_QUEUE = os.environ.get("CELERY_TICK_QUEUE", "ticks")
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_ROUTES = {
    "scheduling.tasks.dispatch_due_notifications": {"queue": TICK_QUEUE},
    "scheduling.tasks.write_periodic_notifications": {"queue": TICK_QUEUE},
    "scheduling.tasks.recover_lost_plan_runs": {"queue": TICK_QUEUE},
    "mentors.tasks.recover_lost_import_jobs": {"queue": TICK_QUEUE},
    "scholars.tasks.read_due_calendar_sources": {"queue": TICK_QUEUE},
}
# Celery's Django fixup closes every database connection around every task unless this is set, so each task
# opened a new one. Set, it closes them only every this many tasks; cohort.project.celery closes the obsolete and
# broken ones around each task instead, by CONN_MAX_AGE and the health check, as Django does around a request.
# 0: a new connection for every task, as before.
CELERY_DB_REUSE_MAX = int(os.environ.get("CELERY_DB_REUSE_MAX", "1000"))

# --- Notifications (scheduling.dispatch) -----------------------------------------------------------------
# Escalations go here; empty: to every active staff user with an email address.
STAFF_ALERT_EMAILS = env_list("STAFF_ALERT_EMAILS")
# The lease of a claimed row. A running attempt renews it before each delivery (a heartbeat); a row whose lease ran
# out (its task lost from the broker, its worker killed) is enqueued again by the next tick. So a dead worker's
# rows go out again within a lease and a tick.
NOTIFICATION_SENDING_TIMEOUT_SECONDS = int(os.environ.get("NOTIFICATION_SENDING_TIMEOUT_SECONDS", "60"))
# Rows per send task: one claim starts their attempts, one load, one transaction records the outcomes other than
# sent (a sent row is marked at once, so a killed worker repeats at most the one mail it was recording).
NOTIFICATION_SEND_BATCH_SIZE = int(os.environ.get("NOTIFICATION_SEND_BATCH_SIZE", "25"))
# A transient failure (SMTP down, Slack 5xx) retries after base, 2 × base, 4 × base … seconds, at most the
# maximum, each drawn between half and all of it; from the tick, so at the tick's granularity (a minute). A row is
# retried while it is worth sending (its meeting has not started), for at most RETRY_FOR after it fell due.
NOTIFICATION_RETRY_BASE_SECONDS = float(os.environ.get("NOTIFICATION_RETRY_BASE_SECONDS", "30"))
NOTIFICATION_RETRY_MAX_SECONDS = float(os.environ.get("NOTIFICATION_RETRY_MAX_SECONDS", "300"))
NOTIFICATION_RETRY_FOR_SECONDS = float(os.environ.get("NOTIFICATION_RETRY_FOR_SECONDS", str(24 * 3600)))
# Hosts Slack webhook URLs may name (https only, public addresses only: see cohort.outbound).
OUTBOUND_WEBHOOK_HOSTS = env_list("OUTBOUND_WEBHOOK_HOSTS", "hooks.slack.com")
# Integrations' webhook endpoints: how long a rotated secret still signs messages next to the new one, and how
# soon a message waiting behind an earlier one about the same thing is looked at again.
WEBHOOK_SECRET_OVERLAP_HOURS = float(os.environ.get("WEBHOOK_SECRET_OVERLAP_HOURS", "24"))
WEBHOOK_ORDER_WAIT_SECONDS = float(os.environ.get("WEBHOOK_ORDER_WAIT_SECONDS", "5"))
# Hosts integrations' webhook endpoints may name; empty: any public host.
OUTBOUND_ENDPOINT_HOSTS = env_list("OUTBOUND_ENDPOINT_HOSTS", "")
# Hosts people's calendar addresses may name; empty: any public host (Google, Outlook, iCloud and the rest).
OUTBOUND_CALENDAR_HOSTS = env_list("OUTBOUND_CALENDAR_HOSTS", "")
# The demo only (run.py demo sets it): "127.0.0.1:PORT" origins on this machine whose calendars may be read over
# plain http. `check --deploy` refuses it when DEBUG is off.
OUTBOUND_LOCAL_CALENDAR_ORIGINS = env_list("COHORTOPS_LOCAL_CALENDAR_ORIGINS", "")
# Reading a person's own calendar for busy times: how often, how far ahead, and what a source may cost a worker.
CALENDAR_REFRESH_MINUTES = int(os.environ.get("CALENDAR_REFRESH_MINUTES", "30"))
CALENDAR_HORIZON_DAYS = int(os.environ.get("CALENDAR_HORIZON_DAYS", "365"))
CALENDAR_MAX_BYTES = int(os.environ.get("CALENDAR_MAX_BYTES", str(5 * 1024 * 1024)))
CALENDAR_TIMEOUT_SECONDS = float(os.environ.get("CALENDAR_TIMEOUT_SECONDS", "20"))
CALENDAR_READS_PER_TICK = int(os.environ.get("CALENDAR_READS_PER_TICK", "100"))
# Tests only, so never read from the environment: lets webhooks and calendars reach a plain-http server on a loopback address.
OUTBOUND_ALLOW_LOOPBACK_FOR_TESTS = False

# --- REST framework ---------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an unauthenticated call then gets a 401 with WWW-Authenticate, as HTTP says.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cohort.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies only (uploads declare their own parsers): in form encoding DRF reads an empty field as
    # "not sent", so a request could mean two things; in JSON it means one.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "cohort.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "cohort.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "cohort.filters.IdFilterBackend",
        "cohort.filters.FieldKeyedSearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "cohort.api_errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "cohort.throttles.AnonRateThrottle",
        "cohort.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("THROTTLE_ANON", "60/minute"),
        "user": os.environ.get("THROTTLE_USER", "2000/minute"),
    },
    # How many proxies in front add to X-Forwarded-For; unset: the header is not trusted for client addresses.
    "NUM_PROXIES": env_int("NUM_PROXIES", None),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "cohortops API",
    "DESCRIPTION": "Cohorts, streams, mentors, scholars, meetings, check-ins and calendar feeds.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and ReDoc come pinned with the drf-spectacular-sidecar package and are served from here: the docs
    # work offline, and the Content-Security-Policy needs no other origin.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cohort.schema.add_error_responses",
        "cohort.schema.document_empty_query_values",
    ],
}

# --- Failed guesses (cohort.throttles) -------------------------------------------------------------------------
# Counted per client address (and per username for admin sign-ins) before authentication runs; a client that
# reaches a limit is refused until its window ends. 0 turns a limit off.
FAILURE_WINDOW_SECONDS = env_int("FAILURE_WINDOW_SECONDS", 900)
API_AUTH_FAILURE_LIMIT = env_int("API_AUTH_FAILURE_LIMIT", 30)  # API answers of 401
FEED_MISS_LIMIT = env_int("FEED_MISS_LIMIT", 30)  # unknown or revoked feed URLs
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)  # wrong admin passwords
SIGN_IN_LINK_LIMIT_PER_CLIENT = env_int("SIGN_IN_LINK_LIMIT_PER_CLIENT", 10)  # links asked for, any address
SIGN_IN_LINK_LIMIT_PER_ADDRESS = env_int("SIGN_IN_LINK_LIMIT_PER_ADDRESS", 3)  # links asked for one address

# --- Sign-in (cohort.sign_in) ----------------------------------------------------------------------------------
# Scholars and mentors sign in by a single-use link mailed to them; staff with their password in the admin.
LOGIN_URL = "sign-in"
SIGN_IN_LINK_MINUTES = env_int("SIGN_IN_LINK_MINUTES", 15)
INVITATION_LINK_DAYS = env_int("INVITATION_LINK_DAYS", 7)  # the link in a first invitation, read days later

# --- Content-Security-Policy (django-csp) -----------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # Inline <style> blocks (the admin's week page, Swagger UI's page); inline scripts stay refused.
        "style-src": [SELF, UNSAFE_INLINE],
        # data: for Swagger UI's and ReDoc's icons.
        "img-src": [SELF, "data:"],
        # ReDoc searches the API in a web worker it starts from a blob: URL.
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Security (production) ----------------------------------------------------------------------------------
# Only behind a proxy that terminates TLS and sets X-Forwarded-Proto itself, overwriting any the client sent:
# otherwise a client could claim https. Behind such a proxy, without it, SECURE_SSL_REDIRECT redirects forever.
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub_secrets": {"()": "cohort.logging.ScrubSecrets"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["scrub_secrets"]}},
    # The root's console handler is the only handler: the loggers Django and gunicorn give handlers of their own
    # (django's console and mail_admins, django.server's, gunicorn's access and error logs) lose them and
    # propagate here, so every record passes the scrubbing filter. Naming a logger removes its old handlers.
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"level": "INFO", "propagate": True},
        "django.server": {"level": "INFO", "propagate": True},
        "django.request": {"level": "WARNING", "propagate": True},
        "gunicorn.access": {"level": "INFO", "propagate": True},
        # No level: gunicorn's --log-level keeps deciding.
        "gunicorn.error": {"propagate": True},
    },
}

# --- cohortops -------------------------------------------------------------------------------------------
SEEDS_DIR = BASE_DIR / "seeds"
# The largest stream document taken, in bytes (the API answers 413 beyond it, the admin's form names it).
STREAM_DOCUMENT_MAX_BYTES = env_int("STREAM_DOCUMENT_MAX_BYTES", 2 * 1024 * 1024)
# How long the CP-SAT solver may search for one cohort's plan.
PLANNER_TIME_LIMIT_SECONDS = float(os.environ.get("PLANNER_TIME_LIMIT_SECONDS", "20"))
# A cohort with at least this many demands (mentor-scholar and group meetings to place) has its independent parts
# solved on all the workers, when there is a result backend; smaller ones solve faster on one.
PLANNER_FAN_OUT_MIN_DEMANDS = env_int("PLANNER_FAN_OUT_MIN_DEMANDS", 300)
