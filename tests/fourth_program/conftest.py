"""The lifecycle tests' fixture that runs a command on a day with its after-commit emails."""

from tests.lifecycle.conftest import run  # noqa: F401
