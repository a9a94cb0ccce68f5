"""Extraction quality and speed on ../shared/corpus/citp-dev (page.html -> reference.md).

Prints, per page: token F1, share of reference lines reproduced verbatim (spaces normalised),
whether the seed header line is exact; then medians/means and pages per second.

    python bench/extraction.py [--corpus ../shared/corpus/citp-dev] [--repeat 5]
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.extraction import extract_policy  # noqa: E402
from pipelines.seedformat import header_line, read_document  # noqa: E402


def norm(line: str) -> str:
    return re.sub(r"\s+", " ", line.replace("\u00a0", " ")).strip()


def tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def token_f1(out: str, ref: str) -> float:
    a, b = collections.Counter(tokens(out)), collections.Counter(tokens(ref))
    overlap = sum((a & b).values())
    if not overlap:
        return 0.0
    p, r = overlap / sum(a.values()), overlap / sum(b.values())
    return 2 * p * r / (p + r)


def verbatim_share(out: str, ref: str) -> float:
    have = {norm(line) for line in out.splitlines() if norm(line)}
    want = [norm(line) for line in ref.splitlines() if norm(line)]
    return sum(1 for line in want if line in have) / max(1, len(want))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(Path(__file__).resolve().parents[2] / "shared/corpus/citp-dev"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    pages = [d for d in sorted(Path(args.corpus).iterdir()) if (d / "page.html").exists()]
    total_time = 0.0
    for d in pages:
        meta = json.loads((d / "meta.json").read_text())
        html = (d / "page.html").read_bytes()
        ref = read_document((d / "reference.md").read_text(encoding="utf-8"))
        t0 = time.perf_counter()
        for _ in range(args.repeat):
            result = extract_policy(html, "text/html", meta["original_url"])
        total_time += time.perf_counter() - t0
        ref_header = (d / "reference.md").read_text(encoding="utf-8").split("\n", 1)[0]
        header_ok = header_line(meta["domain"], meta["timestamp"], meta["original_url"]) == ref_header
        rows.append((d.name, token_f1(result.markdown, ref.body), verbatim_share(result.markdown, ref.body),
                     header_ok))
    for name, f1, vb, hdr in rows:
        print(f"{name:28} token_f1={f1:.3f} verbatim_lines={vb:.3f} header_exact={hdr}")
    f1s = [r[1] for r in rows]
    vbs = [r[2] for r in rows]
    print(f"\npages={len(rows)} token_f1 median={statistics.median(f1s):.3f} mean={statistics.mean(f1s):.3f} "
          f"min={min(f1s):.3f}")
    print(f"verbatim_lines median={statistics.median(vbs):.3f} mean={statistics.mean(vbs):.3f} "
          f"min={min(vbs):.3f}")
    print(f"headers exact {sum(r[3] for r in rows)}/{len(rows)}")
    print(f"extraction speed: {len(rows) * args.repeat / total_time:.1f} pages/s (one core)")


if __name__ == "__main__":
    main()
