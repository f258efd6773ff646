"""GET /api/v1/seals/preview: the live preview of the 新增印章 page."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.test import Client
from PIL import Image

from tests.conftest import login_client
from tests.seals.conftest import COMPANY, admin_of

pytestmark = pytest.mark.django_db
URL = "/api/v1/seals/preview"


def png(response) -> Image.Image:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(response.content))


@pytest.mark.parametrize(
    ("params", "size"),
    [
        ({"kind": "official"}, (504, 504)),
        ({"kind": "合同专用章", "lower_text": "3101150012345", "border": "double"}, (504, 504)),
        ({"kind": "finance", "color": "blue", "size_mm": "38", "texture": "1"}, (456, 456)),
        ({"kind": "legal_representative"}, (480, 480)),
        ({"kind": "name_square", "name": "欧阳娜娜"}, (480, 480)),
        ({"kind": "人名章-条形", "name": "王小明", "color": "black"}, None),
    ],
)
def test_preview_draws_the_seal(company, params, size):
    client = login_client(admin_of(company), f"enterprise:{company.pk}")
    image = png(client.get(URL, params))
    assert image.mode == "RGBA"
    if size:
        assert image.size == size
    else:
        assert image.height == 200 and image.width > 2 * image.height
    alpha = np.asarray(image)[..., 3]
    assert (alpha == 0).mean() > 0.3 and 0.05 < (alpha > 128).mean() < 0.6, "ink on a transparent background"


def test_preview_name_defaults_to_the_current_identity(company):
    client = login_client(admin_of(company), f"enterprise:{company.pk}")
    default = client.get(URL, {"kind": "official"}).content
    assert default == client.get(URL, {"kind": "official", "name": COMPANY}).content
    assert default != client.get(URL, {"kind": "official", "name": "华为技术有限公司"}).content
    assert png(login_client(admin_of(company)).get(URL, {"kind": "name_square"})).size == (480, 480)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "invalid_params"),
        ({"kind": "handwriting"}, "invalid_params"),
        ({"kind": "stamp"}, "invalid_params"),
        ({"kind": "official", "color": "green"}, "unknown_ink_color"),
        ({"kind": "official", "border": "triple"}, "unknown_border"),
        ({"kind": "official", "size_mm": "abc"}, "invalid_params"),
        ({"kind": "official", "size_mm": "nan"}, "invalid_params"),
        ({"kind": "official", "size_mm": "500"}, "seal_size_out_of_range"),
        ({"kind": "official", "lower_text": "1" * 21}, "lower_text_too_long"),
        ({"kind": "official", "name": "很" * 31}, "name_too_long"),
        ({"kind": "official", "name": "长" * 41}, "invalid_params"),
        ({"kind": "name_square", "name": "王\U000f0000"}, "unrenderable_character"),
    ],
)
def test_bad_parameters_are_a_400_with_a_reason(person, params, code):
    response = login_client(person).get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == code and body["message"]


def test_preview_messages_follow_the_language(person):
    client = login_client(person)
    assert "印章颜色" in client.get(URL, {"kind": "official", "color": "green"}).json()["message"]
    english = client.get(URL, {"kind": "official", "color": "green"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "colour" in english.json()["message"] or "color" in english.json()["message"]


def test_preview_needs_a_portal_session():
    response = Client().get(URL, {"kind": "official", "name": COMPANY})
    assert response.status_code == 401 and response.json()["error"] == "login_required"


def test_preview_is_in_the_openapi_schema():
    paths = Client().get("/api/openapi.json").json()["paths"]
    assert "image/png" in paths[URL]["get"]["responses"]["200"]["content"]
