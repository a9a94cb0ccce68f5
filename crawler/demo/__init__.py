"""The bundled sample archive: two small sites whose policies change over the years.

``palimpsest demo`` writes these captures to a WARC, serves it with a local pywb and runs the
whole pipeline against it, offline. The same histories are used by tests and benchmarks.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from crawler.demo.warcs import Capture, write_warc

ACME = "http://www.acme-books.example/privacy"
ACME_NEW = "http://www.acme-books.example/legal/privacy"
TINY = "https://tinyapp.example/legal/privacy"


def _sample(name: str) -> str:
    return resources.files("crawler.demo").joinpath("sample", name).read_text(encoding="utf-8")


def render_page(site: str, title: str, body_file: str, build: str = "a1") -> bytes:
    """A sample policy page: navigation, footer and a script around the policy text."""
    body = _sample(body_file)
    return _sample("page.html.tmpl").format(title=title, heading=title, body=body, site=site,
                                            build=build).encode("utf-8")


def sample_captures() -> list[Capture]:
    """Every capture of the sample archive, with what a crawler should make of it."""
    a1 = render_page("Acme Books", "Privacy Policy - Acme Books", "acme-v1.html", build="a1")
    a1b = render_page("Acme Books", "Privacy Policy - Acme Books", "acme-v1.html", build="b7")
    a2 = render_page("Acme Books", "Privacy Policy - Acme Books", "acme-v2.html", build="c3")
    a3 = render_page("Acme Books", "Privacy Notice - Acme Books", "acme-v3.html", build="d9")
    t1 = render_page("TinyApp", "TinyApp Privacy", "tinyapp-v1.html")
    t2 = render_page("TinyApp", "TinyApp Privacy", "tinyapp-v2.html")
    moved = [("Location", ACME_NEW), ("Content-Type", "text/html")]
    return [
        Capture(ACME, "20150314101500", a1),
        Capture(ACME, "20150921083000", a1),  # identical recapture: same digest
        Capture(ACME, "20160402120000", a1, revisit=True),  # revisit record
        Capture(ACME, "20161011090000", a1b),  # HTML-only change: new digest, same text
        Capture(ACME, "20170517140000", a2),  # the text changed
        Capture(ACME, "20171105101010", a2),
        Capture(ACME, "20180302110000", b"", status=301, headers=moved),  # the policy moved
        Capture(ACME_NEW, "20180302110005", a3),
        Capture(ACME, "20180901000000", b"", status=301, headers=moved),
        Capture(ACME_NEW, "20190104000000", a3),
        Capture(TINY, "20190601120000", t1),
        Capture(TINY, "20200115120000", b"<html><body>Not found</body></html>", status=404),
        Capture(TINY, "20210707120000", t2),
    ]


def write_sample_archive(path: Path) -> Path:
    return write_warc(path, sample_captures())


def sample_seeds(path: Path) -> Path:
    path.write_text(_sample("sites.csv"), encoding="utf-8")
    return path
