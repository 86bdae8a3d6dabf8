from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data of `make run` (`manage.py load_demo`): the top layer, it may use every app.

    Never load it into a production database."""

    name = "demo"
    verbose_name = "Demo data"
