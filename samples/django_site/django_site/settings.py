"""Settings for the subhost Django sample project.

Shows a Django 3.2 project that serves requests without any database, admin,
auth or sessions, so nothing has to be migrated before it can run.  All paths
are derived from ``__file__``; nothing depends on the working directory.
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent

# SAMPLE ONLY: a fixed, public key.  Never use this value in a real deployment.
SECRET_KEY = "subhost-sample-only-insecure-secret-key-do-not-use-in-production"

DEBUG = False
ALLOWED_HOSTS = ["*"]

# No django.contrib apps: nothing needs a database table.
INSTALLED_APPS = []

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "django_site.urls"
WSGI_APPLICATION = "django_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [str(PACKAGE_DIR / "templates")],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
            ],
        },
    },
]

# No database at all (Django falls back to its dummy backend).
DATABASES = {}

USE_I18N = False
USE_L10N = False
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
