"""The crawl's rate gate, and the politeness defaults (the Internet Archive's limits)."""

from __future__ import annotations

import asyncio
import time

from scrapy.settings import Settings

from crawler.archive.gates import RateGate


def test_gate_spaces_requests_and_holds_pauses():
    gate = RateGate()
    gate.configure("h/cdx", 20)  # 50 ms apart

    async def run():
        sent = []
        async def one():
            await gate.wait("h/cdx")
            sent.append(time.monotonic())
        await asyncio.gather(*(one() for _ in range(5)))
        gate.pause("h/cdx", 0.3)
        paused_at = time.monotonic()
        await gate.wait("h/cdx")
        return sent, time.monotonic() - paused_at

    sent, waited = asyncio.run(run())
    gaps = [b - a for a, b in zip(sent, sent[1:])]
    assert min(gaps) >= 0.045
    assert waited >= 0.29


def test_one_gate_per_crawl_handed_on_to_a_chained_crawl_and_slowest_rate_wins():
    from crawler.components.gate import gate_of, share_gate

    class Crawler:
        def __init__(self):
            self.settings = Settings()
            self.settings.setmodule("crawler.settings")

    first, second, other = Crawler(), Crawler(), Crawler()
    a = gate_of(first)
    assert gate_of(first) is a  # the handler and the retry middleware get the same gate
    share_gate(first, second)  # discovery hands its gate to the history crawl it starts
    assert gate_of(second) is a and gate_of(other) is not a
    a.configure("k", 8)
    a.state("k").sent = 1
    a.configure("k", 100)  # a chained crawl cannot raise the shared rate
    assert a.state("k").interval == 1 / 8


def test_defaults_are_the_internet_archive_limits():
    s = Settings()
    s.setmodule("crawler.settings")
    assert s.getfloat("PALIMPSEST_CDX_PER_MINUTE") == 24
    assert s.getfloat("PALIMPSEST_SNAPSHOTS_PER_SECOND") == 8
    assert s.getfloat("PALIMPSEST_429_PAUSE") >= 60
    assert s.getfloat("PALIMPSEST_REFUSED_PAUSE") >= 3600
    assert not s.getbool("RETRY_ENABLED")  # Scrapy's retry would hammer on 429
    assert "contact" in s.get("USER_AGENT").lower() or "+http" in s.get("USER_AGENT")


def test_requests_to_other_hosts_are_refused():
    import pytest
    from scrapy import Request
    from scrapy.exceptions import IgnoreRequest
    from crawler.components.middlewares import ArchiveOnlyMiddleware
    from crawler.archive.client import Archive

    class Spider:
        archive = Archive("http://127.0.0.1:8080/coll")

    class Stats:
        def inc_value(self, key, n=1):
            pass

    class Crawler:
        spider = Spider()
        stats = Stats()

    mw = ArchiveOnlyMiddleware.from_crawler(Crawler())
    assert mw.process_request(Request("http://127.0.0.1:8080/coll/cdx?url=x")) is None
    for url in ("https://web.archive.org/web/2015id_/http://x/", "http://127.0.0.1:8080/other/x",
                "http://127.0.0.1:8080/collx/cdx", "http://evil.example/"):
        with pytest.raises(IgnoreRequest):
            mw.process_request(Request(url))
