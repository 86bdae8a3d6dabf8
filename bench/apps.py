from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Load data and benchmarks: installed by bench/settings.py and the test settings only, never in
    production. `manage.py generate_load_data` comes from here."""

    name = "bench"
    verbose_name = "Benchmarks"
