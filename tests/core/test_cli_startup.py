"""Light CLI commands start without the heavy libraries (pyHanko, OpenCV, the OCR engine, PDFium).

Django setup used to import them (AppConfig.ready, admin and service modules, the system checks
loading every URL module): `inkseal identity check` took 4 s. The timing is in
bench/cli_start_bench.py; here the rule itself: which modules a light command loads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_id_number

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("cv2", "pyhanko", "pyhanko_certvalidator", "rapidocr", "rapidocr_onnxruntime", "onnxruntime", "pypdfium2")

PROBE = """
import json, sys
from inkseal.cli import main
sys.argv = ["inkseal", *sys.argv[1:]]
try:
    main()
finally:
    print("MODULES=" + json.dumps(sorted({name.split(".")[0] for name in sys.modules})), file=sys.stderr)
"""


def cli_env(tmp_path: Path) -> dict[str, str]:
    """A fresh process's environment on its own var/ (SQLite there, whatever database the suite
    runs on: these tests look at what a command on the embedded defaults loads)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "INKSEAL_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    return env


def run_cli(*args: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    env = cli_env(tmp_path)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    line = next(line for line in result.stderr.splitlines() if line.startswith("MODULES="))
    return result, set(json.loads(line.removeprefix("MODULES=")))


def test_identity_check_does_not_import_heavy_libraries(tmp_path: Path) -> None:
    number = make_id_number(7)
    result, modules = run_cli("identity", "check", "id-number", number, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "校验位无误" in result.stdout
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))


@pytest.mark.parametrize("kind", ["official", "contract"])
def test_seal_render_does_not_import_heavy_libraries(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "seal.png"
    result, modules = run_cli(
        "seal", "render", "--kind", kind, "--name", "北京示范科技有限公司", "--out", str(out), tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"\x89PNG")
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))


def test_signing_still_teaches_pyhanko_sm2_when_it_is_imported(tmp_path: Path) -> None:
    """The SM2 hooks (signing.gmcms) now load with pyhanko-certvalidator instead of at setup."""
    probe = (
        "import django, sys; django.setup();"
        "assert 'inkseal.signing.core.gmcms' not in sys.modules;"
        "from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator;"
        "assert getattr(DefaultSignatureValidator, '_inkseal_sm2', False);"
        "print('taught')"
    )
    env = cli_env(tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "inkseal.settings"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.stdout.strip() == "taught", result.stderr


# What Django setup itself (every process: the CLI, a worker, the test runner) must not load: the
# libraries above, and the ones a light command never uses (numpy draws seals, ninja/pydantic serve
# the API, requests delivers callbacks). Each is imported where it is used.
# Huey with its storage drivers (redis, psycopg) loads in the consumer only (inkseal run_huey), gunicorn
# in `inkseal serve`, PIL with the seal and identity services: none in a one-line command.
NOT_AT_SETUP = (*HEAVY, "numpy", "ninja", "pydantic", "requests", "huey", "redis", "psycopg", "gunicorn", "PIL")


def test_django_setup_loads_none_of_the_heavy_or_unused_libraries(tmp_path: Path) -> None:
    probe = (
        "import json, sys, django; import inkseal.cli; django.setup();"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    env = cli_env(tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "inkseal.settings"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    modules = set(json.loads(result.stdout))
    assert modules.isdisjoint(NOT_AT_SETUP), sorted(modules & set(NOT_AT_SETUP))


@pytest.mark.parametrize(
    "args", [("identity", "check", "id-number", make_id_number(3)), ("audit", "verify"), ("ca", "list")]
)
def test_light_commands_load_none_of_the_unused_libraries(tmp_path: Path, args: tuple[str, ...]) -> None:
    env = cli_env(tmp_path)
    subprocess.run([sys.executable, "-m", "inkseal.cli", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    result, modules = run_cli(*args, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert modules.isdisjoint(NOT_AT_SETUP), sorted(modules & set(NOT_AT_SETUP))


def test_the_consumer_registers_every_apps_jobs() -> None:
    """The jobs load in the consumer (load_jobs, as `inkseal run_huey` calls it), not at setup."""
    from huey.contrib.djhuey import HUEY

    from inkseal.core.queue import load_jobs

    load_jobs()
    assert {task.__name__ for task in HUEY._registry._periodic_tasks} == {
        "audit.anchor_head",
        "evidence.checkpoint",
        "pki.refresh_crls",
        "pki.refresh_ocsp_answers",
        "signing.expire_sign_flows",
        "signing.expire_sign_tasks",
        "signing.purge_abandoned_drafts",
        "signing.purge_flow_documents",
        "signing.purge_signed_documents",
        "signing.recover_stalled_sign_tasks",
        "signing.requeue_stranded_callbacks",
    }
    assert "inkseal.signing.callbacks.delivery.signing.deliver_callback" in HUEY._registry._registry


def test_run_huey_is_ours() -> None:
    """huey.contrib.djhuey is no installed app: `run_huey` is inkseal.core's, which loads the jobs."""
    from django.core.management import get_commands

    assert get_commands()["run_huey"] == "inkseal.core"


def test_a_command_before_migrate_says_so_without_a_traceback(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "-m", "inkseal.cli", "audit", "verify"], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert result.returncode == 2
    assert "inkseal migrate" in result.stderr
    assert "Traceback" not in result.stderr
