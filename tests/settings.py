"""Test settings: the real settings module with production switches, plus fast hashing and local email."""

import os

os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "tests-only-" + "k" * 60)
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Required with DEBUG=0; the test client's host (tests/members/test_site_url.py covers the rest).
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("MEDIA_ROOT", "/tmp/recert-portal-test-media")
# Tasks run in the process that queues them, after commit, as in `make run`; the queue's own tests
# (tests/core/test_task_queue.py and the lifecycle's) switch to the database queue and run workers.
os.environ.setdefault("TASK_QUEUE", "in-process")

from recert_portal.settings import *  # noqa: E402,F403

# The load-data generator is tested too (tests/scale/test_generate_load_data.py).
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Staff pages are tested without the second step of sign-in; tests/members/test_two_factor.py
# turns it on (production has it on: recert_portal/settings.py).
STAFF_TWO_FACTOR = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
