"""The built web client as the server serves it: content types, cache policy, precompressed bodies, the
pages' Content-Security-Policy, no path traversal, and the page's download size (gzipped, < 400 KB)."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.routes.web import web_dist
from server.settings import Settings
from tests.conftest import require_system

REPO = Path(__file__).resolve().parents[2]
PAGE_BUDGET_GZIP = 400 * 1024
WIDGET_BUDGET_GZIP = 8 * 1024


@pytest.fixture(scope="module")
def dist() -> Path:
    folder = web_dist()
    require_system(
        "the built web client in web/dist (`make web` runs npm)", (folder / "index.html").is_file()
    )
    return folder


@pytest.fixture(scope="module")
def client(dist: Path, demo_db: Path) -> Iterator[TestClient]:
    # no lifespan: serving files needs neither the database nor the store
    yield TestClient(create_app(Settings(db=str(demo_db))))


def _page_assets(dist: Path, page: str) -> list[str]:
    html = (dist / page).read_text(encoding="utf-8")
    return [page, *(name for name in re.findall(r'(?:src|href)="([^"#?:]+)(?:\?v=[0-9a-f]+)?"', html))]


def test_the_chat_page_downloads_under_400_kb_gzipped(dist: Path) -> None:
    assets = _page_assets(dist, "index.html")
    assert set(assets) == {"index.html", "app.css", "app.js"}
    sizes = {name: len(gzip.compress((dist / name).read_bytes(), compresslevel=9)) for name in assets}
    total = sum(sizes.values())
    print(
        f"page transfer gzipped: {total / 1024:.1f} KB "
        + str({k: f"{v / 1024:.1f} KB" for k, v in sizes.items()})
    )
    assert total < PAGE_BUDGET_GZIP, sizes
    assert _page_assets(dist, "embed.html")[1:] == assets[1:]  # the widget's page loads the same files
    widget = len(gzip.compress((dist / "widget.js").read_bytes(), compresslevel=9))
    assert widget < WIDGET_BUDGET_GZIP  # the portal pays for the loader only until the panel opens


def test_the_page_is_html_that_revalidates_with_a_strict_policy(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy  # Vega runs without eval
    assert "connect-src 'self'" in policy and policy.endswith("frame-ancestors 'self'")
    assert response.headers["x-content-type-options"] == "nosniff"
    again = client.get("/", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_assets_linked_with_their_hash_are_cached_for_good_and_sent_compressed(
    client: TestClient, dist: Path
) -> None:
    html = client.get("/").text
    versioned = re.search(r'src="(app\.js\?v=[0-9a-f]{12})"', html)
    assert versioned, html
    for encoding in ("gzip", "br"):
        response = client.get(f"/{versioned.group(1)}", headers={"Accept-Encoding": encoding})
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/javascript; charset=utf-8"
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert response.headers["content-encoding"] == encoding
        assert response.headers["vary"] == "Accept-Encoding"
        # httpx decodes gzip (and brotli when the brotli package is there)
        assert response.content in ((dist / "app.js").read_bytes(), (dist / "app.js.br").read_bytes())
    plain = client.get("/app.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.headers["cache-control"] == "no-cache"
    assert client.get("/app.css").headers["content-type"] == "text/css; charset=utf-8"
    widget = client.get("/widget.js")
    assert widget.status_code == 200 and widget.headers["cache-control"] == "no-cache"
    embed = client.get("/embed.html")
    assert embed.status_code == 200 and 'data-layout="embed"' in embed.text
    assert embed.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    "path",
    [
        "/..%2fpyproject.toml",
        "/%2e%2e%2fMakefile",
        "/..%5c..%5cMakefile",
        "/.gitignore",
        "/app.js.gz",
        "/index.html%00.js",
        "/nothing.js",
        "/web/dist/app.js",
        "/../../etc/passwd",
    ],
)
def test_only_plain_names_of_built_files_are_served(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")


def test_the_api_is_not_shadowed_by_the_files(client: TestClient) -> None:
    assert client.get("/api/nothing").headers["content-type"].startswith("application/json")
    assert client.get("/openapi.json").status_code == 200


def test_client_modules_pass_their_unit_tests() -> None:
    """SSE parsing, CSV export and value formatting in web/src, run by node's test runner."""
    node = shutil.which("node")
    require_system("Node.js (node)", node is not None)
    assert node is not None
    run = subprocess.run(
        [node, "--test", str(Path(__file__).with_name("web_units.test.mjs"))],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stdout + run.stderr
