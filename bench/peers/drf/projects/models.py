from django.db import models


class Project(models.Model):
    id = models.CharField(max_length=60, primary_key=True)
    name = models.CharField(max_length=256)
    region_id = models.CharField(max_length=64)
    pg_version = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]
