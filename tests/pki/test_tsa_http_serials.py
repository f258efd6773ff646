"""The HTTP TSA numbers its tokens from a block of serials reserved by one counter update (issue
#16: a time stamp costs no database write), unique and increasing within the process."""

from __future__ import annotations

import pytest
from asn1crypto import tsp
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from inkseal.pki import responders
from tests.pki.conftest import ca_hierarchy  # noqa: F401
from tests.pki.test_http import post_tsa, tsa_query

# transaction=True: served in autocommit as in a server (inside a test transaction each token
# takes a single serial in that transaction instead)
pytestmark = pytest.mark.django_db(transaction=True)


def _serial(reply: bytes) -> int:
    token = tsp.TimeStampResp.load(reply)["time_stamp_token"]
    return int(token["content"]["encap_content_info"]["content"].parsed["serial_number"].native)


def test_time_stamps_over_http_write_the_counter_once_per_block(ca_hierarchy) -> None:  # noqa: F811
    getattr(responders, "_serials", []).clear()  # a block left from another test's (since flushed) database
    client = Client()
    post_tsa(client, tsa_query())  # reserves the block
    with CaptureQueriesContext(connection) as queries:
        serials = [_serial(post_tsa(client, tsa_query(nonce=n))) for n in range(20)]
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert writes == [], writes
    assert serials == sorted(set(serials)) and len(serials) == 20
