"""`inkseal seal render`: operators draw template seals from the command line, no database needed."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from PIL import Image


@pytest.mark.parametrize(
    ("kind", "name", "extra", "size"),
    [
        ("公章", "北京天威诚信电子商务服务有限公司", [], (700, 700)),
        ("合同专用章", "华为技术有限公司", ["--lower-text", "4403050098765", "--color", "blue"], (700, 700)),
        ("财务专用章", "小米科技有限责任公司", ["--size-mm", "38", "--border", "double"], (633, 633)),
        ("法定代表人章", "王小明", [], (333, 333)),
        ("人名章-方形", "欧阳娜娜", ["--color", "black"], (333, 333)),
        ("人名章-条形", "王小明", [], None),
    ],
)
def test_render_every_kind_to_png(tmp_path, kind, name, extra, size):
    out = tmp_path / "seal.png"
    call_command("seal", "render", "--kind", kind, "--name", name, *extra, "--out", str(out))
    image = Image.open(out)
    assert image.format == "PNG" and image.mode == "RGBA"
    if size:
        assert image.size == size
    else:
        assert image.height == 167 and image.width > 2 * image.height


def test_render_svg_when_the_file_ends_in_svg(tmp_path):
    out = tmp_path / "seal.svg"
    call_command("seal", "render", "--kind", "official", "--name", "华为技术有限公司", "--out", str(out))
    svg = out.read_text()
    assert svg.startswith("<svg") and 'width="42mm"' in svg and "<path" in svg


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "印章", "--name", "甲"], "未知的印章类型"),
        (["--kind", "公章", "--name", "华为", "--color", "green"], "不支持的印章颜色"),
        (["--kind", "公章", "--name", "华为", "--size-mm", "80"], "印章尺寸须在 10–60 毫米之间"),
        (["--kind", "人名章-方形", "--name", "王\U000f0000"], "印章字体不支持字符"),
    ],
)
def test_errors_name_the_problem(tmp_path, args, message):
    out = tmp_path / "seal.png"
    with pytest.raises(CommandError, match=message):
        call_command("seal", "render", *args, "--out", str(out))
    assert not out.exists()


def test_the_console_command_exits_non_zero_on_errors(tmp_path):
    out = tmp_path / "bad.png"
    command = [sys.executable, "-m", "inkseal.cli", "seal", "render", "--kind", "公章", "--name", "", "--out", str(out)]
    bad = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "印章名称不能为空" in bad.stderr
    assert not out.exists()
