"""WSGI entry point of the subhost Django sample project.

Import target: module ``django_site.wsgi`` (needs ``samples/django_site`` on
``sys.path``), callable ``application``.  To load by file path instead, use
``samples/django_site/wsgi_app.py``, which sets up ``sys.path`` itself.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_site.settings")

application = get_wsgi_application()
