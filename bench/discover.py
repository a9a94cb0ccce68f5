"""Requests of `palimpsest crawl --discover` per site, against the minimum.

Builds an archive of N sites (pywb on loopback, limits lifted): each homepage captured over the
years with a footer link to its policy, each policy URL captured C times with D distinct texts.
The minimum a crawler can send for one site is 1 CDX query for the homepage + one fetch per
distinct homepage payload it needs (one per interval here) + 1 CDX query for the policy URL + D
policy fetches. Prints the figures of discovery, of the history crawl after it, and their sum.

    python bench/discover.py [--sites 50] [--captures 8]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from crawl import archive_server, run  # noqa: E402
from crawler.demo.warcs import Capture  # noqa: E402
from pipelines.captures import payload_digest  # noqa: E402

CITP = REPO.parent / "shared" / "corpus" / "citp-dev"


def home(site: str, year: int) -> bytes:
    return (f"<html><head><title>{site}</title></head><body><h1>Welcome to {site}</h1>"
            f"<p>News of {year}.</p><footer><a href='/about'>About</a> "
            f"<a href='/privacy-policy'>Privacy Policy</a></footer></body></html>").encode()


def build(sites: int, captures: int, seed: int = 11):
    rng = random.Random(seed)
    pages = [(d / "page.html").read_bytes() for d in sorted(CITP.iterdir()) if d.is_dir()]
    caps, seeds, minimum = [], [], 0
    for i in range(sites):
        site = f"site{i:04d}.example"
        seeds.append(site)
        years = range(2010, 2010 + captures)
        homes = set()
        for y in years:
            body = home(site, y)
            caps.append(Capture(f"http://www.{site}/", f"{y}0601120000", body))
            homes.add(payload_digest(body))
        policy = pages[i % len(pages)]
        digests = set()
        for j, y in enumerate(years):
            if j and rng.random() < 0.3:
                policy = policy.replace(b"</p>", f" Amended in {y}.</p>".encode(), 1)
            caps.append(Capture(f"http://www.{site}/privacy-policy", f"{y}0701120000", policy))
            digests.add(payload_digest(policy))
        minimum += 1 + len(homes) + 1 + len(digests)
    return caps, "\n".join(seeds) + "\n", minimum


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=50)
    ap.add_argument("--captures", type=int, default=8)
    a = ap.parse_args()
    caps, seeds, minimum = build(a.sites, a.captures)
    with tempfile.TemporaryDirectory(prefix="palimpsest-bench-") as tmp:
        root = Path(tmp)
        (root / "domains.txt").write_text(seeds)
        with archive_server(root, caps, None) as (archive, _pid):
            out = root / "out"
            summary, wall, _, _ = run(["crawl", str(root / "domains.txt"), "--discover", "--out",
                                       str(out), "--archive", archive, "--every", "1y",
                                       "--cdx-per-minute", "0", "--snapshots-per-second", "0", "-q"])
            disc = json.loads((out / "discover_run.json").read_text())
    cdx = disc["cdx_requests"] + summary["cdx_requests"]
    fetches = disc["snapshot_requests"] + summary["snapshot_requests"]
    print(f"{a.sites} sites, {a.captures} homepage and {a.captures} policy captures each, --every 1y")
    print(f"discovery: CDX {disc['cdx_requests']}, fetches {disc['snapshot_requests']}; "
          f"handed to the history crawl: {disc.get('handed_to_history')}")
    print(f"history:   CDX {summary['cdx_requests']}, fetches {summary['snapshot_requests']}")
    print(f"per site:  CDX {cdx / a.sites:.2f}, fetches {fetches / a.sites:.2f}; "
          f"requests {(cdx + fetches) / a.sites:.2f} vs the minimum {minimum / a.sites:.2f} "
          f"(1 homepage CDX + homepage payloads + 1 policy CDX + D): ratio {(cdx + fetches) / minimum:.2f}")
    print(f"wall {wall:.1f} s, versions {summary['corpus']['versions']}")


if __name__ == "__main__":
    main()
