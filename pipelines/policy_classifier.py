"""Is this page a privacy policy? A small logistic-regression model over word features.

The model ships as ``pipelines/policy_model.json`` (a few hundred weights), made by
``python -m pipelines.policy_classifier train`` from data the repo regenerates
(:mod:`pipelines.classifier_data`); it runs offline with no downloaded model.
"""

from __future__ import annotations

import json
import math
import random
import re
import sys
from collections import Counter
from functools import lru_cache
from pathlib import Path

MODEL_PATH = Path(__file__).with_name("policy_model.json")
THRESHOLD = 0.5
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def features(text: str) -> Counter:
    """Lower-cased words and word pairs, log-scaled counts."""
    words = _WORD.findall(text.lower())[:5000]
    feats = Counter(words)
    feats.update(f"{a} {b}" for a, b in zip(words, words[1:]))
    return Counter({k: 1 + math.log(v) for k, v in feats.items()})


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def train(docs: list[tuple[str, int]], epochs: int = 10, rate: float = 0.5, l2: float = 1e-4,
          keep: int = 1500, seed: int = 1) -> dict:
    """Logistic regression by SGD; keeps the ``keep`` strongest features."""
    rng = random.Random(seed)
    data = [(features(t), y) for t, y in docs]
    w: dict[str, float] = {}
    bias = 0.0
    for epoch in range(epochs):
        rng.shuffle(data)
        lr = rate / (1 + epoch)
        for feats, y in data:
            norm = math.sqrt(sum(v * v for v in feats.values())) or 1.0
            z = bias + sum(w.get(k, 0.0) * v / norm for k, v in feats.items())
            g = _sigmoid(z) - y
            bias -= lr * g
            for k, v in feats.items():
                w[k] = w.get(k, 0.0) * (1 - lr * l2) - lr * g * v / norm
    top = sorted(w.items(), key=lambda kv: abs(kv[1]), reverse=True)[:keep]
    return {"bias": bias, "weights": {k: round(v, 5) for k, v in top}, "threshold": THRESHOLD}


def probability(text: str, model: dict | None = None) -> float:
    """Probability that ``text`` is a privacy policy. Words the model does not know are left out
    of the length normalisation, so a long real page is not diluted by its own vocabulary."""
    model = model or load_model()
    w = model["weights"]
    feats = {k: v for k, v in features(text).items() if k in w}
    norm = math.sqrt(sum(v * v for v in feats.values())) or 1.0
    return _sigmoid(model["bias"] + sum(w[k] * v / norm for k, v in feats.items()))


@lru_cache(maxsize=1)
def load_model() -> dict:
    return json.loads(MODEL_PATH.read_text(encoding="utf-8"))


def evaluate(model: dict, docs: list[tuple[str, int]], threshold: float = THRESHOLD) -> dict:
    tp = fp = fn = tn = 0
    for text, y in docs:
        p = probability(text, model) >= threshold
        tp += p and y
        fp += p and not y
        fn += (not p) and y
        tn += (not p) and not y
    return {"precision": tp / max(1, tp + fp), "recall": tp / max(1, tp + fn), "n": len(docs)}


def main(argv: list[str]) -> int:
    from pipelines.classifier_data import generate

    if argv[:1] != ["train"]:
        print("usage: python -m pipelines.policy_classifier train [--shared ../shared]", file=sys.stderr)
        return 2
    docs = generate()
    cut = int(len(docs) * 0.8)
    model = train(docs[:cut])
    held = evaluate(model, docs[cut:])
    model["held_out"] = held
    shared = Path(argv[argv.index("--shared") + 1]) if "--shared" in argv else \
        Path(__file__).resolve().parents[2] / "shared"
    real = [(p.read_text(encoding="utf-8"), 1) for p in sorted((shared / "corpus" / "citp-dev").glob("*/reference.md"))]
    if real:
        model["citp_dev_recall"] = evaluate(model, real)["recall"]
    MODEL_PATH.write_text(json.dumps(model, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    print(f"held-out split ({held['n']} generated pages): precision {held['precision']:.3f}, "
          f"recall {held['recall']:.3f}")
    if real:
        print(f"recall on the {len(real)} real citp-dev policies: {model['citp_dev_recall']:.3f}")
    print(f"model written to {MODEL_PATH} ({MODEL_PATH.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
