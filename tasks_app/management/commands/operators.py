"""``manage.py operators [add|remove] [user ...]``: who may act on work in ``login`` mode.

Members of the "Operators" group hold ``tasks_app.act_on_work`` (docs/actions.md);
without arguments, the command lists them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser

GROUP = "Operators"


class Command(BaseCommand):
    help = 'List, add or remove members of the "Operators" group (who may act on work).'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("verb", nargs="?", choices=("list", "add", "remove"), default="list")
        parser.add_argument("usernames", nargs="*", help="accounts to add or remove")

    def handle(self, *args: Any, verb: str, usernames: list[str], **options: Any) -> None:
        try:
            group = Group.objects.get(name=GROUP)
        except Group.DoesNotExist:
            raise CommandError(f'No "{GROUP}" group: run `manage.py migrate` first.') from None
        if verb == "list":
            for user in group.user_set.order_by("username"):
                self.stdout.write(user.get_username())
            return
        if not usernames:
            raise CommandError(f"Name the accounts to {verb}.")
        users = get_user_model().objects.filter(username__in=usernames)
        missing = sorted(set(usernames) - {u.get_username() for u in users})
        if missing:
            raise CommandError(f"No such account: {', '.join(missing)}")
        for user in users:
            if verb == "add":
                user.groups.add(group)
                self.stdout.write(f"added {user.get_username()}")
            else:
                user.groups.remove(group)
                self.stdout.write(f"removed {user.get_username()}")
