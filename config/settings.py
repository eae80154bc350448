"""Lofte settings: one module, driven by environment variables, embedded defaults.

Production uses this same module with other variables (DATABASE_URL,
SECRET_KEY, ALLOWED_HOSTS, EMAIL_BACKEND ...); there is no second settings file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("LOFTE_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else generated once and kept in DATA_DIR."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "django_tasks_db",
    "channels",
    "lofte.core",
    "lofte.accounts",
    "lofte.customers",
    "lofte.cases",
    "lofte.outbox",
    "lofte.notifications",
    "lofte.promises",
    "lofte.kb",
    "lofte.channels",
    "lofte.webform",
    "lofte.portal",
    "lofte.callbacks",
    "lofte.helpcentre",
    "lofte.teams",
    "lofte.configure",
    "lofte.routing",
    "lofte.complaints",
    "lofte.incidents",
    "lofte.surveys",
    "lofte.triage",
    "lofte.demo",
    "benchmarks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "lofte.core.middleware.ReaderPreferencesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "lofte.notifications.context_processors.unread",
                "lofte.accounts.context_processors.roles",
                "lofte.routing.context_processors.my_status",
            ],
            "builtins": ["django.templatetags.i18n"],
        },
    }
]

# --- Database -------------------------------------------------------------
# DATABASE_URL selects the database; unset, an embedded SQLite file in DATA_DIR.
#
# SQLite: WAL mode, IMMEDIATE transactions, and Lofte's backend (lofte/core/db/sqlite3), in which writers
# take fair turns: in arrival order inside a process, through a file lock beside the database across processes.
#
# PostgreSQL: a bounded pool of connections per process (psycopg's pool; Django's OPTIONS["pool"]). Every web
# process and the worker hold at most LOFTE_DB_POOL_SIZE connections (default 8); a request that finds them all
# busy waits up to LOFTE_DB_POOL_TIMEOUT seconds (default 10) for one. Size the server for
# (web processes + 1 worker) x LOFTE_DB_POOL_SIZE + a few for administration, below its max_connections
# (100 by default): 2 web processes and the worker at 8 is 24 (README, "Deploying"). LOFTE_DB_POOL_SIZE=0
# turns the pool off: then a connection per request, or kept for CONN_MAX_AGE seconds (lofte.core.asgi runs a
# web process's requests in one thread, whose connection it is).
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 10,  # seconds: SQLite's busy timeout, and the longest a writer waits for its turn
}
DB_POOL_SIZE = int(os.environ.get("LOFTE_DB_POOL_SIZE", "8"))
DB_POOL_TIMEOUT = float(os.environ.get("LOFTE_DB_POOL_TIMEOUT", "10"))
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'lofte.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["ENGINE"] = "lofte.core.db.sqlite3"
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
    # Kept open from request to request (lofte.core.asgi runs a process's requests in one thread, whose
    # connection this is): opening one, and SQLite reading the schema again, costs a request 1-2 ms.
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "600"))
    # Tests get a file of their own (not :memory:) so that the worker,
    # the live server and the browser test see the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test_lofte.sqlite3")}
# PostgreSQL: the planner's cost of a random page read, 1.1 for data in memory or on SSD (PostgreSQL's default, 4,
# is for spinning disks, and makes it read every search document rather than the GIN index for a common word).
# LOFTE_PG_RANDOM_PAGE_COST="" leaves the server's own setting.
PG_RANDOM_PAGE_COST = os.environ.get("LOFTE_PG_RANDOM_PAGE_COST", "1.1").strip()
# PostgreSQL: parallel workers per query, 0 by default. Lofte's queries read what a page shows through indexes;
# starting two worker processes for one of them cost more (10 ms, measured on the board) than the query, and
# under load the cores are busy with other requests anyway. LOFTE_PG_PARALLEL_WORKERS="" leaves the server's.
PG_PARALLEL_WORKERS = os.environ.get("LOFTE_PG_PARALLEL_WORKERS", "0").strip()
# PostgreSQL: no JIT compilation by default. It starts above a planner cost that a board or a search over a
# million cases reaches on its estimates alone, and then compiles for 0.5 s a query that runs in 0.2 s (measured
# on the board at 1,000,000 cases). LOFTE_PG_JIT="" leaves the server's setting, "on" turns it on.
PG_JIT = os.environ.get("LOFTE_PG_JIT", "off").strip().lower()
_pg_options = [
    f"-c random_page_cost={float(PG_RANDOM_PAGE_COST)}" if PG_RANDOM_PAGE_COST else "",
    f"-c max_parallel_workers_per_gather={int(PG_PARALLEL_WORKERS)}" if PG_PARALLEL_WORKERS else "",
    f"-c jit={'on' if PG_JIT in {'on', '1', 'true', 'yes'} else 'off'}" if PG_JIT else "",
]
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and any(_pg_options):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = " ".join(o for o in _pg_options if o)
# PostgreSQL: server-side parameters, so psycopg prepares a statement run often (prepare_threshold) and the server
# plans it once: per routed case 2.5 ms of client CPU instead of 3.4 and 1.75 ms of the server's instead of 2.7
# (measured with bench_routing: a median of 172 assignments/s without, 216 with). Needs a direct connection
# or psycopg's pool, as configured here (not PgBouncer in transaction mode: LOFTE_PG_SERVER_SIDE_BINDING=0 there).
PG_SERVER_SIDE_BINDING = os.environ.get("LOFTE_PG_SERVER_SIDE_BINDING", "1").strip().lower() in {"1", "on", "true"}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and PG_SERVER_SIDE_BINDING:
    DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 2})
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(2, DB_POOL_SIZE),
        "max_size": DB_POOL_SIZE,
        "timeout": DB_POOL_TIMEOUT,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.Agent"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "cases:inbox"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- Login throttling (lofte/accounts/throttle.py, docs/decisions/0006-login-throttling.md) ----------------
# Every password login (the login page, the admin's) goes through the throttled backend. The client is
# REMOTE_ADDR (IPv6 by /64): a reverse proxy in front must set it to the client's address. Failures per account
# and client within LOFTE_LOGIN_WINDOW_MINUTES: at the limit that client is locked out of that account for
# LOFTE_LOGIN_LOCK_MINUTES. Failures per client across accounts (password spraying): at the limit the client is
# locked out of every account as long. Failures per account across clients within
# LOFTE_LOGIN_ACCOUNT_WINDOW_MINUTES: from the limit on, each failure makes the next attempt wait
# LOFTE_LOGIN_ACCOUNT_DELAY_SECONDS (a slow-down, not a lock-out). A browser that logged in to the account in the
# last LOFTE_LOGIN_DEVICE_DAYS (a signed cookie) is held only by its own failures. API bearer tokens that fail, per
# client within the window: at the limit that client's bad tokens get 429 for LOFTE_LOGIN_LOCK_MINUTES.
AUTHENTICATION_BACKENDS = ["lofte.accounts.auth.ThrottledModelBackend"]
LOFTE_LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT = int(os.environ.get("LOFTE_LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT", "5"))
LOFTE_LOGIN_FAILURES_PER_CLIENT = int(os.environ.get("LOFTE_LOGIN_FAILURES_PER_CLIENT", "20"))
LOFTE_LOGIN_FAILURES_PER_ACCOUNT = int(os.environ.get("LOFTE_LOGIN_FAILURES_PER_ACCOUNT", "20"))
LOFTE_LOGIN_WINDOW_MINUTES = int(os.environ.get("LOFTE_LOGIN_WINDOW_MINUTES", "15"))
LOFTE_LOGIN_LOCK_MINUTES = int(os.environ.get("LOFTE_LOGIN_LOCK_MINUTES", "15"))
LOFTE_LOGIN_ACCOUNT_WINDOW_MINUTES = int(os.environ.get("LOFTE_LOGIN_ACCOUNT_WINDOW_MINUTES", "60"))
LOFTE_LOGIN_ACCOUNT_DELAY_SECONDS = int(os.environ.get("LOFTE_LOGIN_ACCOUNT_DELAY_SECONDS", "60"))
LOFTE_LOGIN_DEVICE_DAYS = int(os.environ.get("LOFTE_LOGIN_DEVICE_DAYS", "180"))
LOFTE_API_TOKEN_FAILURES_PER_CLIENT = int(os.environ.get("LOFTE_API_TOKEN_FAILURES_PER_CLIENT", "20"))

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("sv", _("Swedish")),
    ("da", _("Danish")),
    ("nb", _("Norwegian Bokmål")),
    ("fi", _("Finnish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Stockholm")

# --- Static and media -----------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns when it is missing; finders serve the files
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the finders too, so `lofte run` needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Content-Security-Policy (Django's own middleware; lofte/core/csp.py) ---
# One policy on every response: scripts, styles, images, connections (websockets to this host included)
# and form targets from this site only, no plugins, no <base>, no framing. No page has an inline script,
# style or event handler; htmx runs without eval and without its injected <style> (the htmx-config meta
# in templates/base.html). A nonce is added to a header only when a page renders one ({% csp_nonce_attr %}):
# Django's admin does, for its one inline <style>. The embeddable contact form replaces frame-ancestors
# with LOFTE_CONTACT_FRAME_ANCESTORS (lofte/webform/views.py); downloads get a sandbox of their own.
# SECURE_CSP_REPORT_ONLY (the same mapping) would report instead of enforce, e.g. while trying a change.
from django.utils.csp import CSP  # noqa: E402 (kept with the block it serves)

MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
)
TEMPLATES[0]["OPTIONS"]["context_processors"].append("django.template.context_processors.csp")  # type: ignore[index]
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:", "blob:"],  # blob: the reply box's preview of the images chosen
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Tasks ----------------------------------------------------------------
# django.tasks with the database backend, run by `lofte worker`; periodic
# jobs are declared in config/schedule.py.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Channels (websockets) ------------------------------------------------
# In one process the in-memory layer carries the promise board's live updates;
# with REDIS_URL set, Redis carries them between the web server processes and
# from the worker (the tick) to the browsers.
# channels-redis waits up to 5 s for a message (BZPOPMIN) and redis-py 8 gives up reading after 5 s by
# default: without a longer socket timeout every idle websocket is dropped after 5 s (channels_redis#422).
REDIS_URL = os.environ.get("REDIS_URL", "")
CHANNEL_LAYERS = {
    "default": (
        {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}]},
        }
        if REDIS_URL
        else {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    )
}

# --- Email ----------------------------------------------------------------
# Unset, outgoing mail is written to files in DATA_DIR/sent-mail (nothing leaves
# the machine). EMAIL_BACKEND=smtp with EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD and EMAIL_USE_TLS sends through an SMTP server.
_EMAIL_BACKENDS = {
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
_email_backend = os.environ.get("EMAIL_BACKEND", "file")
_email_backend = _EMAIL_BACKENDS.get(_email_backend, _email_backend)
_email_options: dict[str, object] = {}
if _email_backend.endswith("filebased.EmailBackend"):
    _email_options = {"file_path": os.environ.get("EMAIL_FILE_PATH", str(DATA_DIR / "sent-mail"))}
elif _email_backend.endswith("smtp.EmailBackend"):
    _email_options = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": int(os.environ.get("EMAIL_PORT", "25")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": 30,
    }
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "support@lofte.localhost")
LOFTE_MESSAGE_ID_DOMAIN = os.environ.get("LOFTE_MESSAGE_ID_DOMAIN", "lofte.localhost")

# --- Lofte ----------------------------------------------------------------
LOFTE_REFERENCE_PREFIX = os.environ.get("LOFTE_REFERENCE_PREFIX", "LF")
LOFTE_INBOX_PAGE_SIZE = 25
LOFTE_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("LOFTE_OUTBOX_MAX_ATTEMPTS", "8"))
# a reply, a bulk change or a merge waits this long in the browser, to be undone (0: sent at once)
LOFTE_UNDO_SECONDS = max(0, int(os.environ.get("LOFTE_UNDO_SECONDS", "5")))
LOFTE_OUTBOX_LEASE_SECONDS = int(os.environ.get("LOFTE_OUTBOX_LEASE_SECONDS", "120"))
LOFTE_PHONE_REGION = os.environ.get("LOFTE_PHONE_REGION", "SE")
# The language Lofte writes to a customer in when nothing better is known (not the customer's, not the form's,
# not the mailbox's, not their number's country): by default the language of LOFTE_PHONE_REGION's country.
_REGION_LANGUAGES = {"SE": "sv", "FI": "fi", "DK": "da", "NO": "nb"}
LOFTE_CUSTOMER_LANGUAGE = os.environ.get(
    "LOFTE_CUSTOMER_LANGUAGE", _REGION_LANGUAGES.get(LOFTE_PHONE_REGION.upper(), "en")
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
        "django.tasks": {"level": "WARNING"},
    },
}

# The periodic jobs `lofte worker` schedules.
LOFTE_SCHEDULE = "config.schedule.JOBS"

# Outbound transports per channel (see lofte/outbox/transports.py).
LOFTE_TRANSPORTS = {
    "email": "lofte.channels.email.transport.EmailTransport",
}
# Loop protection: automatic messages (acknowledgements, notices) to one address per hour.
LOFTE_AUTOMATIC_PER_ADDRESS_PER_HOUR = int(os.environ.get("LOFTE_AUTOMATIC_PER_ADDRESS_PER_HOUR", "5"))
# Inbound email: larger messages are stored and quarantined; one sender beyond the hourly count is quarantined.
LOFTE_EMAIL_MAX_BYTES = int(os.environ.get("LOFTE_EMAIL_MAX_BYTES", str(50 * 2**20)))
# Raw messages up to this size are kept in the database row; larger ones as files named by their SHA-256.
LOFTE_EMAIL_INLINE_BYTES = int(os.environ.get("LOFTE_EMAIL_INLINE_BYTES", str(256 * 2**10)))
# New cases are acknowledged by the worker when at most this old (older ones, e.g. from before an upgrade, are not).
LOFTE_ACK_WINDOW_MINUTES = int(os.environ.get("LOFTE_ACK_WINDOW_MINUTES", "60"))
# Search on PostgreSQL: a word the planner expects in more documents than this is looked for case by case, in
# list order, until the page is full (lofte.cases.search.search_walk); a rarer one through its matches. Below
# some 50,000 matches gathering them costs under a quarter of a second, and a walk past new cases without the
# word (measured: 1,800 new ones after a burst of API creates) cost more than it saved.
LOFTE_SEARCH_WALK_ABOVE = int(os.environ.get("LOFTE_SEARCH_WALK_ABOVE", "50000"))
LOFTE_EMAIL_FLOOD_PER_HOUR = int(os.environ.get("LOFTE_EMAIL_FLOOD_PER_HOUR", "30"))
LOFTE_MAX_ATTACHMENT_BYTES = int(os.environ.get("LOFTE_MAX_ATTACHMENT_BYTES", str(25 * 2**20)))

# Public contact form (/contact). Rate limits count per hour; the IP address is REMOTE_ADDR, so a
# reverse proxy in front must set it to the client's address (not its own), or every visitor shares one limit.
LOFTE_CONTACT_RATE_PER_IP = int(os.environ.get("LOFTE_CONTACT_RATE_PER_IP", "10"))
LOFTE_CONTACT_RATE_PER_ADDRESS = int(os.environ.get("LOFTE_CONTACT_RATE_PER_ADDRESS", "5"))
# Knowledge-base search: the threads that embed a query or a passage (0: one per core).
LOFTE_EMBED_THREADS = int(os.environ.get("LOFTE_EMBED_THREADS", "0"))
# The language of an inbound message is taken as detected (lofte.core.language) at this confidence or above (and
# well ahead of the next language); below it, and for texts of a few words, the form's, the customer's or the
# mailbox's language stands.
LOFTE_LANGUAGE_MIN_CONFIDENCE = float(os.environ.get("LOFTE_LANGUAGE_MIN_CONFIDENCE", "0.5"))
# Currencies compensation can be offered in (lofte.complaints.compensation), ISO 4217 codes, the first the default.
LOFTE_CURRENCIES = [
    c.strip().upper() for c in os.environ.get("LOFTE_CURRENCIES", "SEK,EUR,DKK,NOK,USD,GBP").split(",") if c.strip()
]
# The tag a case gets when text understanding takes its message for a complaint (lofte.triage.suggest).
LOFTE_COMPLAINT_TAG = os.environ.get("LOFTE_COMPLAINT_TAG", "complaint").strip().lower() or "complaint"
# Searches in the public help centre, per client address and hour (each embeds the query and is logged).
LOFTE_HELP_SEARCHES_PER_IP = int(os.environ.get("LOFTE_HELP_SEARCHES_PER_IP", "300"))
# The contact form's help-centre suggestions, asked as the customer types (per client address and hour).
LOFTE_CONTACT_SUGGESTIONS_PER_IP = int(os.environ.get("LOFTE_CONTACT_SUGGESTIONS_PER_IP", "300"))
# A form sent sooner than this after it was shown is asked to be sent again (bots are fast).
LOFTE_CONTACT_MIN_SECONDS = int(os.environ.get("LOFTE_CONTACT_MIN_SECONDS", "3"))
# Attachments: each within LOFTE_MAX_ATTACHMENT_BYTES, together within this, at most this many,
# of these kinds (checked by name and by content; see lofte/core/uploads.py for the known kinds).
LOFTE_CONTACT_MAX_TOTAL_BYTES = int(os.environ.get("LOFTE_CONTACT_MAX_TOTAL_BYTES", str(50 * 2**20)))
LOFTE_CONTACT_MAX_FILES = int(os.environ.get("LOFTE_CONTACT_MAX_FILES", "10"))
LOFTE_CONTACT_FILE_TYPES = env_list(
    "LOFTE_CONTACT_FILE_TYPES",
    ["pdf", "jpg", "jpeg", "png", "gif", "webp", "heic", "txt", "csv", "docx", "xlsx", "odt", "ods"],
)
# Sites that may show the form in a frame (/contact?embed=1), e.g. "https://www.example.se"; none: not embeddable.
LOFTE_CONTACT_FRAME_ANCESTORS = env_list("LOFTE_CONTACT_FRAME_ANCESTORS", [])
# Shown under the form. A plain text (links are made clickable), or a dict per language code.
LOFTE_CONTACT_PRIVACY_TEXT = os.environ.get("LOFTE_CONTACT_PRIVACY_TEXT") or _(
    "We use what you write here, and any files you attach, only to answer you and handle your case, "
    "and keep it no longer than your case needs."
)
# Customer portal: magic links (minutes valid, single use), how long a portal session lasts, how long after
# solving a customer may reopen, the requests one address / one IP may make per hour, the messages one
# customer may post per hour, and the file types (extensions) customers may attach.
LOFTE_PORTAL_LINK_MINUTES = int(os.environ.get("LOFTE_PORTAL_LINK_MINUTES", "30"))
LOFTE_PORTAL_SESSION_HOURS = int(os.environ.get("LOFTE_PORTAL_SESSION_HOURS", "12"))
LOFTE_PORTAL_REOPEN_DAYS = int(os.environ.get("LOFTE_PORTAL_REOPEN_DAYS", "14"))
# Links per address: LINKS_PER_ADDRESS_PER_HOUR for each client (IP, IPv6 /64), so a stranger cannot use up the
# customer's own; LINKS_PER_ADDRESS_TOTAL_PER_HOUR in all, against mail floods. Over either, nothing is sent and
# the answer is the same.
LOFTE_PORTAL_LINKS_PER_ADDRESS_PER_HOUR = int(os.environ.get("LOFTE_PORTAL_LINKS_PER_ADDRESS_PER_HOUR", "5"))
LOFTE_PORTAL_LINKS_PER_ADDRESS_TOTAL_PER_HOUR = int(
    os.environ.get("LOFTE_PORTAL_LINKS_PER_ADDRESS_TOTAL_PER_HOUR", "20")
)
LOFTE_PORTAL_REQUESTS_PER_IP_PER_HOUR = int(os.environ.get("LOFTE_PORTAL_REQUESTS_PER_IP_PER_HOUR", "30"))
LOFTE_PORTAL_MESSAGES_PER_HOUR = int(os.environ.get("LOFTE_PORTAL_MESSAGES_PER_HOUR", "30"))
LOFTE_PORTAL_ALLOWED_TYPES = env_list(
    "LOFTE_PORTAL_ALLOWED_TYPES",
    ["pdf", "png", "jpg", "jpeg", "gif", "webp", "heic", "txt", "csv", "docx", "xlsx", "odt", "ods"],
)

# Promise engine: when owners are reminded before a due time (a fixed time, or a
# share of the window capped at max_minutes), and who hears of a broken promise,
# level by level, with the time between levels.
LOFTE_REMINDER_LEAD = {
    "default": {"share": 0.2, "max_minutes": 60},
    "callback": {"minutes": 15},
    "follow_up": {"minutes": 60},
    "incident_update": {"share": 0.3, "max_minutes": 10},  # 3 minutes before a 10-minute update
}
# The status page (lofte/incidents/status.py) is rebuilt at most this often per process and language: with the
# cache warm a request costs no query; an update shows everywhere within these seconds.
LOFTE_STATUS_CACHE_SECONDS = float(os.environ.get("LOFTE_STATUS_CACHE_SECONDS", "5"))
# An expired page is answered (for at most one more of those lifetimes) while a thread rebuilds it: no visitor
# waits for a rebuild but the first after a start or a change.
LOFTE_STATUS_REFRESH_BEHIND = os.environ.get("LOFTE_STATUS_REFRESH_BEHIND", "1") not in ("0", "false", "")
# A survey's link works this many days after it is sent (lofte/surveys).
LOFTE_SURVEY_ANSWER_DAYS = int(os.environ.get("LOFTE_SURVEY_ANSWER_DAYS", "14"))
# A customer whose newest survey answer within these days is negative gets a yellow loyalty light.
LOFTE_SURVEY_LOYALTY_DAYS = int(os.environ.get("LOFTE_SURVEY_LOYALTY_DAYS", "90"))
# Status-page sign-ups per client address and per email address or number, per hour (429 over them).
LOFTE_STATUS_SIGNUPS_PER_IP = int(os.environ.get("LOFTE_STATUS_SIGNUPS_PER_IP", "10"))
LOFTE_STATUS_SIGNUPS_PER_ADDRESS = int(os.environ.get("LOFTE_STATUS_SIGNUPS_PER_ADDRESS", "3"))
LOFTE_ESCALATION_LADDER = ["owner", "team_lead", "admin"]
LOFTE_ESCALATION_INTERVAL_MINUTES = int(os.environ.get("LOFTE_ESCALATION_INTERVAL_MINUTES", "30"))
# Acknowledged ETAs (lofte/promises/eta.py): this quantile of the first-response times of the last
# LOFTE_ETA_WINDOW_DAYS days, from the most specific group (channel and case type, channel, all) with at
# least LOFTE_ETA_MIN_SAMPLES responses; LOFTE_ETA_DEFAULT_MINUTES business minutes without enough data.
LOFTE_ETA_QUANTILE = float(os.environ.get("LOFTE_ETA_QUANTILE", "0.8"))
LOFTE_ETA_WINDOW_DAYS = int(os.environ.get("LOFTE_ETA_WINDOW_DAYS", "30"))
LOFTE_ETA_MIN_SAMPLES = int(os.environ.get("LOFTE_ETA_MIN_SAMPLES", "30"))
LOFTE_ETA_DEFAULT_MINUTES = int(os.environ.get("LOFTE_ETA_DEFAULT_MINUTES", "480"))
# The public address of this Lofte: every link in what it sends (portal links, acknowledgements, notification
# emails, SMS receipt URLs) starts with it, and nothing else makes such links. Production sets it
# (https://help.example.se). Unset: http://localhost:<PORT>, PORT being the port `lofte start --port N` serves
# on (it passes PORT and LOFTE_BASE_URL to the web server and the worker it starts), else 8000.
LOFTE_BASE_URL = (
    os.environ.get("LOFTE_BASE_URL", "").strip() or f"http://localhost:{os.environ.get('PORT', '').strip() or 8000}"
).rstrip("/")

# Signed inbound webhooks (POST /api/v1/inbound/webhook/<source>, lofte/channels/webhooks/): the largest body
# accepted (larger: 413 too_large; the view reads only its first 2 KB), how far X-Lofte-Timestamp may be from
# now either way, how many rejections per remote IP per hour are stored as rows for the admin (more are only
# logged), and how many days those rows are kept.
LOFTE_WEBHOOK_MAX_BYTES = int(os.environ.get("LOFTE_WEBHOOK_MAX_BYTES", str(2**20)))
LOFTE_WEBHOOK_TOLERANCE_SECONDS = int(os.environ.get("LOFTE_WEBHOOK_TOLERANCE_SECONDS", "300"))
LOFTE_WEBHOOK_REJECTIONS_PER_IP_PER_HOUR = int(os.environ.get("LOFTE_WEBHOOK_REJECTIONS_PER_IP_PER_HOUR", "200"))
LOFTE_WEBHOOK_REJECTION_DAYS = int(os.environ.get("LOFTE_WEBHOOK_REJECTION_DAYS", "30"))

# --- Callbacks and phone calls (lofte/callbacks) ------------------------------
# The team whose free slots the public /callback page offers (a team name or id; empty: the first team with
# callback capacity), the number customers are told we call from, and the retry rules after a failed attempt.
LOFTE_CALLBACK_DEFAULT_TEAM = os.environ.get("LOFTE_CALLBACK_DEFAULT_TEAM", "")
LOFTE_CALLBACK_FROM_NUMBER = os.environ.get("LOFTE_CALLBACK_FROM_NUMBER", "08-123 456 78")
LOFTE_CALLBACK_MAX_ATTEMPTS = int(os.environ.get("LOFTE_CALLBACK_MAX_ATTEMPTS", "3"))
LOFTE_CALLBACK_RETRY_MINUTES = int(os.environ.get("LOFTE_CALLBACK_RETRY_MINUTES", "15"))
LOFTE_CALLBACK_DAYS = int(os.environ.get("LOFTE_CALLBACK_DAYS", "5"))
LOFTE_CALLBACK_RATE_PER_IP = int(os.environ.get("LOFTE_CALLBACK_RATE_PER_IP", "10"))
LOFTE_CALLBACK_RATE_PER_NUMBER = int(os.environ.get("LOFTE_CALLBACK_RATE_PER_NUMBER", "3"))

# --- SMS (lofte/channels/sms) -------------------------------------------------
# The provider: "console" (the default: each SMS is a JSON line in LOFTE_SMS_FILE_PATH, var/sent-sms, and
# nothing leaves the machine, so `make run` shows every SMS Lofte sends), "46elks", or "none" (or empty: no SMS;
# replies and confirmations go by email, and customers with only a phone number get none). LOFTE_SMS_FROM is
# the sender (a number in E.164, or up to 11 letters and digits; customers can only answer a number). Provider
# webhooks (inbound SMS and delivery reports) are accepted at
# /api/v1/inbound/sms/<provider>/<LOFTE_SMS_WEBHOOK_TOKEN>[/receipt], and only from LOFTE_SMS_ALLOWED_IPS
# (addresses or networks) when that is set; without a token they are refused. Receipt URLs given to the provider
# start with LOFTE_BASE_URL. Once an admin saves the SMS settings page (/configure/sms/), its provider, sender,
# 46elks login, token and allowed addresses win over these; the 46elks URL, the console's file and the timeout
# stay here.
LOFTE_SMS_PROVIDER = os.environ.get("LOFTE_SMS_PROVIDER", "console").strip().lower()
if LOFTE_SMS_PROVIDER == "none":
    LOFTE_SMS_PROVIDER = ""
LOFTE_SMS_FROM = os.environ.get("LOFTE_SMS_FROM", "")
LOFTE_SMS_WEBHOOK_TOKEN = os.environ.get("LOFTE_SMS_WEBHOOK_TOKEN", "")
LOFTE_SMS_ALLOWED_IPS = env_list("LOFTE_SMS_ALLOWED_IPS", [])
LOFTE_SMS_FILE_PATH = os.environ.get("LOFTE_SMS_FILE_PATH", str(DATA_DIR / "sent-sms"))
LOFTE_SMS_46ELKS_URL = os.environ.get("LOFTE_SMS_46ELKS_URL", "https://api.46elks.com/a1")
LOFTE_SMS_46ELKS_USERNAME = os.environ.get("LOFTE_SMS_46ELKS_USERNAME", "")
LOFTE_SMS_46ELKS_PASSWORD = os.environ.get("LOFTE_SMS_46ELKS_PASSWORD", "")
LOFTE_SMS_TIMEOUT_SECONDS = int(os.environ.get("LOFTE_SMS_TIMEOUT_SECONDS", "15"))
# A longer text is refused rather than sent as a long, costly chain of messages.
LOFTE_SMS_MAX_SEGMENTS = int(os.environ.get("LOFTE_SMS_MAX_SEGMENTS", "6"))
# An inbound SMS threads onto the customer's newest active case, else one solved within this many days.
LOFTE_SMS_THREAD_SOLVED_DAYS = int(os.environ.get("LOFTE_SMS_THREAD_SOLVED_DAYS", "7"))
# A whole message that is one of these words (any case, trailing punctuation ignored) opts out / in again.
LOFTE_SMS_STOP_WORDS = env_list("LOFTE_SMS_STOP_WORDS", ["STOP", "STOPP", "AVSLUTA", "AVREGISTRERA", "LOPETA"])
LOFTE_SMS_START_WORDS = env_list("LOFTE_SMS_START_WORDS", ["START", "STARTA", "ALOITA"])
# The SMS transport is always installed: whether SMS goes out, and through which provider, is the SMS settings
# page's once an admin saved it (/configure/sms/), else LOFTE_SMS_PROVIDER's (lofte.channels.sms.config).
LOFTE_TRANSPORTS["sms"] = "lofte.channels.sms.transport.SmsTransport"
