from django.core.management.base import BaseCommand, CommandError

from licensing.models import User
from licensing.services import api_token_create


class Command(BaseCommand):
    help = "Create a management API token for a user and print it once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args, username, name, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        issued = api_token_create(user=user, name=name)
        self.stdout.write(issued.token)
