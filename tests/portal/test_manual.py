"""The user manual PDF (证书使用工具下载 → 用户手册): typeset from docs/user-manual.zh.md with an
embedded Noto CJK font, cached under var/manual/, served from /tools/user-manual.pdf and linked
from the home page."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from inkseal.conf import BASE_DIR
from inkseal.portal import manual_store
from inkseal.portal.manual import render_manual
from inkseal.portal.manual_markdown import (
    Code,
    Heading,
    Image,
    ListBlock,
    ListItem,
    ManualSourceError,
    Note,
    Paragraph,
    Table,
    parse_markdown,
)
from inkseal.portal.manual_pdf import ManualPDF, Run, inline_runs, locate_manual_fonts
from tests.conftest import login_client

SOURCE = BASE_DIR / "docs" / "user-manual.zh.md"
REQUIRED_CHAPTERS = (
    "登录",
    "实名认证",
    "首页",
    "印章管理",
    "证书管理",
    "我的办理",
    "签章",
    "应用记录",
    "验签",
    "证书使用工具",
    "常见问题",
)
REQUIRED_SECTIONS = (
    "单点登录（SSO）",
    "短信登录",
    "个人实名认证",
    "企业实名认证",
    "证书初购",
    "证书续期",
    "证书授权",
    "云证书 PIN 码",
    "证书吊销",
    "证书详情与下载",
    "审核与制证",
    "UKEY 发货与确认收货",
    "开票",
    "交易平台签章确认",
    "自助签署",
    "UKEY 客户端工具",
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> manual_store.BuiltManual:
    """The real manual, rendered once for this module into a var/manual-like folder."""
    return manual_store.build_manual(SOURCE, tmp_path_factory.mktemp("var") / "manual")


@pytest.fixture(scope="module")
def document(built: manual_store.BuiltManual) -> Any:
    return pdfium.PdfDocument(built.path.read_bytes())


def page_text(document: Any) -> str:
    return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def chapter_titles() -> list[str]:
    return [b.text for b in parse_markdown(SOURCE.read_text()) if isinstance(b, Heading) and b.level == 2]


# --- the manual itself ----------------------------------------------------------------------------


def test_manual_is_a_pdf_with_a_page_per_chapter(built: manual_store.BuiltManual, document: Any) -> None:
    data = built.path.read_bytes()
    assert data.startswith(b"%PDF-")
    chapters = chapter_titles()
    assert len(chapters) >= 12
    # cover + table of contents + every chapter starting on its own page
    assert len(document) >= 2 + len(chapters)
    assert len(data) < 2_000_000


def test_every_required_section_is_written_in_chinese(document: Any) -> None:
    chapters = " ".join(chapter_titles())
    for title in REQUIRED_CHAPTERS:
        assert title in chapters, title
    text = page_text(document)
    for title in (*chapter_titles(), *REQUIRED_SECTIONS):
        assert title in text, title  # extracted from the PDF: the CJK font is embedded with its Unicode map


def test_chinese_is_drawn_with_the_embedded_noto_cjk_font(built: manual_store.BuiltManual, document: Any) -> None:
    data = built.path.read_bytes()
    assert b"/FontFile3" in data or b"/FontFile2" in data  # embedded, not merely named
    assert re.search(rb"/BaseFont /[A-Z]{6}\+NotoSansCJK", data)  # a subset of the Noto CJK face
    chapter = next(i for i in range(len(document)) if "1. 产品使用说明" in document[i].get_textpage().get_text_range())
    bitmap = document[chapter].render(scale=1).to_pil().convert("L")
    heading_band = bitmap.crop((40, 60, bitmap.width - 40, 110))
    assert heading_band.getextrema()[0] < 80  # dark glyph strokes where the chapter title is


def test_outline_and_table_of_contents_list_the_chapters(document: Any) -> None:
    bookmarks = [item.get_title() for item in document.get_toc()]
    for title in chapter_titles():
        assert title in bookmarks
    contents = document[1].get_textpage().get_text_range()
    assert "目录" in contents and "1. 产品使用说明" in contents


def test_screenshots_are_embedded_and_small() -> None:
    images = [b for b in parse_markdown(SOURCE.read_text()) if isinstance(b, Image)]
    assert 1 <= len(images) <= 10
    for image in images:
        path = SOURCE.parent / image.path
        assert path.suffix == ".png" and path.stat().st_size < 150_000, image.path


def test_every_screenshot_is_placed_in_the_pdf(document: Any) -> None:
    placed = sum(
        1
        for i in range(len(document))
        for _ in document[i].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=1)
    )
    images = [b for b in parse_markdown(SOURCE.read_text()) if isinstance(b, Image)]
    assert placed == len(images)


# --- serving it -----------------------------------------------------------------------------------


@pytest.fixture
def served_from(built: manual_store.BuiltManual, settings: Any) -> manual_store.BuiltManual:
    settings.VAR_DIR = built.path.parent.parent  # the module's build is the cached file
    return built


@pytest.mark.django_db
def test_download_has_the_chinese_file_name(client: Any, served_from: manual_store.BuiltManual) -> None:
    response = client.get("/tools/user-manual.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Inkseal%E7%94%A8%E6%88%B7%E6%89%8B%E5%86%8C.pdf" in disposition  # Inkseal用户手册.pdf
    assert 'filename="Inkseal-user-manual.pdf"' in disposition
    assert b"".join(response.streaming_content) == served_from.path.read_bytes()


@pytest.mark.django_db
def test_a_deployment_without_the_manual_source_answers_503(client: Any, monkeypatch: Any, tmp_path: Path) -> None:
    monkeypatch.setattr(manual_store, "manual_source", lambda: tmp_path / "missing.md")
    response = client.get("/tools/user-manual.pdf")
    assert response.status_code == 503
    assert "用户手册暂不可用" in response.content.decode()


@pytest.mark.django_db
def test_download_needs_no_login_and_revalidates(client: Any, served_from: manual_store.BuiltManual) -> None:
    etag = f'"{served_from.version}"'
    assert client.head("/tools/user-manual.pdf")["ETag"] == etag
    assert client.get("/tools/user-manual.pdf", HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.post("/tools/user-manual.pdf").status_code == 405


@pytest.mark.django_db
def test_home_page_tools_module_links_the_manual(make_person: Any) -> None:
    page = login_client(make_person(name="赵六")).get("/").content.decode()
    tools = page[page.index('id="tools"') :]
    assert 'href="/tools/user-manual.pdf"' in tools
    assert "用户手册（PDF）" in tools


# --- the cache ------------------------------------------------------------------------------------


def test_cache_renders_once_and_again_when_the_source_changes(tmp_path: Path) -> None:
    source = tmp_path / "manual.md"
    source.write_text("# 手册\n\n## 1. 第一章\n\n正文。\n", encoding="utf-8")
    cache = tmp_path / "cache"
    first = manual_store.build_manual(source, cache)
    stamp = first.path.stat().st_mtime_ns
    again = manual_store.build_manual(source, cache)
    assert again == first and again.path.stat().st_mtime_ns == stamp  # served from disk, not re-rendered

    source.write_text("# 手册\n\n## 1. 第一章\n\n改过的正文。\n", encoding="utf-8")
    changed = manual_store.build_manual(source, cache)
    assert changed.version != first.version
    assert "改过的正文" in pdfium.PdfDocument(changed.path.read_bytes())[2].get_textpage().get_text_range()
    assert sorted(os.listdir(cache)) == [changed.path.name]  # the stale build is gone


def test_a_changed_screenshot_changes_the_version(tmp_path: Path) -> None:
    (tmp_path / "shot.png").write_bytes((SOURCE.parent / "manual" / "login.png").read_bytes())
    markdown = "# 手册\n\n## 1. 第一章\n\n![登录页](shot.png)\n"
    before = manual_store.source_version(markdown, tmp_path)
    (tmp_path / "shot.png").write_bytes((SOURCE.parent / "manual" / "home.png").read_bytes())
    assert manual_store.source_version(markdown, tmp_path) != before


# --- the Markdown subset and the line breaking ----------------------------------------------------


def test_markdown_subset_is_parsed_into_blocks() -> None:
    blocks = parse_markdown(
        "# 标题\n\n## 1. 章\n\n第一行\n第二行 and\nEnglish\n\n- 项一\n  续行\n  - 子项\n1. 有序\n\n"
        "| 列一 | 列二 |\n|---|---|\n| a | b |\n\n> 注意：\n> 第二行\n\n![说明](x.png)\n\n```\ncode --flag\n```\n"
    )
    assert blocks == [
        Heading(1, "标题"),
        Heading(2, "1. 章"),
        Paragraph("第一行第二行 and English"),  # no space between CJK lines, one before Latin
        ListBlock(
            (
                ListItem("项一续行", 0, "•"),
                ListItem("子项", 1, "•"),
                ListItem("有序", 0, "1."),
            )
        ),
        Table(("列一", "列二"), (("a", "b"),)),
        Note("注意：第二行"),
        Image("x.png", "说明"),
        Code("code --flag"),
    ]


def test_masked_numbers_are_not_taken_for_bold() -> None:
    assert inline_runs("验证码已发送至 186****0996，也可选择 **PIN码**，证件号 430*****013") == [
        Run("验证码已发送至 186****0996，也可选择 "),
        Run("PIN码", "B"),
        Run("，证件号 430*****013"),
    ]


@pytest.fixture(scope="module")
def typesetter() -> ManualPDF:
    pdf = ManualPDF(locate_manual_fonts(), "测试")
    pdf.add_page()
    return pdf


def test_chinese_breaks_between_characters_and_never_before_closing_punctuation(typesetter: ManualPDF) -> None:
    text = "证书到期前三十天内状态为待续期，可以在证书管理中续期。" * 6
    lines = typesetter._break([Run(text)], 10.5, 80)
    assert len(lines) > 3
    for line in lines:
        assert line.width <= 80 + typesetter.get_string_width("，")  # a closing mark may hang
        assert line.atoms[0][0].text[0] not in "，。"
    assert "".join(run.text for line in lines for run, _ in line.atoms) == text


def test_latin_words_are_not_split(typesetter: ManualPDF) -> None:
    text = "使用 ukey_client.py submit --token-label UKEY 命令提交证书请求文件到办理单" * 3
    lines = typesetter._break([Run(text)], 10.5, 60)
    assert len(lines) > 3
    joined = "\n".join("".join(run.text for run, _ in line.atoms) for line in lines)
    assert joined.count("ukey_client.py") == 3 and joined.count("--token-label") == 3


def test_characters_the_font_lacks_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ManualSourceError, match="cannot draw"):
        render_manual("# 手册\n\n## 章\n\n笑脸 \U0001f600\n", base_dir=tmp_path)


def test_missing_images_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ManualSourceError, match=r"image not found: nowhere\.png"):
        render_manual("# 手册\n\n## 章\n\n![没有](nowhere.png)\n", base_dir=tmp_path)
