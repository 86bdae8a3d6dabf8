"""Settings for load tests: the production settings, plus the ceiling view's URL.

    DJANGO_SETTINGS_MODULE=bench.settings gunicorn recert_portal.wsgi ...

Everything else (DEBUG, database, Redis, S3) is read from the environment exactly as in production.
"""

from recert_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
