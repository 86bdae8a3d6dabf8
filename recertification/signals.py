"""What the recertification app tells the apps built on it.

`report_submitted(report, actor)` is sent inside the submission's transaction, with the report
locked, after the audit draw: payments issues the invoice from it (payments/receivers.py). A
receiver that raises rolls the submission back, so a report is never submitted without its invoice.
"""

from django.dispatch import Signal

report_submitted = Signal()
