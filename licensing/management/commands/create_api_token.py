from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from licensing.models import Tenant, User
from licensing.services import api_token_create


class Command(BaseCommand):
    help = "Create a management API token for a user and print it once."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for.")
        parser.add_argument(
            "--tenant",
            default="",
            help="Slug or id of the tenant the token addresses when a request names none.",
        )

    def handle(self, *args, username, name, tenant, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        default_tenant = None
        if tenant:
            default_tenant = Tenant.objects.filter(slug=tenant).first()
            if default_tenant is None:
                try:
                    default_tenant = Tenant.objects.filter(pk=tenant).first()
                except ValidationError:
                    default_tenant = None
            if default_tenant is None:
                raise CommandError(f"No tenant {tenant!r}.")
        issued = api_token_create(user=user, name=name, default_tenant=default_tenant)
        self.stdout.write(issued.token)
