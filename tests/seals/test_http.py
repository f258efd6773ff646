"""Making and voiding seals through the pages, as the browser posts them: handwriting checked by
OCR, uploaded photos cleaned and checked, refusals in the user's language with nothing changed."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from inkseal.accounts.models import Membership
from inkseal.accounts.services import identity_acting
from inkseal.seals.models import Seal, SealState
from inkseal.seals.render import render_image
from inkseal.seals.render_spec import SealSpec
from inkseal.seals.services import TemplateOptions, do_make_template_seal
from tests.conftest import login_client
from tests.seals.conftest import COMPANY, admin_of, as_enterprise, as_person
from tests.seals.samples import document_page, handwritten, on_paper, png, red_disc

pytestmark = pytest.mark.django_db


def post_new(client: Any, **fields: Any) -> Any:
    return client.post("/seals/new/", fields)


def enterprise_client(company: Any) -> Any:
    return login_client(admin_of(company), f"enterprise:{company.pk}", stepped_up=True)


def image_of(seal: Seal) -> Image.Image:
    return Image.open(seal.image.open("rb")).convert("RGBA")


# --- template ------------------------------------------------------------------------------------


def test_template_seal_made_through_the_page(company):
    response = post_new(
        enterprise_client(company),
        kind="contract",
        method="template",
        color="red",
        border="double",
        with_lower_text="1",
        lower_text="3101150012345",
    )
    seal = Seal.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/seals/{seal.pk}/"
    assert (seal.kind, seal.lower_text, seal.border, seal.name) == ("contract", "3101150012345", "double", COMPANY)


def test_lower_text_is_dropped_unless_chosen(company):
    post_new(enterprise_client(company), kind="official", method="template", lower_text="3101150012345")
    assert Seal.objects.get().lower_text == ""


def test_second_seal_of_a_type_is_refused_with_a_clear_message(person):
    client = login_client(person, stepped_up=True)
    assert post_new(client, kind="name", style="square").status_code == 302
    response = post_new(client, kind="name", style="strip")
    assert response.status_code == 400
    assert Seal.objects.count() == 1
    # the type is no longer offered at all
    assert 'value="name"' not in response.content.decode()


def test_change_replaces_the_seal(person):
    client = login_client(person, stepped_up=True)
    post_new(client, kind="name", style="square")
    old = Seal.objects.get()
    page = client.get(f"/seals/new/?replace={old.pk}").content.decode()
    assert "变更人名章" in page and 'name="replace"' in page
    response = post_new(client, kind="name", style="strip", replace=old.pk)
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.state == SealState.VOID and Seal.objects.get(state="active").template_kind == "name_strip"


def test_another_identitys_seal_cannot_be_replaced(person, company):
    theirs = do_make_template_seal(
        as_enterprise(company), "official", TemplateOptions(), acting=identity_acting(as_enterprise(company))
    )
    response = post_new(login_client(person, stepped_up=True), kind="name", replace=theirs.pk)
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == SealState.ACTIVE and Seal.objects.count() == 1


def test_member_and_unverified_person_get_a_refusal_page(company, make_person):
    member = make_person(name="赵六", verified=True)
    Membership.objects.create(person=member, enterprise=company, role=Membership.Role.MEMBER)
    client = login_client(member, f"enterprise:{company.pk}")
    assert client.get("/seals/new/").status_code == 403
    assert post_new(client, kind="official", method="template").status_code == 403
    unverified = login_client(make_person(name="钱七"))
    response = unverified.get("/seals/new/")
    assert response.status_code == 403 and "请先完成个人实名认证" in response.content.decode()
    assert Seal.objects.count() == 0


# --- handwriting ---------------------------------------------------------------------------------


def signature_file(image: Image.Image) -> SimpleUploadedFile:
    return SimpleUploadedFile("signature.png", png(image), content_type="image/png")


def test_handwritten_name_is_accepted_and_kept_tight_and_transparent(ocr, person):
    drawing = handwritten(person.name, seed=3)
    response = post_new(
        login_client(person, stepped_up=True), kind="handwriting", ink="blue", signature=signature_file(drawing)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    seal = Seal.objects.get()
    assert (seal.kind, seal.source, seal.color, seal.name) == ("handwriting", "handwriting", "blue", "王小明")
    image = image_of(seal)
    alpha = np.asarray(image)[..., 3]
    assert alpha[0, 0] == 0 and alpha[-1, -1] == 0, "transparent background"
    xs = np.nonzero(alpha > 64)[1]
    assert xs.min() < 0.08 * image.width and xs.max() > 0.92 * image.width, "cropped tight to the ink"
    assert (np.asarray(image)[alpha == 255][:, :3] == (0x10, 0x3C, 0xB4)).all(), "ink in the chosen colour"
    assert seal.height_mm <= 15.0 and seal.width_mm > seal.height_mm


def test_handwriting_of_another_name_is_refused_with_the_reason(ocr, person):
    response = post_new(
        login_client(person, stepped_up=True), kind="handwriting", signature=signature_file(handwritten("欧阳娜娜"))
    )
    assert response.status_code == 400
    assert "手写签名无法识别为“王小明”，请工整书写您的姓名。" in response.content.decode()
    assert Seal.objects.count() == 0


def test_handwriting_refusal_in_english(ocr, person):
    client = login_client(person, stepped_up=True)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = post_new(client, kind="handwriting", signature=signature_file(handwritten("欧阳娜娜")))
    assert response.status_code == 400
    assert "The signature does not read as" in response.content.decode()


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        (None, "手写签名为空"),
        (Image.new("RGBA", (400, 120)), "手写签名为空"),
        (b"GIF89a not a png", "签名图片无效"),
    ],
    ids=["missing", "blank-canvas", "not-png"],
)
def test_empty_or_broken_signatures_are_refused(person, signature, message):
    fields: dict[str, Any] = {"kind": "handwriting"}
    if isinstance(signature, Image.Image):
        fields["signature"] = signature_file(signature)
    elif signature is not None:
        fields["signature"] = SimpleUploadedFile("signature.png", signature, content_type="image/png")
    response = post_new(login_client(person, stepped_up=True), **fields)
    assert response.status_code == 400 and message in response.content.decode()
    assert Seal.objects.count() == 0


# --- upload --------------------------------------------------------------------------------------


def photo_file(data: bytes, name: str = "seal.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def test_photographed_seal_is_cleaned_and_kept(ocr, company):
    stamped = render_image(SealSpec("official", COMPANY, color="blue", texture=True))
    response = post_new(
        enterprise_client(company),
        kind="official",
        method="upload",
        color="red",
        risk_acknowledged="1",
        image=photo_file(on_paper(stamped, angle=23, seed=5)),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    seal = Seal.objects.get()
    assert (seal.source, seal.color, seal.name, seal.width_mm) == ("upload", "red", COMPANY, 42.0)
    rgba = np.asarray(image_of(seal))
    assert rgba[0, 0, 3] == 0 and (rgba[rgba[..., 3] == 255][:, :3] == (0xE6, 0x00, 0x12)).all()


def test_photographed_legal_representative_seal(ocr, company):
    stamped = render_image(SealSpec("legal_representative", company.legal_rep_name, texture=True))
    response = post_new(
        enterprise_client(company),
        kind="legal_representative",
        method="upload",
        risk_acknowledged="1",
        image=photo_file(on_paper(stamped, angle=-8, seed=2)),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Seal.objects.get().width_mm == 20.0


@pytest.mark.parametrize(
    ("make_photo", "reason"),
    [
        (document_page, "图片中的印迹不是圆形或方形印章。"),
        (red_disc, "图片中的印迹不是圆形或方形印章。"),
        (lambda: b"%PDF-1.7 not an image", "文件不是 JPG 或 PNG 图片。"),
        (lambda: on_paper(render_image(SealSpec("official", "华为技术有限公司")), angle=0, seed=1), "印章文字与名称"),
    ],
    ids=["document", "red-ball", "pdf", "other-company"],
)
def test_images_that_are_not_our_seal_are_refused_with_the_reason_and_the_template_hint(
    ocr, company, make_photo, reason
):
    response = post_new(
        enterprise_client(company),
        kind="official",
        method="upload",
        risk_acknowledged="1",
        image=photo_file(make_photo()),
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert reason in page and "您可以改用模板制作印章。" in page
    assert Seal.objects.count() == 0


def test_a_square_seal_is_not_accepted_as_the_official_seal(ocr, company):
    stamped = render_image(SealSpec("legal_representative", company.legal_rep_name))
    response = post_new(
        enterprise_client(company),
        kind="official",
        method="upload",
        risk_acknowledged="1",
        image=photo_file(on_paper(stamped, angle=0, seed=4)),
    )
    assert response.status_code == 400
    assert "上传的印章是方形章，公章应为圆形章。您可以改用模板制作印章。" in response.content.decode()
    assert Seal.objects.count() == 0


def test_oversized_upload_is_refused(company):
    big = io.BytesIO()
    Image.effect_noise((1400, 1400), 120).convert("RGB").save(big, "PNG")
    assert big.tell() > 2 * 1024 * 1024
    response = post_new(
        enterprise_client(company),
        kind="official",
        method="upload",
        risk_acknowledged="1",
        image=SimpleUploadedFile("big.png", big.getvalue(), content_type="image/png"),
    )
    assert response.status_code == 400 and "文件超过 2 MB。" in response.content.decode()


def test_upload_without_the_risk_notice_is_refused(company):
    stamped = render_image(SealSpec("official", COMPANY))
    response = post_new(
        enterprise_client(company), kind="official", method="upload", image=photo_file(on_paper(stamped, 0, 1))
    )
    assert response.status_code == 400 and "请先阅读并勾选风险提示" in response.content.decode()
    assert Seal.objects.count() == 0


# --- void, images, other identities -----------------------------------------------------------------


def test_void_needs_confirmation_and_then_records_the_time(person):
    client = login_client(person, stepped_up=True)
    post_new(client, kind="name")
    seal = Seal.objects.get()
    assert client.post("/seals/void", {"seal": seal.pk}).status_code == 400
    seal.refresh_from_db()
    assert seal.state == SealState.ACTIVE
    response = client.post("/seals/void", {"seal": seal.pk, "confirm": "1"})
    assert response.status_code == 302 and response["Location"] == "/seals/?tab=void"
    seal.refresh_from_db()
    assert seal.state == SealState.VOID and seal.voided_at is not None
    assert client.post("/seals/void", {"seal": seal.pk, "confirm": "1"}).status_code == 409


def test_another_identitys_seal_is_a_404_everywhere(person, company, make_person):
    theirs = do_make_template_seal(
        as_enterprise(company), "official", TemplateOptions(), acting=identity_acting(as_enterprise(company))
    )
    mine = do_make_template_seal(
        as_person(person), "name", TemplateOptions(), acting=identity_acting(as_person(person))
    )
    client = login_client(person, stepped_up=True)
    for url in (f"/seals/{theirs.pk}/", f"/seals/{theirs.pk}/image.png"):
        assert client.get(url).status_code == 404
    assert client.post("/seals/void", {"seal": theirs.pk, "confirm": "1"}).status_code == 404
    assert client.get(f"/seals/{mine.pk}/image.png")["Content-Type"] == "image/png"
    # the enterprise admin, acting as themselves, does not see the enterprise's seals either
    admin_personal = login_client(admin_of(company))
    assert admin_personal.get(f"/seals/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == SealState.ACTIVE


def test_logged_out_visitors_are_sent_to_login(person):
    seal = do_make_template_seal(
        as_person(person), "name", TemplateOptions(), acting=identity_acting(as_person(person))
    )
    from django.test import Client

    for url in ("/seals/", "/seals/new/", f"/seals/{seal.pk}/", f"/seals/{seal.pk}/image.png"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert Client().post("/seals/void", {"seal": seal.pk, "confirm": "1"}).status_code == 302
    seal.refresh_from_db()
    assert seal.state == SealState.ACTIVE
