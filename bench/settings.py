"""Settings for load tests: the production settings, plus the ceiling view's URL and the bench app
(`manage.py generate_load_data`).

    DJANGO_SETTINGS_MODULE=bench.settings gunicorn recert_portal.wsgi ...

Everything else (DEBUG, database, Redis, S3) is read from the environment exactly as in production.
"""

import os

# SITE_URL is required with DEBUG=0; the load tests never follow an absolute link.
os.environ.setdefault("SITE_URL", "http://127.0.0.1:8000")

from recert_portal.settings import *  # noqa: E402,F403

ROOT_URLCONF = "bench.urls"
# The load-data generator (`generate_load_data`) lives in the bench app, outside the product.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
