"""The "Operators" group, holding ``tasks_app.act_on_work``: in ``login`` mode, adding an
account to it (``manage.py`` shell or the ``operators`` command) lets that person act on work.

The permission itself is normally created after migrations (post_migrate); it is created here
so the group can hold it on the very first ``migrate``.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

GROUP = "Operators"
CODENAME = "act_on_work"
NAME = "Can requeue, cancel, suspend, mark and reprioritise farm work"


def create_operators(apps: Any, schema_editor: Any) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    alias = schema_editor.connection.alias
    content_type, _ = ContentType.objects.using(alias).get_or_create(
        app_label="tasks_app", model="actionrun"
    )
    permission, _ = Permission.objects.using(alias).get_or_create(
        content_type=content_type, codename=CODENAME, defaults={"name": NAME}
    )
    group, _ = Group.objects.using(alias).get_or_create(name=GROUP)
    group.permissions.add(permission)


def remove_operators(apps: Any, schema_editor: Any) -> None:
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tasks_app", "0001_actions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_operators, remove_operators)]
