"""Save Page Now: asking the Wayback Machine to archive a page (waybackpy's
``WaybackMachineSaveAPI``, in a thread off the reactor, at most ``PALIMPSEST_SAVES_PER_MINUTE``,
backing off on 429), for the watch's changed live policies (:mod:`crawler.stages.watch`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from datetime import datetime, timezone


logger = logging.getLogger(__name__)
SAVE_API = "https://web.archive.org/save/"


def now_timestamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")


_SNAPSHOT = re.compile(r"/web/(\d{14})/")


def snapshot_timestamp(parsed: str, headers, response_url: str) -> str | None:
    """The 14-digit timestamp of the snapshot a Save Page Now answer names."""
    candidates = [parsed, headers.get("Content-Location", ""), headers.get("Link", ""), response_url]
    for text in candidates:
        m = _SNAPSHOT.search(text or "")
        if m and ("rel=\"memento" in text or text is not headers.get("Link", "")):
            return m.group(1)
    return None


class SaveFailed(Exception):
    """Save Page Now gave no snapshot (its message says why)."""


class SavePageNow:
    """Save Page Now through waybackpy, rate-limited, with a back-off after a 429."""

    def __init__(self, api: str = SAVE_API, user_agent: str = "palimpsest", per_minute: float = 15,
                 tries: int = 3, retry_delay: float = 5.0, pause_429: float = 300.0,
                 timeout: float = 120.0):
        self.api = api if api.endswith("/") else api + "/"
        self.user_agent = user_agent
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self.tries = max(1, tries)
        self.retry_delay = retry_delay
        self.pause_429 = pause_429
        self.timeout = timeout
        self.next_allowed = 0.0
        self.paused_until = 0.0
        self.lock = asyncio.Lock()
        self.calls = 0

    def _save_blocking(self, url: str) -> str:
        """One save: the 14-digit timestamp of the snapshot Save Page Now made, or SaveFailed.

        waybackpy sends the request (and turns a 429 or 509 into its exceptions); the snapshot is
        read with its parser, then from ``Content-Location: /web/<ts>/<url>``, a memento ``Link``
        or the URL it redirected to (waybackpy's own regex on ``str(headers)`` misses a
        Content-Location in a requests header dict)."""
        from waybackpy import WaybackMachineSaveAPI
        from waybackpy.exceptions import TooManyRequestsError, WaybackError

        api = WaybackMachineSaveAPI(url, user_agent=self.user_agent, max_tries=self.tries)
        api.request_url = self.api + api.url  # --save-api: another Save Page Now endpoint
        last = "no snapshot in the answer"
        for attempt in range(self.tries):
            if attempt:
                time.sleep(self.retry_delay)
            try:
                api.get_save_request_headers()
            except TooManyRequestsError as exc:
                raise SaveFailed("429") from exc
            except WaybackError as exc:
                last = str(exc).splitlines()[0][:200]
                continue
            except Exception as exc:  # requests' own: refused, reset, timed out
                last = f"{type(exc).__name__}: {str(exc)[:200]}"
                continue
            if api.status_code and api.status_code >= 400:
                last = f"Save Page Now answered HTTP {api.status_code}"
                continue
            found = snapshot_timestamp(api.archive_url_parser() or "", api.headers or {},
                                       api.response_url or "")
            if found:
                return found
        raise SaveFailed(last)

    async def _in_thread(self, url: str) -> str:
        """The blocking save in a daemon thread, waited for at most ``timeout`` seconds: waybackpy
        sets no timeout, and a hung Save Page Now must neither hold the run nor its exit."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()

        def work() -> None:
            try:
                result = self._save_blocking(url)
            except BaseException as exc:  # handed to the waiting coroutine
                loop.call_soon_threadsafe(lambda e=exc: future.done() or future.set_exception(e))
            else:
                loop.call_soon_threadsafe(lambda: future.done() or future.set_result(result))

        threading.Thread(target=work, name="save-page-now", daemon=True).start()
        try:
            return await asyncio.wait_for(future, self.timeout)
        except asyncio.TimeoutError:
            raise SaveFailed(f"Save Page Now did not answer within {self.timeout:.0f} s") from None

    async def save(self, url: str) -> str:
        """The snapshot's timestamp, or SaveFailed. One save at a time, at most the rate."""
        async with self.lock:
            now = time.monotonic()
            if now < self.paused_until:
                raise SaveFailed(f"Save Page Now refused a save less than {self.pause_429:.0f} s ago (429)")
            wait = self.next_allowed - now
            if wait > 0:
                await asyncio.sleep(wait)
            self.next_allowed = time.monotonic() + self.interval
            self.calls += 1
            try:
                return await self._in_thread(url)
            except SaveFailed as exc:
                if str(exc) == "429":
                    self.paused_until = time.monotonic() + self.pause_429
                    raise SaveFailed("Save Page Now answered 429 (at most 15 saves a minute): "
                                     f"no more saves for {self.pause_429:.0f} s") from exc
                raise
