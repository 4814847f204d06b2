"""``manage.py seed --keys N --projects M``: migrate, create data, print one key.

Keys are created with ``APIKey.objects.create_key``, exactly as the library
documents; the last line of stdout is one valid plain key.
"""

from datetime import UTC, datetime, timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework_api_key.models import APIKey

from projects.models import Project

REGIONS = ["aws-us-east-2", "aws-us-west-2", "aws-eu-central-1"]


class Command(BaseCommand):
    help = "Create API keys and projects for the benchmark; print one plain key."

    def add_arguments(self, parser):
        parser.add_argument("--keys", type=int, default=1000)
        parser.add_argument("--projects", type=int, default=10)

    def handle(self, *args, keys, projects, **options):
        call_command("migrate", verbosity=0, interactive=False)
        start = datetime(2024, 1, 1, tzinfo=UTC)
        with transaction.atomic():
            APIKey.objects.all().delete()
            Project.objects.all().delete()
            Project.objects.bulk_create(
                Project(
                    id=f"bench-project-{i:06d}",
                    name=f"project {i}",
                    region_id=REGIONS[i % len(REGIONS)],
                    pg_version=17,
                    created_at=start + timedelta(minutes=i),
                )
                for i in range(projects)
            )
            plain = [APIKey.objects.create_key(name=f"bench key {i}")[1] for i in range(keys)]
        # A key from the middle, so lookups are not favoured by row order.
        self.stdout.write(plain[len(plain) // 2])
