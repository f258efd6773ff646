"""Settings of the demo procurement portal (a trading platform that uses Inkseal).

It is a separate Django project with its own database and users. It reads var/demo.json, which
`inkseal bootstrap --demo` writes, for the Inkseal URLs, its platform code and its credentials.
"""

from __future__ import annotations

from inkseal.conf import env, secret_file, var_dir

VAR_DIR = var_dir()
SECRET_KEY = env("PORTAL_SECRET_KEY") or secret_file("demo_portal_django_secret", 48)
# Encrypts the bidders' ID numbers in the database (models.Bidder); kept outside it.
FIELD_KEY = env("PORTAL_FIELD_KEY") or secret_file("demo_portal_field_key", 32)
DEBUG = False
ALLOWED_HOSTS = ["*"]
PORTAL_BASE_URL = env("DEMO_PORTAL_URL", "http://127.0.0.1:8001").rstrip("/")
DEMO_JSON = env("DEMO_JSON", str(VAR_DIR / "demo.json"))
# Which SSO method the 电子签章 buttons use by default: "ticket" or "oidc" (the page offers both).
SSO_METHOD = env("PORTAL_SSO_METHOD", "ticket")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "examples.procurement_portal",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "examples.procurement_portal.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": {
        # Inkseal's SQLite engine: the file is created 0600
        "ENGINE": "inkseal.core.db.sqlite3",
        "NAME": env("PORTAL_DATABASE", str(VAR_DIR / "portal.sqlite3")),
        # secure_delete: a replaced value (an ID number encrypted by migration 0003) is overwritten
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA secure_delete=ON;"},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SESSION_COOKIE_NAME = "portal_sessionid"
CSRF_COOKIE_NAME = "portal_csrftoken"
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
# Uploaded bid files and the signed PDFs Inkseal returns (served only through the portal's views).
MEDIA_ROOT = env("PORTAL_MEDIA_ROOT", str(VAR_DIR / "portal_media"))
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
FILE_UPLOAD_MAX_BYTES = 20 * 1024 * 1024
# Server-to-server calls to Inkseal (token, sign tasks, signed documents): (connect, read) seconds.
INKSEAL_TIMEOUT = (5, 60)
# Callbacks older or newer than this (seconds) are refused, whatever their signature.
CALLBACK_TOLERANCE_SECONDS = 300
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
# Errors (and the portal's warnings, e.g. refused callbacks) go to stderr: the serve log.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"handlers": ["stderr"], "level": "ERROR"},
        "examples.procurement_portal": {"handlers": ["stderr"], "level": "INFO"},
    },
}
