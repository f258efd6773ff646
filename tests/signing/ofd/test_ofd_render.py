"""OFD page pictures (inkseal.signing.core.ofd.render through inkseal.signing.core.preview):
golden pictures of corpus pages, every corpus page drawn and not blank, seals drawn from the
signatures, sizes in millimetres, hostile packages refused with the OFD core's OfdError, and a
property test of the AbbreviatedData path parser.

Golden pictures (tests/signing/ofd/golden/, 300 px wide) were looked at when made; after a
deliberate change of the renderer, look at the new pictures and rewrite them with
INKSEAL_UPDATE_GOLDEN=1."""

from __future__ import annotations

import io
import math
import os
import random
from pathlib import Path
from typing import Any

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageDraw

from inkseal.core.errors import DomainError
from inkseal.signing.core import preview
from inkseal.signing.core.ofd.abbreviated import parse_abbreviated
from inkseal.signing.core.ofd.errors import OfdError, OfdMalformed
from inkseal.signing.core.ofd.model import document
from inkseal.signing.core.ofd.package import Limits, open_package
from inkseal.signing.core.ofd.render import page_pdf, stamp_fractions
from tests.signing.ofd.test_ofd_package import HELLO, hello_entries, rezip

CORPUS = Path("/work/shared/corpus/ofd")
GOLDEN = Path(__file__).parent / "golden"
GOLDEN_PAGES = [
    ("unsigned/reader-helloworld.ofd", 1),  # CJK text in the fallback font
    ("unsigned/sign-doc1File.ofd", 2),  # an embedded TrueType by glyph ID (CGTransform)
    ("unsigned/converter-containsJPEG.ofd", 1),  # a JPEG
    ("unsigned/layout-no_page_container.ofd", 1),  # template, paths, JBIG2 QR code
    ("signed/converter-999.ofd", 1),  # invoice: paths, text, PNG, a seal whose picture is an OFD
    ("signed/converter-V4RideRight.ofd", 1),  # a riding seal's clipped slice
    ("signed/reader-SESV4SignDoc.ofd", 1),  # a PNG seal
    ("signed/converter-testPathClip.ofd", 1),  # clips, embedded fonts, images
]


def png(data: bytes, page: int, width: int = 300) -> Image.Image:
    return Image.open(io.BytesIO(preview.page_png(data, page, width))).convert("RGB")


def ink(image: Image.Image) -> int:
    """Pixels that are not white."""
    histogram = image.convert("L").point(lambda v: 255 if v < 240 else 0).histogram()
    return histogram[255]


@pytest.mark.parametrize(("name", "page"), GOLDEN_PAGES, ids=[f"{n}-p{p}" for n, p in GOLDEN_PAGES])
def test_golden_pages(name: str, page: int) -> None:
    image = png((CORPUS / name).read_bytes(), page)
    golden = GOLDEN / f"{Path(name).stem}-p{page}.png"
    if os.environ.get("INKSEAL_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        image.save(golden, optimize=True)
    expected = Image.open(golden).convert("RGB")
    assert image.size == expected.size
    difference = ImageChops.difference(image, expected).convert("L")
    pixels = image.width * image.height
    mean = sum(i * n for i, n in enumerate(difference.histogram())) / pixels
    far = sum(difference.histogram()[64:]) / pixels
    assert mean < 2.0 and far < 0.01, (name, mean, far)  # anti-aliasing and font versions may move a little


def test_every_corpus_page_is_drawn() -> None:
    """Every page (up to the preview limit) of every corpus file: a PNG of the page's proportions
    with something on it; sizes in millimetres (the PhysicalBox)."""
    for path in sorted(CORPUS.glob("*/*.ofd")):
        data = path.read_bytes()
        sizes = preview.page_sizes(data, preview.MAX_PREVIEW_PAGES)
        assert sizes, path.name
        for number, (width_mm, height_mm) in enumerate(sizes[:12], start=1):
            image = png(data, number, 120)
            assert abs(image.width - 120) <= 1  # PDFium rounds the scaled page up
            assert abs(image.height - round(120 * height_mm / width_mm)) <= 1, (path.name, number)
            assert ink(image) > 20, (path.name, number)


def test_sizes_are_millimetres() -> None:
    assert preview.page_sizes(HELLO) == [(210.0, 297.0)]
    invoice = (CORPUS / "signed" / "converter-999.ofd").read_bytes()
    assert preview.page_sizes(invoice, 2) == [(210.0, 140.0), (210.0, 297.0)]
    assert preview.page_sizes(invoice, 1) == [(210.0, 140.0)]


def _red(image: Image.Image, box: tuple[float, float, float, float], page_mm: tuple[float, float]) -> int:
    """Red pixels inside a box given in millimetres."""
    scale = image.width / page_mm[0]
    x, y, w, h = (round(v * scale) for v in box)
    region = image.crop((x, y, x + w, y + h))
    pixels = numpy.asarray(region).astype(int)
    return int(((pixels[..., 0] > 180) & (pixels[..., 1] < 120) & (pixels[..., 2] < 120)).sum())


def test_seals_are_drawn_where_their_stamp_annotations_say() -> None:
    """reader-SESV4SignDoc: StampAnnot Boundary 50 50 40 40 on an A4 page, the PNG seal inside
    SignedValue.dat. The translation without stamps has no red there."""
    data = (CORPUS / "signed" / "reader-SESV4SignDoc.ofd").read_bytes()
    image = png(data, 1, 420)
    assert _red(image, (50, 50, 40, 40), (210, 297)) > 1000
    assert _red(image, (100, 150, 40, 40), (210, 297)) == 0
    bare = Image.open(io.BytesIO(preview._pdf_page_png(page_pdf(data, 1, stamps=False), 1, 420))).convert("RGB")
    assert _red(bare, (50, 50, 40, 40), (210, 297)) == 0


def test_a_seal_no_conformant_parser_reads_still_shows() -> None:
    """converter-n.ofd's GM/T 0031 seal is not conformant DER (verification reports it malformed);
    its picture is still drawn at its StampAnnot (page 2, Boundary 122.94 37 33 33)."""
    image = png((CORPUS / "signed" / "converter-n.ofd").read_bytes(), 2, 420)
    assert _red(image, (122.94, 37, 33, 33), (210, 297)) > 300


def test_a_riding_seal_shows_only_its_slice() -> None:
    """converter-V4RideRight page 1: Boundary 202 40 40 40, Clip 0 0 8 40: the slice at the right
    edge shows, nothing of the seal to the left of the page edge's 8 mm."""
    data = (CORPUS / "signed" / "converter-V4RideRight.ofd").read_bytes()
    image = png(data, 1, 420)
    assert _red(image, (202, 40, 8, 40), (210, 297)) > 100
    assert _red(image, (180, 40, 20, 40), (210, 297)) == 0


def test_stamp_fractions_are_from_the_top_left() -> None:
    """An OFD placement (millimetres from the top left) as the confirm page's overlay fractions."""
    assert stamp_fractions((0, 0, 210, 297), 50, 50, 40, 40) == pytest.approx((50 / 210, 50 / 297, 40 / 210, 40 / 297))


# -- hostile packages ------------------------------------------------------------------------


def _replaced(name: str, data: bytes) -> bytes:
    return rezip([(n, data) if n == name else (n, d) for n, d in hello_entries()])


CONTENT = "Doc_0/Pages/Page_0/Content.xml"
NS = b'xmlns:ofd="http://www.ofdspec.org/2016"'


def _page(body: bytes, res: bytes = b"") -> bytes:
    content = b'<?xml version="1.0" encoding="UTF-8"?><ofd:Page ' + NS + b"><ofd:Content><ofd:Layer ID='1'>"
    return _replaced(CONTENT, content + body + b"</ofd:Layer></ofd:Content></ofd:Page>")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (HELLO[: len(HELLO) // 2], "ofd_truncated"),
        (rezip([("Doc_0/Document.xml", b"<Document/>")]), "ofd_not_ofd"),
        (rezip([*hello_entries(), ("../evil.xml", b"x")]), "ofd_unsafe_path"),
        (rezip([*hello_entries(), ("ofd.xml", b"<x/>")]), "ofd_duplicate_entry"),  # case folded
        (rezip([*hello_entries(), ("Doc_0/Res/zeros.bin", bytes(4 * 1024 * 1024))]), "ofd_zip_bomb"),
        (_replaced(CONTENT, b"<ofd:Page"), "ofd_malformed"),
        (
            _replaced(
                CONTENT,
                b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><ofd:Page ' + NS + b">&a;</ofd:Page>",
            ),
            "ofd_malformed",
        ),
        (_replaced("OFD.xml", b"<ofd:OFD " + NS + b"/>"), "ofd_malformed"),
    ],
    ids=["truncated", "no-ofd-xml", "traversal", "duplicate", "zip-bomb", "bad-xml", "entities", "no-docbody"],
)
def test_hostile_packages_get_the_cores_error(data: bytes, code: str) -> None:
    for call in (lambda: preview.page_png(data, 1, 200), lambda: preview.page_sizes(data)):
        with pytest.raises(OfdError) as caught:
            call()
        assert caught.value.code == code


def test_a_page_that_is_not_there() -> None:
    with pytest.raises(OfdMalformed):
        preview.page_png(HELLO, 2)
    with pytest.raises(OfdMalformed):
        preview.page_png(HELLO, 0)


def ofd(xml: str) -> bytes:
    """OFD elements written without their prefix."""
    return xml.replace("</", "\x00").replace("<", "<ofd:").replace("\x00", "</ofd:").encode()


@pytest.mark.parametrize(
    "body",
    [
        ofd(
            "<PathObject ID='2' Boundary='0 0 10 10'><AbbreviatedData>M 0 0 L nan 5 Q 1</AbbreviatedData></PathObject>"
        ),
        ofd(
            "<PathObject ID='2' Boundary='0 0 1e308 inf' CTM='nan 0 0 1 0 0'>"
            "<AbbreviatedData>M 0 0 L 5 5</AbbreviatedData></PathObject>"
        ),
        ofd(
            "<TextObject ID='2' Boundary='0 0 10 10' Font='3' Size='1e300'>"
            "<TextCode X='0' Y='0'>x</TextCode></TextObject>"
        ),
        ofd(
            "<TextObject ID='2' Boundary='0 0 10 10' Font='3' Size='5'>"
            "<TextCode X='a' Y='0' DeltaX='g 999999999 1 g 99999999 2'>ab</TextCode>"
            "<CGTransform CodePosition='-5' CodeCount='99999999999'><Glyphs>1 x</Glyphs></CGTransform></TextObject>"
        ),
        ofd("<ImageObject ID='2' Boundary='0 0 10 10' ResourceID='404'/>"),
        ofd("<PageBlock>" * 200 + "</PageBlock>" * 200),
        ofd("<CompositeObject ID='2' Boundary='0 0 10 10' ResourceID='3'/>"),
        ofd(
            "<PathObject ID='2' Boundary='0 0 10 10' DrawParam='3'><Clips><Clip><Area><Path Boundary='x'>"
            "<AbbreviatedData>Z</AbbreviatedData></Path></Area></Clip></Clips>"
            "<FillColor Value='#ZZ 1' ColorSpace='99'/><AbbreviatedData>M 0 0 L 5 5</AbbreviatedData></PathObject>"
        ),
    ],
    ids=[
        "bad-path",
        "non-finite",
        "huge-text",
        "huge-deltas",
        "missing-image",
        "deep-blocks",
        "font-as-unit",
        "bad-clip",
    ],
)
def test_hostile_objects_are_left_out(body: bytes) -> None:
    """Objects the translator cannot use are left out; the page still draws (the text still shows)."""
    image = png(
        _page(
            body + b"<ofd:TextObject ID='9' Boundary='10 10 100 20' Font='3' Size='10'>"
            b"<ofd:TextCode X='0' Y='10'>OFD</ofd:TextCode></ofd:TextObject>"
        ),
        1,
        200,
    )
    assert ink(image) > 10


def test_hostile_images() -> None:
    """A decompression bomb PNG, a broken JPEG and a broken JBIG2 in MultiMedia: left out."""
    huge = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(huge, "PNG")
    res = (
        b'<?xml version="1.0"?><ofd:Res '
        + NS
        + b' BaseLoc="Res"><ofd:Fonts><ofd:Font ID="3" FontName="SimSun"/></ofd:Fonts>'
        b"<ofd:MultiMedias>"
        b"<ofd:MultiMedia ID='10' Type='Image'><ofd:MediaFile>big.png</ofd:MediaFile></ofd:MultiMedia>"
        b"<ofd:MultiMedia ID='11' Type='Image'><ofd:MediaFile>bad.jpg</ofd:MediaFile></ofd:MultiMedia>"
        b"<ofd:MultiMedia ID='12' Type='Image' Format='JB2'><ofd:MediaFile>bad.jb2</ofd:MediaFile></ofd:MultiMedia>"
        b"</ofd:MultiMedias></ofd:Res>"
    )
    content = (
        b'<?xml version="1.0"?><ofd:Page '
        + NS
        + b"><ofd:Content><ofd:Layer ID='1'>"
        + b"".join(
            b"<ofd:ImageObject ID='%d' Boundary='0 0 50 50' CTM='50 0 0 50 0 0' ResourceID='%d'/>" % (i, i)
            for i in (10, 11, 12)
        )
        + ofd(
            "<TextObject ID='9' Boundary='10 60 100 20' Font='3' Size='10'>"
            "<TextCode X='0' Y='10'>OFD</TextCode></TextObject>"
        )
        + b"</ofd:Layer></ofd:Content></ofd:Page>"
    )
    entries = [(n, res if n == "Doc_0/PublicRes.xml" else content if n == CONTENT else d) for n, d in hello_entries()]
    data = rezip(
        [
            *entries,
            ("Doc_0/Res/big.png", huge.getvalue()),
            ("Doc_0/Res/bad.jpg", b"\xff\xd8\xff\xe0" + bytes(100)),
            ("Doc_0/Res/bad.jb2", b"\x97JB2\r\n\x1a\n\x01" + bytes(40)),
        ]
    )
    assert ink(png(data, 1, 200)) > 10


def test_damaged_entries_never_crash() -> None:
    """Content, resources, seals of corpus files damaged inside a sound ZIP: a picture or an OfdError."""
    rng = random.Random(2026)
    paths = [
        CORPUS / "signed" / "converter-999.ofd",
        CORPUS / "signed" / "reader-SESV4SignDoc.ofd",
        CORPUS / "unsigned" / "layout-no_page_container.ofd",
    ]
    packages = [open_package(p.read_bytes()) for p in paths]
    for _ in range(40):
        package = rng.choice(packages)
        target = rng.choice([n for n in package.names if n.endswith((".dat", ".xml", ".esl", ".png", ".jb2"))])
        data = bytearray(package.read(target))
        for _ in range(rng.randrange(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            preview.page_png(package.write({target: bytes(data)}), 1, 150)
        except DomainError as exc:
            assert isinstance(exc, OfdError), exc


def test_limits_apply() -> None:
    with pytest.raises(OfdError) as caught:
        page_pdf(HELLO, 1, limits=Limits(max_package=100))
    assert caught.value.code == "ofd_too_large"


# -- the AbbreviatedData parser ----------------------------------------------------------------

_coordinate = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False).map(lambda v: round(v, 3))
_command = st.one_of(
    st.tuples(st.sampled_from("SML"), _coordinate, _coordinate),
    st.tuples(st.just("Q"), *[_coordinate] * 4),
    st.tuples(st.just("B"), *[_coordinate] * 6),
    st.tuples(
        st.just("A"),
        _coordinate,
        _coordinate,
        _coordinate,
        st.sampled_from([0, 1]),
        st.sampled_from([0, 1]),
        _coordinate,
        _coordinate,
    ),
    st.tuples(st.just("C")),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_command, max_size=30))
def test_well_formed_paths_parse(commands: list[tuple[object, ...]]) -> None:
    """Well-formed path data: every drawing command gives segments ending where it says, every
    number finite, every subpath opened by a move."""
    text = " ".join(" ".join(str(v) for v in command) for command in commands)
    segments = parse_abbreviated(text)
    assert all(isinstance(v, str) or math.isfinite(v) for s in segments for v in s)
    assert not segments or segments[0][0] == "m"
    ends = [s[-2:] for s in segments if s[0] != "h"]
    targets = [c[-2:] for c in commands if c[0] != "C"]
    for target in targets:  # every end point is reached (an arc to its own start is a line there)
        assert any(
            math.isclose(e[0], target[0], abs_tol=1e-6) and math.isclose(e[1], target[1], abs_tol=1e-6) for e in ends
        )


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="SMLQBAC0123456789.-+eE naif \t", max_size=80))
def test_any_path_text_parses_or_is_malformed(text: str) -> None:
    try:
        segments = parse_abbreviated(text)
    except OfdMalformed:
        return
    assert all(isinstance(v, str) or math.isfinite(v) for s in segments for v in s)


def test_arc_ends_and_bulges() -> None:
    """A half circle of radius 10 from (0, 0) to (20, 0): ends at (20, 0), bulges 10 to one side."""
    segments = parse_abbreviated("M 0 0 A 10 10 0 0 1 20 0")
    assert segments[-1][-2:] == (20.0, 0.0)
    ys = [v for s in segments[1:] for v in s[2::2]]
    assert max(abs(v) for v in ys) == pytest.approx(10)
    assert parse_abbreviated("S 0 0 L 1 1 C") == [("m", 0.0, 0.0), ("l", 1.0, 1.0), ("h",)]


def test_the_renderer_is_pure() -> None:
    """The renderer and the previews load without Django (a fresh interpreter, no settings)."""
    import subprocess
    import sys

    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = (
        "import sys, inkseal.signing.core.ofd.render, inkseal.signing.core.preview;"
        " print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert result.stdout.strip() == "[]"


def test_a_page_drawing_more_than_a_preview_draws_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Glyphs and path segments are counted (MAX_DRAWN, 2 000 000 in production; 10 here)."""
    from inkseal.signing.core.ofd import render

    monkeypatch.setattr(render, "MAX_DRAWN", 10)
    text = ofd("<TextObject ID='2' Boundary='0 0 100 10' Font='3' Size='3'><TextCode X='0' Y='3'>" + "字" * 20)
    with pytest.raises(OfdMalformed):
        page_pdf(_page(text + b"</ofd:TextCode></ofd:TextObject>"), 1)
    path = ofd("<PathObject ID='2' Boundary='0 0 10 10'><AbbreviatedData>M 0 0" + " L 1 1" * 20)
    with pytest.raises(OfdMalformed):
        page_pdf(_page(path + b"</ofd:AbbreviatedData></ofd:PathObject>"), 1)
    monkeypatch.setattr(render, "MAX_DRAWN", 30)
    assert page_pdf(HELLO, 1)  # its 21 glyphs


def test_our_own_seals_are_drawn(sealing: Any) -> None:
    """An OFD we seal (seal_ofd, a PNG seal picture, a point seal and a riding seal) shows its
    seals where the placements put them, and nothing of them before sealing."""
    from inkseal.seals import ses
    from inkseal.signing.core.ofd.placement import riding_placements
    from inkseal.signing.core.ofd.sign import StampPlacement, seal_ofd

    picture = io.BytesIO()
    disc = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(disc).ellipse((0, 0, 199, 199), fill=(220, 20, 30, 255))
    disc.save(picture, "PNG")
    seal = sealing.make_seal([sealing.pki.signer_cert.der], picture=ses.Picture("PNG", picture.getvalue(), 40, 40))
    original = (CORPUS / "unsigned" / "sign-VPage7.ofd").read_bytes()  # 5 A4 pages
    doc = document(open_package(original))
    once = seal_ofd(original, seal_der=seal, signer=sealing.signer, placements=[StampPlacement(2, 20, 200, 40, 40)])
    riding = riding_placements(document(open_package(once)), width_mm=40, height_mm=40, y_mm=240)
    sealed = seal_ofd(once, seal_der=seal, signer=sealing.signer, placements=riding)
    assert len(doc.pages) == 5
    page_two = png(sealed, 2, 420)
    assert _red(page_two, (25, 205, 30, 30), (210, 297)) > 2000  # the point seal, a filled disc
    assert _red(png(original, 2, 420), (25, 205, 30, 30), (210, 297)) == 0
    for number in range(1, 6):  # the riding seal: an 8 mm slice at each page's right edge
        image = png(sealed, number, 420)
        assert _red(image, (202.5, 245, 7, 30), (210, 297)) > 200, number
        assert _red(image, (150, 245, 40, 30), (210, 297)) == 0, number


def test_object_and_colour_alpha_multiply() -> None:
    """A red square with Alpha 128 whose FillColor has Alpha 128 is drawn at a quarter: (255, 191, 191)."""
    square = ofd(
        "<PathObject ID='2' Boundary='50 50 100 100' Alpha='128' Fill='true' Stroke='false'>"
        "<FillColor Value='255 0 0' Alpha='128'/><AbbreviatedData>M 0 0 L 100 0 L 100 100 L 0 100 C</AbbreviatedData>"
        "</PathObject>"
    )
    image = png(_page(square), 1, 210)
    red, green, blue = image.getpixel((100, 100))
    assert red > 245 and abs(green - 191) <= 4 and abs(blue - 191) <= 4
