import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inkseal.settings")
django_application = get_wsgi_application()

from inkseal.pki.wire import protocol_endpoints  # noqa: E402  (needs the apps loaded)

application = protocol_endpoints(django_application)  # OCSP and TSA POSTs answered before the middleware

from inkseal.core.sandbox import check_production_start  # noqa: E402  (needs the apps loaded)

check_production_start()

# the parser processes that read untrusted PDFs under the parsing budget, started before the first upload
from inkseal.signing.parsing import budget  # noqa: E402

budget.warm()
