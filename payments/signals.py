"""Hooks through which apps built on payments answer what payments must know.

`deadline_extended(report)`: receivers return True when the report's deadline has been extended by
other means than a paid extension invoice (the lifecycle's extensions, which staff may activate), so
the recertification invoice bills no late fee and is due on the extended deadline.
"""

from django.dispatch import Signal

deadline_extended = Signal()
