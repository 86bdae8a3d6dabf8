"""Operations the migrations share (import them from migrations only; they use historical models)."""

from __future__ import annotations

from django.db import migrations


def move_content_types(old_app: str, new_app: str, models: list[str]) -> migrations.RunPython:
    """Keep the content types (and so the permissions granted to groups and staff, and the admin
    history) of models that move to another app: rename their app label, and back on reverse.
    A new database has none yet, so there is nothing to rename."""

    def rename(apps, from_app: str, to_app: str) -> None:
        ContentType = apps.get_model("contenttypes", "ContentType")
        ContentType.objects.filter(app_label=from_app, model__in=models).update(app_label=to_app)

    return migrations.RunPython(
        lambda apps, schema_editor: rename(apps, old_app, new_app),
        lambda apps, schema_editor: rename(apps, new_app, old_app),
    )
