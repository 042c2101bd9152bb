"""Essaim settings: one file, driven by the environment, safe by default.

Without any environment variable Essaim runs on an embedded SQLite database under
``var/`` with local-memory cache, console email and a database task queue: nothing
else to install or start. Production sets ``ESSAIM_ENV=production`` and the
variables listed in ``docs/deploy.md``.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


TESTING = "pytest" in sys.modules or (len(sys.argv) > 1 and sys.argv[1] == "test")
PRODUCTION = env("ESSAIM_ENV", "development") == "production"
DEBUG = env_bool("ESSAIM_DEBUG", False)

VAR_DIR = Path(env("ESSAIM_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    key = env("ESSAIM_SECRET_KEY") or env("SECRET_KEY")
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("ESSAIM_SECRET_KEY must be set in production.")
    # The embedded default keeps one generated key under var/, so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("ESSAIM_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("ESSAIM_CSRF_TRUSTED_ORIGINS")
SITE_URL = env("ESSAIM_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Essaim may live under a path prefix of the institutional site
# (ESSAIM_SITE_URL=https://asso.fr/participer): Django then puts the prefix in every URL
# it makes, and absolute links add only the scheme and host (SITE_ORIGIN).
_site = urlsplit(SITE_URL)
SITE_ORIGIN = f"{_site.scheme}://{_site.netloc}"
SITE_PATH_PREFIX = _site.path.rstrip("/")
if SITE_PATH_PREFIX:
    FORCE_SCRIPT_NAME = SITE_PATH_PREFIX
    SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = LANGUAGE_COOKIE_PATH = SITE_PATH_PREFIX + "/"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "essaim.core",
    "essaim.accounts",
    "essaim.people",
    "essaim.circles",
    "essaim.feed",
    "essaim.actions",
    "essaim.practices",
    "essaim.blog",
    "essaim.referrals",
    "essaim.giving",
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
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "essaim.core.context_processors.essaim",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------
DEFAULT_SQLITE = f"sqlite:///{VAR_DIR / 'essaim.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", DEFAULT_SQLITE), conn_max_age=int(env("ESSAIM_DB_CONN_MAX_AGE", "0"))
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at
        # BEGIN so two writers wait on busy_timeout instead of failing on lock upgrade.
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA busy_timeout=10000;"
            "PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "core:home"
ACCOUNT_FORMS = {"signup": "essaim.accounts.forms.SignupForm"}
ACCOUNT_ADAPTER = "essaim.accounts.adapter.AccountAdapter"
MFA_ADAPTER = "essaim.accounts.adapter.MFAAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PRESERVE_USERNAME_CASING = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Failed logins: 10 a minute per IP address, 5 per 5 minutes per account (allauth keeps
# the counters in the cache; production uses Redis so that every worker shares them).
ACCOUNT_RATE_LIMITS = {"login_failed": env("ESSAIM_LOGIN_FAILED_LIMIT", "10/m/ip,5/300s/key")}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env("ESSAIM_MFA_ISSUER", "Essaim")

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static and media files -----------------------------------------------------------
STATIC_URL = f"{SITE_PATH_PREFIX}/static/"
STATIC_ROOT = Path(env("ESSAIM_STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = f"{SITE_PATH_PREFIX}/media/"
MEDIA_ROOT = Path(env("ESSAIM_MEDIA_ROOT", str(VAR_DIR / "media")))
PRIVATE_ROOT = Path(env("ESSAIM_PRIVATE_ROOT", str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Files with personal data (contact imports): on disk, never under a public URL.
    "private": {
        "BACKEND": "essaim.core.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": PRIVATE_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production, serve straight from the source folders: no collectstatic needed.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Contact imports accept files up to this size (bytes).
ESSAIM_IMPORT_MAX_BYTES = int(env("ESSAIM_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
# Who hosts the site, printed in the legal notice (mentions légales), e.g.
# "OVH SAS, 2 rue Kellermann, 59100 Roubaix, 1007". Empty: the notice says the
# association hosts it itself, at its own address.
ESSAIM_HOSTING_PROVIDER = env("ESSAIM_HOSTING_PROVIDER", "")

# --- Giving: payment providers (keys from the environment only) ----------------------
# A provider is offered on the giving pages when its keys are set. The demo provider
# (no real payment) is offered when no real one is, or when ESSAIM_GIVING_DEMO=1.
STRIPE_SECRET_KEY = env("ESSAIM_STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("ESSAIM_STRIPE_WEBHOOK_SECRET")
HELLOASSO_CLIENT_ID = env("ESSAIM_HELLOASSO_CLIENT_ID")
HELLOASSO_CLIENT_SECRET = env("ESSAIM_HELLOASSO_CLIENT_SECRET")
HELLOASSO_ORGANIZATION_SLUG = env("ESSAIM_HELLOASSO_ORGANIZATION_SLUG")
# https://api.helloasso-sandbox.com for tests against HelloAsso's sandbox.
HELLOASSO_API_URL = env("ESSAIM_HELLOASSO_API_URL", "https://api.helloasso.com").rstrip("/")
ESSAIM_GIVING_DEMO = env("ESSAIM_GIVING_DEMO", "") in {"1", "true", "yes"}
# The largest single gift a form accepts (cents): bigger ones are recorded by the treasurer.
ESSAIM_GIVING_MAX_CENTS = int(env("ESSAIM_GIVING_MAX_CENTS", str(100_000 * 100)))

# --- Cache ----------------------------------------------------------------------------
REDIS_URL = env("ESSAIM_REDIS_URL") or env("REDIS_URL")
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # Per process. Django's default of 300 entries would let the rendered messages and feed
    # items (one entry each) push out the public pages and settings; 20,000 small
    # fragments stay around 40 MB per worker.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }

# --- Email ----------------------------------------------------------------------------
EMAIL_BACKEND = env("ESSAIM_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("ESSAIM_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("ESSAIM_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("ESSAIM_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("ESSAIM_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("ESSAIM_EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env("ESSAIM_DEFAULT_FROM_EMAIL", "Essaim <ne-pas-repondre@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background tasks -----------------------------------------------------------------
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "rq": "django_tasks_rq.RQBackend",
}
TASK_BACKEND = env("ESSAIM_TASK_BACKEND", "immediate" if TESTING else "database")
if TASK_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"ESSAIM_TASK_BACKEND must be one of {sorted(_TASK_BACKENDS)}.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASK_BACKEND]}}
if TASK_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0"}}

# --- Security -------------------------------------------------------------------------
# Reverse proxies in front of Essaim (1 behind nginx): rate limits then count visitors by
# their own address from X-Forwarded-For instead of the proxy's. 0 trusts no header.
TRUSTED_PROXY_COUNT = int(env("ESSAIM_TRUSTED_PROXY_COUNT", "0"))
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("ESSAIM_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("ESSAIM_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("ESSAIM_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("ESSAIM_LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
