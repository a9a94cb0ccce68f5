"""The peer bench/crawl.py measures palimpsest against: what a careful user writes in an afternoon.

One CDX query per URL (pywb's JSON lines), one fetch per distinct digest of a urlkey in 8
threads (requests, keep-alive), extraction in a 2-process pool (this project's extractor or
trafilatura), a version whenever the text changes, one markdown file per version. ``--naive``
fetches every capture instead (no digest de-duplication). Prints a JSON line of figures.

    python bench/peer_careful.py ARCHIVE SEEDS.csv OUT [--extractor project|trafilatura] [--naive]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_local = threading.local()


def session() -> requests.Session:
    if not hasattr(_local, "s"):
        _local.s = requests.Session()
    return _local.s


def extract(args: tuple[bytes, str, str]) -> str:
    body, url, which = args
    if which == "trafilatura":
        import trafilatura

        return trafilatura.extract(body, url=url, output_format="markdown", include_links=True) or ""
    from pipelines.extract import extract_policy

    return extract_policy(body, "text/html", url).markdown


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("archive")
    ap.add_argument("seeds")
    ap.add_argument("out")
    ap.add_argument("--extractor", choices=["project", "trafilatura"], default="project")
    ap.add_argument("--naive", action="store_true", help="fetch every capture")
    a = ap.parse_args()
    seeds = list(csv.DictReader(open(a.seeds, encoding="utf-8")))
    requests_sent = 0

    def cdx(url: str) -> list[dict]:
        r = session().get(f"{a.archive}/cdx", params={"url": url, "output": "json", "allowFuzzy": "0"})
        return [json.loads(line) for line in r.text.splitlines() if line.strip()]

    with ThreadPoolExecutor(8) as pool:
        listings = list(pool.map(cdx, [s["url"] for s in seeds]))
    requests_sent += len(seeds)
    wanted: dict[str, dict] = {}  # fetch key -> one CDX row
    for rows in listings:
        for row in rows:
            if str(row.get("status")) != "200":
                continue
            key = f"{row['timestamp']}:{row['url']}" if a.naive else f"{row['urlkey']}:{row['digest']}"
            wanted.setdefault(key, row)

    def fetch(row: dict) -> bytes:
        return session().get(f"{a.archive}/{row['timestamp']}id_/{row['url']}").content

    with ThreadPoolExecutor(8) as pool:
        bodies = dict(zip(wanted, pool.map(fetch, wanted.values())))
    requests_sent += len(wanted)
    with ProcessPoolExecutor(2) as pool:
        texts = dict(zip(bodies, pool.map(extract, [(b, wanted[k]["url"], a.extractor)
                                                      for k, b in bodies.items()], chunksize=8)))
    versions = changes = 0
    out = Path(a.out)
    for seed, rows in zip(seeds, listings):
        last = None
        for row in sorted((r for r in rows if str(r.get("status")) == "200"), key=lambda r: r["timestamp"]):
            key = f"{row['timestamp']}:{row['url']}" if a.naive else f"{row['urlkey']}:{row['digest']}"
            text = " ".join(texts.get(key, "").split())
            if not text:
                continue
            digest = hashlib.sha256(text.encode()).hexdigest()
            if digest != last:
                changes += last is not None
                versions += 1
                path = out / seed["site"] / f"{row['timestamp']}.md"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(texts[key], encoding="utf-8")
                last = digest
    print(json.dumps({"requests": requests_sent, "versions": versions, "changes": changes}))


if __name__ == "__main__":
    main()
