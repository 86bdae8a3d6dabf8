"""Settings for load tests: the production settings, plus the ceiling view's URL and the bench app
(`manage.py generate_load_data`).

    DJANGO_SETTINGS_MODULE=bench.settings gunicorn recert_portal.wsgi ...

Everything else (DEBUG, database, Redis, S3) is read from the environment exactly as in production.
"""

from recert_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# The load-data generator (`generate_load_data`) lives in the bench app, outside the product.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
