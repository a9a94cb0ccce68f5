"""Training the page classifier (development only: the crawl loads the shipped model,
:mod:`pipelines.classify.model`). ``python -m pipelines.classify.training train [--shared DIR]``
rebuilds ``pipelines/classify/policy_model.npz`` from ../shared/corpus (real pages) and
:mod:`pipelines.classify.generated` (generated pages in more languages)."""

from __future__ import annotations

import csv
import gzip
import json
import os
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from pipelines.classify.model import (CLASS_WEIGHT, KINDS, MODEL_PATH, THRESHOLD,
                                      classify_many, features, load_model)

def shared_dir() -> Path:
    return Path(os.environ.get("PALIMPSEST_SHARED", Path(__file__).resolve().parents[3] / "shared"))


@dataclass
class Example:
    text: str
    title: str
    kind: str
    language: str
    group: str  # split unit: a service, a duplicate group, or the page itself
    source: str  # 'legal' | 'article' | 'generated'


def real_examples(shared: Path) -> list[Example]:
    """The labelled real pages; articles are read through the crawl's own extractor."""
    from pipelines.extract import extract_policy

    root = shared / "corpus" / "real-pages"
    out: list[Example] = []
    with (root / "legal" / "manifest.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            text = gzip.decompress((root / "legal" / "texts" / f"{row['id']}.md.gz").read_bytes()
                                   ).decode("utf-8")
            group = row["dup_group"] or row["service"]
            out.append(Example(text, row["heading"], row["label"], row["language"], group, "legal"))
    with (root / "articles" / "manifest.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            body = gzip.decompress((root / "articles" / "html" / f"{row['id']}.html.gz").read_bytes())
            got = extract_policy(body, None, row["url"] or "http://example.invalid/")
            kind = "privacy" if row["label"] == "privacy" else "other"
            out.append(Example(got.markdown, got.title, kind, row["language"] or "?", row["id"],
                               "article"))
    return out


def modern_examples(shared: Path) -> list[Example]:
    """Real HTML legal pages (../shared/corpus/modern-pairs) read through the crawl's extractor, as
    `classify` and discovery read pages. A page holding more than its labelled document (the
    extracted text is under 80 % that document: a privacy page with the cookie policy inside, a
    'Legal' hub) is left out: its label would say the wrong thing about its text."""
    import collections

    from pipelines.extract import extract_policy

    kinds = {"Privacy Policy": "privacy", "Terms of Service": "terms", "Trackers Policy": "cookie"}
    root = shared / "corpus" / "modern-pairs"
    out: list[Example] = []
    for d in sorted(p for p in root.iterdir() if (p / "page.html").exists()) if root.exists() else []:
        meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
        kind = kinds.get(meta.get("doctype", ""))
        if kind is None:
            continue
        got = extract_policy((d / "page.html").read_bytes(), None, meta.get("url") or "http://x.invalid/")
        words = lambda t: collections.Counter(re.findall(r"\w+", t.lower()))  # noqa: E731
        mine, ref = words(got.markdown), words((d / "reference.md").read_text(encoding="utf-8"))
        if not mine or sum((mine & ref).values()) / sum(mine.values()) < 0.8:
            continue
        out.append(Example(got.markdown, got.title, kind, "?", meta["service"], "modern"))
    return out


def generated_examples() -> list[Example]:
    from pipelines.classify.generated import generate_labelled

    return [Example(t, "", k, lang, f"gen{i}", "generated")
            for i, (t, k, lang) in enumerate(generate_labelled())]


SPLIT_SEEDS = (7, 11, 3)


def split(examples: list[Example], test_share: float = 0.2, seed: int = 7):
    groups = sorted({e.group for e in examples})
    random.Random(seed).shuffle(groups)
    test_groups = set(groups[: int(len(groups) * test_share)])
    return ([e for e in examples if e.group not in test_groups],
            [e for e in examples if e.group in test_groups])


def fit(examples: list[Example], c: float = 20.0) -> dict:
    import numpy as np

    from sklearn.linear_model import LogisticRegression

    x = features([(e.text, e.title) for e in examples])
    y = [e.kind for e in examples]
    clf = LogisticRegression(C=c, max_iter=3000, class_weight=CLASS_WEIGHT)
    clf.fit(x, y)
    order = [list(clf.classes_).index(k) for k in KINDS]
    return {"coef": clf.coef_[order].astype(np.float32),
            "intercept": clf.intercept_[order].astype(np.float32), "kinds": KINDS, "meta": {}}


def evaluate(model: dict, examples: list[Example], threshold: float = THRESHOLD) -> dict:
    """Privacy precision/recall, kind accuracy, and false-positive rate on articles by language."""
    verdicts = classify_many([(e.text, e.title) for e in examples], model)
    tp = fp = fn = 0
    right = 0
    fp_by_lang: dict[str, list[int]] = {}
    for e, v in zip(examples, verdicts):
        said = v.probability >= threshold
        tp += said and e.kind == "privacy"
        fp += said and e.kind != "privacy"
        fn += (not said) and e.kind == "privacy"
        right += v.kind == e.kind
        if e.source == "article" and e.kind == "other":
            fp_by_lang.setdefault(e.language, [0, 0])
            fp_by_lang[e.language][0] += said
            fp_by_lang[e.language][1] += 1
    return {"n": len(examples), "precision": round(tp / max(1, tp + fp), 4),
            "recall": round(tp / max(1, tp + fn), 4), "kind_accuracy": round(right / max(1, len(examples)), 4),
            "article_fpr": {lang: f"{a}/{b}" for lang, (a, b) in sorted(fp_by_lang.items())}}


def save(model: dict, path: Path = MODEL_PATH) -> None:
    import numpy as np

    np.savez_compressed(path, coef=model["coef"].astype(np.float16),
                        intercept=model["intercept"].astype(np.float32),
                        kinds=np.array(model["kinds"]), meta=np.array(json.dumps(model["meta"])))
    load_model.cache_clear()


def main(argv: list[str]) -> int:
    if argv[:1] != ["train"]:
        print("usage: python -m pipelines.classify.training train [--shared ../shared]", file=sys.stderr)
        return 2
    shared = Path(argv[argv.index("--shared") + 1]) if "--shared" in argv else shared_dir()
    real = real_examples(shared) + modern_examples(shared)
    generated = generated_examples()
    train_gen, test_gen = split(generated)
    # three splits by service (different services held out each time): one split's figure
    # depends on which services it happened to hold out
    per_split = {}
    for seed in SPLIT_SEEDS:
        train_real, test_real = split(real, seed=seed)
        model = fit(train_real + train_gen)
        per_split[str(seed)] = evaluate(model, test_real)
    figures = {"held_out_real": {k: round(sum(f[k] for f in per_split.values()) / len(per_split), 4)
                                 for k in ("precision", "recall", "kind_accuracy")},
               "held_out_real_by_split": per_split,
               "held_out_generated": evaluate(model, test_gen)}
    final = fit(real + generated)  # the shipped model sees every page; figures are from the split
    final["meta"] = {"development_figures": figures, "trained_on": {
        "real": len(real), "generated": len(generated)}}
    save(final)
    print(json.dumps(figures, indent=1))
    print(f"model written to {MODEL_PATH} ({MODEL_PATH.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
