import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inkseal.settings")
application = get_wsgi_application()

# the parser processes that read untrusted PDFs under the parsing budget, started before the first upload
from inkseal.signing import budget  # noqa: E402

budget.warm()
