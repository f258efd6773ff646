"""The sign task's typed contract: the OpenAPI document describes `spec` from the same models that
check it, and one serializer gives the API, the confirm page's JSON and the callback their fields."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from inkseal.signing.tasks.errors import SpecInvalid
from inkseal.signing.tasks.schemas import SignTaskSpec, placement_kind
from inkseal.signing.tasks.spec import check_spec
from tests.signing.api_support import *  # noqa: F403

pytestmark = pytest.mark.django_db


def _openapi() -> dict[str, Any]:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_openapi_describes_spec_with_every_placement_kind() -> None:
    document = _openapi()
    body = document["paths"]["/api/v1/sign-tasks"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert body["schema"]["properties"]["spec"]["$ref"] == "#/components/schemas/SignTaskSpec"
    assert body["encoding"]["spec"]["contentType"].startswith("application/json")
    schemas = document["components"]["schemas"]
    spec = schemas["SignTaskSpec"]
    assert {"signer", "confirmer", "documents", "pades_level", "callback_url", "return_url"} <= spec[
        "properties"
    ].keys()
    assert spec["examples"], "the spec has a worked example"
    placements = schemas["DocumentIn"]["properties"]["placements"]["items"]
    kinds = {ref["$ref"].rsplit("/", 1)[1] for ref in placements["oneOf"]}
    assert kinds == {"PointPlacement", "KeywordPlacement", "CrossPagePlacement"}
    for kind in kinds:
        assert schemas[kind]["examples"], kind
        assert set(schemas[kind]["properties"]["seal_type"]["enum"]) >= {"official", "legal_representative"}
    # every reference resolves
    text = json.dumps(document)
    for name in {part.split('"')[0] for part in text.split("#/components/schemas/")[1:]}:
        assert name in schemas, name


def test_the_documented_example_is_accepted() -> None:
    example = SignTaskSpec.model_json_schema()["examples"][0]
    spec = check_spec(json.dumps(example), 1)
    assert spec.serial == "4f1a2b" and spec.documents[0].placements[0]["keyword"] == "投标人（盖章）"


@given(
    st.dictionaries(
        st.sampled_from(["page", "x", "y", "keyword", "cross_page", "seal_type", "occurrence"]),
        st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=3)),
    )
)
def test_any_placement_object_is_accepted_or_refused_with_a_code(placement: dict[str, Any]) -> None:
    raw = {
        "signer": {"certificate_serial": "ab"},
        "confirmer": {"phone": "13800000000"},
        "documents": [{"placements": [placement]}],
    }
    try:
        spec = check_spec(json.dumps(raw), 1)
    except SpecInvalid as exc:
        assert exc.code == "spec_invalid"
    except Exception as exc:  # the core's PlacementError, localised
        assert getattr(exc, "code", "") == "placement_invalid", exc
    else:
        assert placement_kind(placement) is not None
        assert spec.documents[0].placements == (placement,)


def test_one_serializer_cuts_api_confirm_and_callback(signing: Signing) -> None:  # noqa: F405
    from inkseal.signing.callbacks.delivery import callback_body
    from inkseal.signing.models import SignTask
    from inkseal.signing.tasks.api import confirm_out

    created = signing.create().json()
    task = SignTask.objects.get(public_id=created["id"])
    assert set(created) == {
        "id",
        "status",
        "confirm_url",
        "business_id",
        "business_type",
        "pades_level",
        "failure",
        "documents",
        "approvals",  # 用印审批 (issue #19): empty unless a seal needs approval
        "created_at",
        "completed_at",
    }
    assert created["approvals"] == []
    assert set(created["documents"][0]) == {
        "n",
        "name",
        "status",
        "pages",
        "sha256_before",
        "sha256_after",
        "error",
        "url",
    }
    confirm = confirm_out(task)
    assert set(confirm) == {"id", "status", "failure", "documents"}
    assert set(confirm["documents"][0]) == {"n", "name", "status", "error"}
    callback = callback_body(task)
    assert list(callback) == ["event", "id", "status", "business_id", "business_type", "failure", "documents"]
    assert set(callback["documents"][0]) == {"n", "name", "status", "sha256", "url"}
    assert callback["id"] == confirm["id"] == created["id"]
