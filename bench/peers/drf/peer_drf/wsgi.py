"""WSGI entry point: ``gunicorn -w 2 -b 127.0.0.1:PORT peer_drf.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_drf.settings")

application = get_wsgi_application()
