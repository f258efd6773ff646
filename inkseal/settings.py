"""Django settings. Every value comes from the environment with a safe default.

See the configuration table in README.md.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from inkseal.conf import BASE_DIR, env, env_bool, env_int, object_storage, secret_file, var_dir
from inkseal.pki.oids import PLACEHOLDER_ARC, POLICY_NAMES

VAR_DIR = var_dir()
TESTING = "pytest" in sys.modules

SECRET_KEY = env("INKSEAL_SECRET_KEY") or secret_file("django_secret_key", 48)
DEBUG = env_bool("INKSEAL_DEBUG", False)
# Sandbox providers and /dev pages: off unless asked for (`make run` and the tests ask); a
# production start with sandbox providers and the flag off refuses (core.sandbox).
SANDBOX = env_bool("INKSEAL_SANDBOX", TESTING)
ALLOWED_HOSTS = [
    h.strip() for h in env("INKSEAL_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("INKSEAL_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
PUBLIC_BASE_URL = env("INKSEAL_PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

# django-ninja's templates and static files (Swagger UI) without listing "ninja" as an app: importing
# the package loads pydantic (~0.5 s), which every process would pay at start (the CLI too). The API
# docs render those templates (inkseal.api.OfflineSwagger).
NINJA_DIR = Path(importlib.util.find_spec("ninja").origin or "").parent  # type: ignore[union-attr]

INSTALLED_APPS = [
    # the admin modules (every app's admin.py and the services they use) load with the URLs
    # (inkseal/urls.py), not at setup: a CLI command or a job worker does not pay for them
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "inkseal.core",
    "inkseal.audit",
    "inkseal.notify",
    "inkseal.accounts",
    "inkseal.platforms",
    "inkseal.identity",
    "inkseal.pki",
    "inkseal.seals",
    "inkseal.signing",
    "inkseal.orders",
    "inkseal.evidence",
    "inkseal.portal",
    "inkseal.backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "inkseal.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "inkseal.accounts.middleware.PortalIdentityMiddleware",
    "inkseal.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "inkseal.urls"
WSGI_APPLICATION = "inkseal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [NINJA_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "inkseal.portal.context.portal",
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'inkseal.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env("DATABASE_URL", _default_db), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions serialise writers instead of failing with "database is locked".
    # WAL: readers never wait for the writer; synchronous=NORMAL: a commit appends to the WAL
    # without an fsync (a power cut may lose the last commits, never corrupts the database).
    # Connections persist (conn_max_age above): with WAL, closing the last one checkpoints and
    # deletes the -wal/-shm files and the next request recreates them (~1.5 ms a request).
    # inkseal.core.db.sqlite3: writers queue on a file lock instead of SQLite's sleeping retries.
    DATABASES["default"]["ENGINE"] = "inkseal.core.db.sqlite3"
    # the test database: Django's default for SQLite, said for tools that go by the engine's name
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Operators (back office) are Django auth users; portal people are accounts.Person (own session key).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
# Back office sign-in (inkseal.backoffice.security): the first lock after 5 wrong tries for an
# account or 20 from an IP, doubling with each lock in a row; the issuer shown in TOTP apps.
BACKOFFICE_LOGIN_LOCK_SECONDS = env_int("INKSEAL_BACKOFFICE_LOGIN_LOCK_SECONDS", 60)
BACKOFFICE_TOTP_ISSUER = env("INKSEAL_BACKOFFICE_TOTP_ISSUER", "Inkseal")

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("INKSEAL_SESSION_SECONDS", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True

# HTTPS (INKSEAL_HTTPS=1: served over TLS, directly or behind a proxy that sets X-Forwarded-Proto
# and strips it from clients): Secure cookies, HSTS, plain HTTP redirected. Off for `make run`,
# which serves plain HTTP on loopback.
HTTPS = env_bool("INKSEAL_HTTPS", False)
SESSION_COOKIE_SECURE = env_bool("INKSEAL_SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = LANGUAGE_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # pages put the token in forms and headers; no script reads the cookie
LANGUAGE_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("INKSEAL_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("INKSEAL_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's plain-HTTP health check
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy of every response (core.middleware): scripts and style sheets from this
# origin only, no inline script; inline style attributes stay allowed (seal positions on page
# previews are computed per page).
CONTENT_SECURITY_POLICY = env(
    "INKSEAL_CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "inkseal" / "locale"]
TIME_ZONE = env("INKSEAL_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [("vendor", BASE_DIR / "node_modules")] if (BASE_DIR / "node_modules").exists() else []
STATICFILES_DIRS.append(("", NINJA_DIR / "static"))  # Swagger UI's own files: 接口文档 works offline, no CDN
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # documents, ID photos, videos: readable by the service's user only
        "OPTIONS": {
            "location": str(VAR_DIR / "media"),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Files shared by every app server and job consumer: an S3-compatible bucket when INKSEAL_S3_BUCKET
# is set (inkseal.conf.object_storage, docs/scaling.md); the local directory above otherwise.
if (_object_storage := object_storage()) is not None:
    STORAGES["default"] = _object_storage
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

# Orders: the payment provider (the sandbox settles on its own pay page; refused when not SANDBOX).
ORDERS_PAYMENT_PROVIDER = env("INKSEAL_PAYMENT_PROVIDER", "inkseal.orders.payments.sandbox.SandboxProvider")
ORDERS_PAGE_SIZES = (10, 20, 50)

# SMS gateway: "outbox" stores messages for /dev/sms (sandbox only).
SMS_BACKEND = env("INKSEAL_SMS_BACKEND", "inkseal.notify.backends.OutboxBackend")
SMS_CODE_TTL_SECONDS = env_int("INKSEAL_SMS_CODE_TTL", 300)
SMS_CODE_MAX_TRIES = env_int("INKSEAL_SMS_CODE_MAX_TRIES", 5)
SMS_PER_PHONE_PER_HOUR = env_int("INKSEAL_SMS_PER_PHONE_PER_HOUR", 10)
SMS_PHONE_INTERVAL_SECONDS = env_int("INKSEAL_SMS_PHONE_INTERVAL", 60)
SMS_PER_IP_PER_HOUR = env_int("INKSEAL_SMS_PER_IP_PER_HOUR", 30)
# Intent-confirmation codes (签章确认, purpose "sign:<task>") have a quota of their own, apart from
# the login/verification one above: per task (a flood on one task), per phone (a bidder signing
# tens of bids before a deadline gets through) and per IP. The 5 tries per code stay.
SMS_SIGN_PER_TASK_PER_HOUR = env_int("INKSEAL_SMS_SIGN_PER_TASK_PER_HOUR", 5)
SMS_SIGN_PER_PHONE_PER_HOUR = env_int("INKSEAL_SMS_SIGN_PER_PHONE_PER_HOUR", 60)
SMS_SIGN_PER_IP_PER_HOUR = env_int("INKSEAL_SMS_SIGN_PER_IP_PER_HOUR", 200)

# SSO
SSO_AUDIENCE = env("INKSEAL_SSO_AUDIENCE", "inkseal")
SSO_TICKET_MAX_LIFETIME = 300
SSO_CLOCK_SKEW = 30
# Step-up (二次验证) before sensitive actions holds this long (seconds); see accounts.stepup.
STEP_UP_SECONDS = env_int("INKSEAL_STEP_UP_SECONDS", 300)
# A trading platform's first SSO for a person waits this long for the SMS code (seconds).
SSO_LINK_PENDING_SECONDS = 600

# Identity verification (实名认证): a provider per capability (dotted paths; the sandbox ones never
# call out), phone-link lifetime, upload size and attempt limits. See inkseal/identity/providers.
IDENTITY_PHONE_PROVIDER = env(
    "INKSEAL_IDENTITY_PHONE_PROVIDER", "inkseal.identity.providers.phone.SandboxPhoneProvider"
)
IDENTITY_FACE_PROVIDER = env("INKSEAL_IDENTITY_FACE_PROVIDER", "inkseal.identity.providers.face.SandboxFaceProvider")
IDENTITY_ENTERPRISE_PROVIDER = env(
    "INKSEAL_IDENTITY_ENTERPRISE_PROVIDER", "inkseal.identity.providers.enterprise.SandboxEnterpriseProvider"
)
IDENTITY_BANK_CARD_PROVIDER = env(
    "INKSEAL_IDENTITY_BANK_CARD_PROVIDER", "inkseal.identity.providers.bank_card.SandboxBankCardProvider"
)
IDENTITY_OCR_PROVIDER = env(
    "INKSEAL_IDENTITY_OCR_PROVIDER", "inkseal.identity.providers.licence_ocr.OfflineOcrProvider"
)
IDENTITY_OPERATOR_NAME = env("INKSEAL_OPERATOR_NAME", "Inkseal")
IDENTITY_FACE_LINK_TTL = env_int("INKSEAL_IDENTITY_FACE_LINK_TTL", 300)
IDENTITY_FACE_VIDEO_MAX_BYTES = env_int("INKSEAL_IDENTITY_FACE_VIDEO_MAX_BYTES", 20 * 1024 * 1024)
IDENTITY_ATTEMPTS_PER_PERSON_PER_DAY = env_int("INKSEAL_IDENTITY_ATTEMPTS_PER_PERSON_PER_DAY", 10)
IDENTITY_ATTEMPTS_PER_ID_PER_DAY = env_int("INKSEAL_IDENTITY_ATTEMPTS_PER_ID_PER_DAY", 5)
IDENTITY_DEPOSIT_MAX_TRIES = env_int("INKSEAL_IDENTITY_DEPOSIT_MAX_TRIES", 3)
IDENTITY_DEPOSIT_TTL = env_int("INKSEAL_IDENTITY_DEPOSIT_TTL", 48 * 3600)

# Seals: how closely OCR must read the expected name (0–1) in a handwritten signature and in an
# uploaded seal image.
HANDWRITING_THRESHOLD = float(env("INKSEAL_HANDWRITING_THRESHOLD", "0.66"))
SEAL_TEXT_THRESHOLD = float(env("INKSEAL_SEAL_TEXT_THRESHOLD", "0.8"))

# Field encryption key for personal data and stored secrets (AES-256-GCM). Outside the database.
FIELD_KEY = env("INKSEAL_FIELD_KEY") or secret_file("field_key", 32)

# PKI (see README "Certificates & CA"). The soft keystore's KEK comes from INKSEAL_KEK or
# var/secrets/kek and the PKCS#11 user PIN from INKSEAL_PKCS11_PIN: read by pki.keystore_config, never kept here.
PKI_KEYSTORE = env("INKSEAL_KEYSTORE", "soft")
PKI_PKCS11_MODULE = env("INKSEAL_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so")
PKI_PKCS11_TOKEN = env("INKSEAL_PKCS11_TOKEN", "inkseal")
PKI_ORGANIZATION = env("INKSEAL_CA_ORGANIZATION", "Inkseal Trust")
# Tests use RSA-2048 CA keys: RSA-3072 key generation would dominate every hierarchy they create.
PKI_CA_SM2 = env_bool("INKSEAL_CA_SM2", True)
PKI_CA_RSA_ALGORITHM = env("INKSEAL_CA_RSA_ALGORITHM", "rsa-2048" if TESTING else "rsa-3072")
PKI_RENEWAL_WINDOW_DAYS = env_int("INKSEAL_RENEWAL_WINDOW_DAYS", 30)
PKI_PIN_LOCK_MINUTES = env_int("INKSEAL_PIN_LOCK_MINUTES", 30)
PKI_PIN_CERTIFICATE_LOCK_HOURS = env_int("INKSEAL_PIN_CERTIFICATE_LOCK_HOURS", 24)
PKI_CRL_HOURS = env_int("INKSEAL_CRL_HOURS", 24)
PKI_FETCH_REVOCATION = env_bool("INKSEAL_FETCH_REVOCATION", not TESTING)
# Per-process caches (inkseal.core.cache.BoundedCache, least recently used out first): unwrapped
# keys and PKCS#11 handles in the keystore, the signers built per certificate (they ask the keystore
# for the key at each signature, holding none), and the CA chains above certificates.
PKI_KEY_CACHE_SIZE = env_int("INKSEAL_KEY_CACHE_SIZE", 1024)
SIGNER_CACHE_SIZE = env_int("INKSEAL_SIGNER_CACHE_SIZE", 1024)
CHAIN_CACHE_SIZE = env_int("INKSEAL_CHAIN_CACHE_SIZE", 4096)
# Certificate and time-stamp policy OIDs (inkseal/pki/oids.py has the layout under the arc). The
# default arc 1.3.6.1.4.1.99999 is a PLACEHOLDER registered to nobody: replace it with your own
# arc (IANA PEN or 2.25.<uuid>) before production, or set single policies with
# INKSEAL_PKI_POLICY_<NAME> (PERSONAL_SIGNING, ENTERPRISE_SIGNING, ENTERPRISE_ENCRYPTION,
# SEAL_MAKER, SERVICES, TIME_STAMPING). `manage.py check --deploy` warns while it is in use.
PKI_POLICY_ARC = env("INKSEAL_PKI_POLICY_ARC", PLACEHOLDER_ARC)
PKI_POLICY_OIDS = {name: value for name in POLICY_NAMES if (value := env(f"INKSEAL_PKI_POLICY_{name.upper()}"))}

# Audit log: the chain key is INKSEAL_AUDIT_KEY or var/secrets/audit_chain_key (read by
# inkseal.audit.services, never kept here). Anchors (the time-stamped head) are also appended to
# this file, outside the database; copy it elsewhere. A Huey job anchors every N minutes.
AUDIT_ANCHOR_FILE = env("INKSEAL_AUDIT_ANCHOR_FILE", str(VAR_DIR / "audit-anchors.jsonl"))
AUDIT_ANCHOR_MINUTES = env_int("INKSEAL_AUDIT_ANCHOR_MINUTES", 10)

# Transparency log (docs/evidence.md): its origin line and key name; default <public host>/log.
EVIDENCE_LOG_ORIGIN = env("INKSEAL_LOG_ORIGIN", "")
# `inkseal jobs run` sequences pending leaves every pass and signs a checkpoint every N minutes when the tree grew.
EVIDENCE_CHECKPOINT_MINUTES = env_int("INKSEAL_LOG_CHECKPOINT_MINUTES", 5)

# Verification (验签): the public page and POST /api/v1/verify.
VERIFY_MAX_BYTES = env_int("INKSEAL_VERIFY_MAX_BYTES", 50 * 1024 * 1024)
VERIFY_PER_IP_PER_MINUTE = env_int("INKSEAL_VERIFY_PER_IP_PER_MINUTE", 30)

# Signing API (see README "Signing API").
SIGN_CONFIRM_TTL_SECONDS = env_int("INKSEAL_SIGN_CONFIRM_TTL", 24 * 3600)
SIGNED_RETENTION_DAYS = env_int("INKSEAL_SIGNED_RETENTION_DAYS", 30)
# 自助签署 uploads never placed and confirmed are deleted by `inkseal jobs` after this long.
SIGN_DRAFT_RETENTION_HOURS = env_int("INKSEAL_SIGN_DRAFT_RETENTION_HOURS", 24)
# Uploads above FILE_UPLOAD_MAX_MEMORY_SIZE (Django's 2.5 MB) are spooled to a temporary file and
# signed from and into files: memory does not grow with the document.
SIGN_MAX_FILE_BYTES = env_int("INKSEAL_SIGN_MAX_FILE_BYTES", 128 * 1024 * 1024)
SIGN_MAX_FILES = env_int("INKSEAL_SIGN_MAX_FILES", 20)
SIGN_MAX_PAGES = env_int("INKSEAL_SIGN_MAX_PAGES", 2000)
# Parsing budget of one untrusted PDF (create, previews, self-service, verify): it is read in a
# parser process that gets this much CPU time, wall-clock time and memory (address space above
# the process's own), then is killed: 4xx pdf_too_complex (docs/THREAT_MODEL.md).
PDF_PARSE_CPU_SECONDS = env_int("INKSEAL_PDF_PARSE_CPU_SECONDS", 10)
PDF_PARSE_WALL_SECONDS = env_int("INKSEAL_PDF_PARSE_WALL_SECONDS", 20)
PDF_PARSE_MEMORY_MB = env_int("INKSEAL_PDF_PARSE_MEMORY_MB", 768)
PDF_PARSE_IDLE_PROCESSES = env_int("INKSEAL_PDF_PARSE_IDLE_PROCESSES", 2)  # kept warm per web process
# At most PDF_PARSE_CONCURRENCY parses at once per web process (`inkseal serve`: its threads - 1, so
# a thread is always left for light pages and /healthz); a request that finds none free within
# PDF_PARSE_QUEUE_SECONDS is refused with 503 pdf_parser_busy and Retry-After.
PDF_PARSE_CONCURRENCY = env_int("INKSEAL_PDF_PARSE_CONCURRENCY", 1)
PDF_PARSE_QUEUE_SECONDS = env_int("INKSEAL_PDF_PARSE_QUEUE_SECONDS", 1)
# A task "signing" without a heartbeat (renewed per document) for this long is taken over by the
# recovery job (Huey): resumed while its confirmation is at most SIGN_RESUME_MAX_AGE old and it was
# resumed fewer than SIGN_RECOVERY_MAX_ATTEMPTS times, otherwise failed (signing_interrupted).
SIGN_HEARTBEAT_TIMEOUT_SECONDS = env_int("INKSEAL_SIGN_HEARTBEAT_TIMEOUT", 300)
SIGN_RESUME_MAX_AGE_SECONDS = env_int("INKSEAL_SIGN_RESUME_MAX_AGE", 3600)
SIGN_RECOVERY_MAX_ATTEMPTS = env_int("INKSEAL_SIGN_RECOVERY_MAX_ATTEMPTS", 3)
CALLBACK_MAX_ATTEMPTS = env_int("INKSEAL_CALLBACK_MAX_ATTEMPTS", 8)
CALLBACK_TIMEOUT_SECONDS = env_int("INKSEAL_CALLBACK_TIMEOUT", 10)

# Background jobs on Huey (callbacks, sign-task recovery and expiry, purges, CRLs, audit anchors),
# run by the consumer `inkseal run_huey` (`make run` starts it). Storage: var/huey.sqlite3 (0600)
# unless INKSEAL_HUEY_URL names a Redis server (redis://host:6379/0), which every app server and
# consumer then share. The test suite queues in memory and runs what a test needs (tests/helpers/jobs.py).
HUEY_URL = env("INKSEAL_HUEY_URL")
HUEY: dict[str, object] = {
    "name": "inkseal",
    "immediate": False,  # jobs never run in the thread that queues them (a web request)
    "results": False,  # nothing reads a job's return value
    "consumer": {"workers": env_int("INKSEAL_HUEY_WORKERS", 2), "worker_type": "thread"},
}
if TESTING:
    HUEY["huey_class"] = "huey.MemoryHuey"
elif HUEY_URL:
    HUEY.update(huey_class="huey.RedisHuey", url=HUEY_URL)
else:
    HUEY.update(huey_class="inkseal.core.queue.SqliteHuey", filename=str(VAR_DIR / "huey.sqlite3"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Secrets in URL paths (sign-confirmation and face hand-off links) are redacted from every record
# where it is made (django.request, django.server) and on the way out (console): core.logredact.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "inkseal.core.logredact.RedactSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env("INKSEAL_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"filters": ["redact"]},
        "django.server": {
            "handlers": ["console"],
            "filters": ["redact"],
            "level": "WARNING" if TESTING else "INFO",
            "propagate": False,
        },
        # the job consumer's log, once (`run_huey` adds a handler of its own to a logger without one)
        "huey": {"handlers": ["console"], "level": "WARNING" if TESTING else "INFO", "propagate": False},
    },
}
# pyHanko's warnings about expected verdicts (an untrusted CA) on one line, without tracebacks.
_filters: dict[str, dict[str, str]] = LOGGING.setdefault("filters", {})  # type: ignore[assignment]
_filters["library_one_line"] = {"()": "inkseal.core.library_logs.OneLineLibraryExceptions"}
_handlers: dict[str, dict[str, list[str]]] = LOGGING["handlers"]  # type: ignore[assignment]
_handlers["console"].setdefault("filters", []).insert(0, "library_one_line")  # before redact renders tracebacks

NINJA_PAGINATION_PER_PAGE = 10
