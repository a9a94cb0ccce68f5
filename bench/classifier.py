"""The policy classifier on real pages: recall on the citp-dev policies; held-out figures on
../shared/corpus/real-pages and modern-pairs by kind and by language (three splits by service, as
``python -m pipelines.classify.training train`` makes them: a model fitted without the services it
is tested on; pooled over the splits); false positives on a folder of real pages that are not
privacy policies.

    python bench/classifier.py [--no-held-out] [--negatives DIR] [--per-folder 60]

``--negatives`` is any folder of saved HTML pages known not to be policies (for example a
documentation site); up to ``--per-folder`` pages are sampled from each of its sub-folders.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipelines.extract import extract_policy  # noqa: E402
from pipelines.classify.model import THRESHOLD, classify  # noqa: E402

CITP = REPO.parent / "shared" / "corpus" / "citp-dev"


def held_out() -> None:
    """Privacy precision/recall of models that never saw the services they are tested on, and
    what the errors are: the kinds called privacy, the languages, the pages."""
    import collections

    from pipelines.classify.model import classify_many
    from pipelines.classify.training import (SPLIT_SEEDS, fit, generated_examples, modern_examples,
                                             real_examples, split)

    shared = CITP.parent.parent
    real = real_examples(shared) + modern_examples(shared)
    train_gen, _ = split(generated_examples())
    rows = []  # (example, probability)
    for seed in SPLIT_SEEDS:
        train, test = split(real, seed=seed)
        model = fit(train + train_gen)
        rows += zip(test, (v.probability for v in classify_many([(e.text, e.title) for e in test], model)))
    said = [(e, p >= THRESHOLD) for e, p in rows]
    tp = sum(1 for e, s in said if s and e.kind == "privacy")
    fp = sum(1 for e, s in said if s and e.kind != "privacy")
    fn = sum(1 for e, s in said if not s and e.kind == "privacy")
    print(f"\nheld out (3 splits by service, pooled; {len(rows)} test pages): privacy precision "
          f"{tp / max(1, tp + fp):.3f} ({fp} false positives), recall {tp / max(1, tp + fn):.3f} "
          f"({fn} missed)")
    by_kind: dict = collections.defaultdict(lambda: [0, 0])
    by_lang: dict = collections.defaultdict(lambda: [0, 0, 0, 0])  # privacy found/n, others called/n
    for e, s in said:
        kind = "article" if e.source == "article" and e.kind != "privacy" else e.kind
        by_kind[kind][0] += s
        by_kind[kind][1] += 1
        lang = by_lang[e.language]
        if e.kind == "privacy":
            lang[0] += s
            lang[1] += 1
        else:
            lang[2] += s
            lang[3] += 1
    print("  called privacy, by true kind: " + ", ".join(
        f"{k} {a}/{n}" for k, (a, n) in sorted(by_kind.items())))
    print("  by language (privacy found / privacy pages; others called privacy / other pages):")
    for lang, (a, n, b, m) in sorted(by_lang.items(), key=lambda x: -(x[1][1] + x[1][3])):
        print(f"    {lang:4} privacy {a}/{n}  others {b}/{m}")
    for e, p in sorted(rows, key=lambda r: -r[1]):
        if p >= THRESHOLD and e.kind != "privacy":
            print(f"  false positive p={p:.2f} {e.kind:11} {e.language:3} {e.source:8} {e.group}: {e.title[:60]}")
    for e, p in sorted(rows, key=lambda r: r[1]):
        if p < THRESHOLD and e.kind == "privacy":
            print(f"  missed         p={p:.2f} {e.language:3} {e.source:8} {e.group}: {e.title[:60]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--negatives", type=Path, help="a folder of HTML pages that are not policies")
    ap.add_argument("--per-folder", type=int, default=60)
    ap.add_argument("--no-held-out", action="store_true", help="skip the held-out split figures")
    a = ap.parse_args()
    threshold = THRESHOLD

    def p_policy(body: bytes) -> float:
        got = extract_policy(body, "text/html", "http://x.example/")
        return classify(got.markdown, got.title).probability if got.markdown else 0.0

    real = [(d.name, p_policy((d / "page.html").read_bytes()))
            for d in sorted(CITP.iterdir()) if (d / "page.html").exists()]
    found = sum(p >= threshold for _, p in real)
    print(f"recall on the {len(real)} citp-dev policies (extracted from page.html): "
          f"{found}/{len(real)}, lowest p {min(p for _, p in real):.2f}")
    if not a.no_held_out and (CITP.parent / "real-pages").exists():
        held_out()
    if not a.negatives:
        return
    rng = random.Random(1)
    pages: list[Path] = []
    for folder in sorted(p for p in a.negatives.iterdir() if p.is_dir()) or [a.negatives]:
        files = sorted(folder.rglob("*.htm*"))
        pages += rng.sample(files, min(a.per_folder, len(files)))
    scored = []
    for page in pages:
        if extract_policy(page.read_bytes(), "text/html", "http://x.example/").markdown:
            scored.append((p_policy(page.read_bytes()), page))
    flagged = sorted(((p, f) for p, f in scored if p >= threshold), reverse=True)
    print(f"non-policy pages with text: {len(scored)}; classified as policies: {len(flagged)} "
          f"(false-positive rate {len(flagged) / max(1, len(scored)):.3f})")
    for p, f in flagged[:10]:
        print(f"  p={p:.2f}  {f.relative_to(a.negatives)}")


if __name__ == "__main__":
    main()
