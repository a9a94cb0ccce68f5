"""``palimpsest analyze``: the paper's tables over a corpus, in OUT/analysis/.

* ``intervals.csv``: per half-year, the sites with a policy, words (median, p5, p95), median
  Flesch-Kincaid grade and SMOG, and the updates since the previous half-year (strict, simhash)
  over the sites with a policy in both.
* ``terms.csv``: per half-year, the share of its sites whose policy matches each term.

With ``rank_of`` (site -> rank, from a seed file's ``rank`` column) every row is also given per
rank bin, the ``rank_bin`` column saying which (``all`` for every site)."""

from __future__ import annotations

import csv
import io
from bisect import bisect_right
from collections import defaultdict
from pathlib import Path

from pipelines.analysis import definitions as d
from pipelines.analysis.figures import measure_texts
from pipelines.files import atomic_write

INTERVAL_COLUMNS = ["interval", "sites", "median_words", "p5_words", "p95_words",
                    "median_flesch_kincaid", "median_smog", "eligible", "strict_updates",
                    "simhash_updates", "strict_pct", "simhash_pct"]
TERM_COLUMNS = ["interval", "group", "term", "share_pct"]


def policies_in_force(versions, first_year: int | None, last_year: int | None,
                      last_capture: str | None = None) -> tuple[list[str], dict[str, dict[str, str]]]:
    """(the intervals, {interval: {site: text hash of the version in force at its end}}): a site
    counts from the interval of its first version on; the intervals run to the latest version or
    capture (a recapture of an unchanged policy shows it still in force)."""
    by_site: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for v in versions:
        by_site[v.site].append((v.timestamp, v.text_hash))
    if not by_site:
        return [], {}
    first = min(d.interval_of(rows[0][0]) for rows in by_site.values())
    last = max(d.interval_of(max(ts for ts, _ in rows)) for rows in by_site.values())
    if last_capture:
        last = max(last, d.interval_of(last_capture))
    if first_year is not None:
        first = max(first, f"{first_year}A")
    if last_year is not None:
        last = min(last, f"{last_year}B")
    if first > last:
        return [], {}
    intervals = d.intervals_between(first, last)
    held: dict[str, dict[str, str]] = {i: {} for i in intervals}
    for site, rows in by_site.items():
        rows.sort()
        times = [ts for ts, _ in rows]
        for interval in intervals:
            at = bisect_right(times, d.interval_end(interval))
            if at:
                held[interval][site] = rows[at - 1][1]
    return intervals, held


def _round(value):
    return "" if value is None else (round(value, 4) if isinstance(value, float) else value)


def interval_rows(intervals, held, figures, sites_filter=None) -> list[dict]:
    rows = []
    for interval in intervals:
        policies = {s: h for s, h in held[interval].items() if sites_filter is None or s in sites_filter}
        stats = [figures[h] for h in policies.values()]
        words = [f["words"] for f in stats]
        fk = [f["flesch_kincaid"] for f in stats if f["flesch_kincaid"] is not None]
        smog = [f["smog"] for f in stats if f["smog"] is not None]
        before = held.get(d.previous_interval(interval), {})
        both = [(before[s], h) for s, h in policies.items() if s in before]
        strict = sum(1 for a, b in both if figures[a]["sha1"] != figures[b]["sha1"])
        near = sum(1 for a, b in both if d.simhash_differs(int(figures[a]["simhash"], 16),
                                                            int(figures[b]["simhash"], 16)))
        rows.append({
            "interval": interval, "sites": len(policies), "median_words": _round(d.median(words)),
            "p5_words": _round(d.percentile(words, 0.05)), "p95_words": _round(d.percentile(words, 0.95)),
            "median_flesch_kincaid": _round(d.median(fk)), "median_smog": _round(d.median(smog)),
            "eligible": len(both), "strict_updates": strict, "simhash_updates": near,
            "strict_pct": _round(100 * strict / len(both)) if both else "",
            "simhash_pct": _round(100 * near / len(both)) if both else ""})
    return rows


def term_rows(intervals, held, figures, sites_filter=None) -> list[dict]:
    terms = [(t.group, t.label) for t in d.REGEX_TERMS] + [(d.GDPR_GROUP, p) for p in d.GDPR_PHRASES]
    rows = []
    for interval in intervals:
        policies = [h for s, h in held[interval].items() if sites_filter is None or s in sites_filter]
        counts: dict[str, int] = defaultdict(int)
        for h in policies:
            for key in set(figures[h]["terms"]):
                counts[key] += 1
        for group, label in terms:
            share = 100 * counts[f"{group}|{label}"] / len(policies) if policies else None
            rows.append({"interval": interval, "group": group, "term": label,
                         "share_pct": _round(share)})
    return rows


def _csv(columns: list[str], rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def analyze(store, first_year: int | None = None, last_year: int | None = None,
            rank_of: dict[str, int] | None = None, workers: int | None = None) -> dict:
    """Write OUT/analysis/intervals.csv and terms.csv; returns what was written."""
    intervals, held = policies_in_force(store.versions.of(), first_year, last_year,
                                        store.captures.last_timestamp())
    hashes = sorted({h for policies in held.values() for h in policies.values()})
    figures, measured = measure_texts(store, hashes, workers)
    groups: list[tuple[str, set[str] | None]] = [("all", None)]
    if rank_of is not None:
        bins: dict[str, set[str]] = defaultdict(set)
        for site, rank in rank_of.items():
            bins[d.rank_bin(rank)].add(site)
        groups += [(label, bins.get(label, set())) for _, _, label in d.RANK_BINS]
    interval_table, term_table = [], []
    for label, sites in groups:
        extra = {"rank_bin": label} if rank_of is not None else {}
        interval_table += [{**extra, **r} for r in interval_rows(intervals, held, figures, sites)]
        term_table += [{**extra, **r} for r in term_rows(intervals, held, figures, sites)]
    lead = ["rank_bin"] if rank_of is not None else []
    folder = Path(store.out) / "analysis"
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / "intervals.csv", _csv(lead + INTERVAL_COLUMNS, interval_table))
    atomic_write(folder / "terms.csv", _csv(lead + TERM_COLUMNS, term_table))
    return {"intervals": len(intervals), "texts": len(hashes), "measured": measured, "folder": str(folder),
            "interval_rows": interval_table}


def read_ranks(seeds_path: str | Path) -> dict[str, int]:
    """site -> rank from a seed file with ``site`` and ``rank`` columns; ValueError naming the
    file when it has no rank column or a rank is not a whole number."""
    with open(seeds_path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields = [c.strip().lower() for c in reader.fieldnames or []]
        if "rank" not in fields or "site" not in fields:
            raise ValueError(f"{seeds_path}: no 'rank' column (--by rank needs a seed file with "
                             "site and rank columns)")
        ranks: dict[str, int] = {}
        for n, row in enumerate(reader, start=2):
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            try:
                rank = int(row["rank"].replace(",", ""))
            except ValueError:
                raise ValueError(f"{seeds_path} line {n}: rank {row['rank']!r} is not a whole "
                                 "number") from None
            ranks[row["site"]] = min(rank, ranks.get(row["site"], rank))
        return ranks
