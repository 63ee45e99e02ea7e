"""The system packages the product's tests and exports rely on are present (installed by `make test`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import require_system


def test_a_cjk_font_is_installed() -> None:
    # Charts rendered on the server and browser screenshots show Chinese only with a CJK font.
    fc_list = shutil.which("fc-list")
    fonts = (
        subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True).stdout
        if fc_list
        else ""
    )
    require_system("a CJK font (fonts-noto-cjk)", bool(fonts.strip()))
    assert "CJK" in fonts or "WenQuanYi" in fonts


def test_chromium_is_installed() -> None:
    require_system("Chromium (chromium)", shutil.which("chromium") is not None)


def test_postgresql_server_is_installed() -> None:
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    require_system("the PostgreSQL server (postgresql)", bool(binaries))


def test_java_is_installed_for_spark() -> None:
    require_system("Java (default-jre-headless), which Spark needs", shutil.which("java") is not None)
