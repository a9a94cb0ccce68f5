"""The policy classifier on real pages: recall on the citp-dev policies, false positives on a
folder of real pages that are not privacy policies.

    python bench/classifier.py [--negatives DIR] [--per-folder 60]

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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--negatives", type=Path, help="a folder of HTML pages that are not policies")
    ap.add_argument("--per-folder", type=int, default=60)
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
