"""Extraction quality and speed, side by side: this project, trafilatura (default) and
trafilatura with favor_recall.

* ../shared/corpus/citp-dev (archived pages -> seed-format reference): token F1 and the share of
  reference lines reproduced verbatim (spaces normalised), header lines exact.
* ../shared/corpus/modern-pairs (2022-2026 legal pages -> human-delimited reference text):
  visible-word precision, recall and F1 (link targets and markup dropped) and heading recall, by
  document type.

For each: median, 10th percentile, minimum, and pages per second (one core).

    python bench/extraction.py [--citp DIR] [--modern DIR] [--repeat 1] [--worst 8] [--only project]
"""

from __future__ import annotations

import argparse
import collections
import html
import json
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.extract import extract_policy  # noqa: E402
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


_MD = None


def visible_tokens(md: str) -> list[str]:
    """The words a reader sees: the markdown rendered (markdown-it, CommonMark + tables), tags,
    link targets and image sources dropped; emphasis marks (``_here_``) are not words."""
    global _MD
    if _MD is None:
        from markdown_it import MarkdownIt
        _MD = MarkdownIt("commonmark").enable("table")
    text = html.unescape(re.sub(r"<[^>]+>", " ", _MD.render(md)))
    text = re.sub(r"https?://\S+", " ", text)
    return re.findall(r"\w+", text.lower())


def prf(out: str, ref: str) -> tuple[float, float, float]:
    a, b = collections.Counter(visible_tokens(out)), collections.Counter(visible_tokens(ref))
    overlap = sum((a & b).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    p, r = overlap / sum(a.values()), overlap / sum(b.values())
    return p, r, 2 * p * r / (p + r)


def headings(md: str) -> list[str]:
    lines = md.splitlines()
    out = []
    for i, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            out.append(line.lstrip("# ").strip())
        elif i + 1 < len(lines) and re.fullmatch(r"\s*(=+|-{3,})\s*", lines[i + 1]) and line.strip():
            out.append(line.strip())
    return [h for h in (" ".join(visible_tokens(h)) for h in out) if h]


def heading_recall(out: str, ref: str) -> float:
    want = headings(ref)
    if not want:
        return 1.0
    text = " ".join(visible_tokens(out))
    return sum(1 for h in want if h in text) / len(want)


def tools() -> dict:
    import trafilatura

    def traf(recall: bool):
        def run(html: bytes, ctype: str | None, url: str) -> str:
            return trafilatura.extract(html, url=url, output_format="markdown", include_links=True,
                                       include_formatting=True, include_tables=True,
                                       favor_recall=recall) or ""
        return run

    return {"project": lambda h, c, u: extract_policy(h, c, u).markdown,
            "trafilatura": traf(False), "trafilatura-recall": traf(True)}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * (len(values) - 1) + 0.5))] if values else 0.0


def summary(name: str, values: list[float]) -> str:
    return f"{name} median {statistics.median(values):.3f} p10 {pct(values, 0.10):.3f} min {min(values):.3f}"


def modern(corpus: Path, names: list[str], worst: int) -> None:
    pages = [d for d in sorted(corpus.iterdir()) if (d / "page.html").exists()]
    run = tools()
    cpu: dict[str, float] = {}
    for name in names:
        by_type: dict[str, list[tuple[float, float, float, float, str]]] = collections.defaultdict(list)
        t = 0.0
        for d in pages:
            meta = json.loads((d / "meta.json").read_text())
            html = (d / "page.html").read_bytes()
            ref = (d / "reference.md").read_text(encoding="utf-8")
            t0, c0 = time.perf_counter(), time.process_time()
            out = run[name](html, None, meta.get("url") or "https://example.invalid/")
            t += time.perf_counter() - t0
            cpu[name] = cpu.get(name, 0.0) + time.process_time() - c0
            p, r, f = prf(out, ref)
            by_type[meta.get("doctype", "?")].append((p, r, f, heading_recall(out, ref), d.name))
        every = [x for rows in by_type.values() for x in rows]
        print(f"\nmodern-pairs, {name}: {len(every)} pages, {len(every) / t:.1f} pages/s")
        for kind, rows in sorted(by_type.items()) + [("all", every)]:
            print(f"  {kind:22} n={len(rows):3}  " + "  ".join(
                summary(label, [row[i] for row in rows])
                for i, label in ((2, "F1"), (0, "P"), (1, "R"), (3, "headings"))))
        if worst:
            for p, r, f, h, page in sorted(every, key=lambda x: x[2])[:worst]:
                print(f"    worst: F1 {f:.3f} P {p:.3f} R {r:.3f} headings {h:.2f}  {page}")
    if "project" in cpu and "trafilatura" in cpu:
        n = len(pages)
        print(f"\nCPU per page (modern-pairs, this run): project {1000 * cpu['project'] / n:.1f} ms, "
              f"trafilatura {1000 * cpu['trafilatura'] / n:.1f} ms: "
              f"{cpu['project'] / cpu['trafilatura']:.2f}x (target <= 1.2x)")


def main() -> None:
    ap = argparse.ArgumentParser()
    shared = Path(__file__).resolve().parents[2] / "shared/corpus"
    ap.add_argument("--citp", "--corpus", dest="corpus", default=str(shared / "citp-dev"))
    ap.add_argument("--modern", default=str(shared / "modern-pairs"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--worst", type=int, default=8, help="list the N worst modern pages")
    ap.add_argument("--only", choices=["project", "trafilatura", "trafilatura-recall"],
                    help="one extractor only (default: all three side by side)")
    args = ap.parse_args()
    names = [args.only] if args.only else ["project", "trafilatura", "trafilatura-recall"]
    if Path(args.modern).exists():
        modern(Path(args.modern), names, args.worst)
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
