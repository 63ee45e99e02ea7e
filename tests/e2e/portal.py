"""Two tiny loopback HTTP servers for the widget test: an intranet portal page on its own origin that embeds
the widget with one script tag, and a reverse proxy that mounts chatbi under a path prefix (`/chatbi/`),
as a portal's gateway would. The proxy streams responses as they come (server-sent events included)."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

PREFIX = "/chatbi"

PORTAL_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Service portal</title>
<link rel="icon" href="data:,">
<style>
  /* a portal with heavy-handed global styles: none of them may reach the widget */
  * {{ font-family: Georgia, serif; }}
  button {{ background: #c00 !important; color: yellow !important; border-radius: 0 !important; }}
  iframe {{ border: 5px dashed #c00; }}
  body {{ margin: 0; background: #fafaf0; }}
  header {{ background: #334; color: #fff; padding: 16px 24px; }}
  main {{ padding: 24px; max-width: 720px; }}
</style></head>
<body>
<header><h1>After-sales portal</h1></header>
<main><p>Tickets, knowledge base and reports. The chatbi assistant sits in the corner.</p>
<p><button type="button">A portal button</button></p></main>
<script src="{widget_url}" data-token="{token}"></script>
</body></html>
"""


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # keep test output readable
        pass


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class ProxyHandle:
    """The proxy's own origin, and the upstream it forwards to (settable once the upstream runs)."""

    def __init__(self, upstream: str = "") -> None:
        self.origin = ""
        self.upstream = upstream


@contextmanager
def prefix_proxy(upstream: str = "") -> Iterator[ProxyHandle]:
    """Serve `upstream` under `/chatbi/` on a new loopback port (a gateway that strips the prefix)."""
    handle = ProxyHandle(upstream)

    class Proxy(_Quiet):
        def _forward(self) -> None:
            if not self.path.startswith(PREFIX + "/") or not handle.upstream:
                self.send_error(404)
                return
            target = urlsplit(handle.upstream)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
            connection.request(self.command, self.path[len(PREFIX) :], body=body, headers=headers)
            response = connection.getresponse()
            self.send_response(response.status)
            for key, value in response.getheaders():
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            while chunk := response.read1(65536):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            connection.close()
            self.close_connection = True

        do_GET = do_POST = do_DELETE = _forward

    with _serving(Proxy) as origin:
        handle.origin = origin
        yield handle


@contextmanager
def portal(widget_url: str, token: str) -> Iterator[str]:
    """A portal home page embedding the widget from `widget_url`; yields the portal's origin."""
    page = PORTAL_PAGE.format(widget_url=widget_url, token=token).encode()

    class Portal(_Quiet):
        def do_GET(self) -> None:
            if self.path not in ("/", "/index.html"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

    with _serving(Portal) as origin:
        yield origin
