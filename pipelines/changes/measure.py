"""What changed between two texts of a policy, and how much: word-level additions and removals
(difflib), the sections touched (aligned by headings), moved paragraphs, and a policy-aware
significance score in [0, 1] with a kind: substantive, minor or cosmetic. Pure: texts in,
measures out (:mod:`pipelines.changes.history` applies it to a site's versions).
Whitespace, Unicode-space and quote-style differences never count (versions are already keyed
by a normalised text hash); HTML-only changes never produce a version at all.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from dataclasses import dataclass

from pipelines.captures import TextEnum
from pipelines.seedformat import normalize_text


class Kind(TextEnum):
    """How much a change matters to a reader of the policy."""

    SUBSTANTIVE = "substantive"
    MINOR = "minor"
    COSMETIC = "cosmetic"

# Policy-aware weights: what a reader of privacy policies cares about most.
POLICY_TOPICS: dict[str, tuple[float, tuple[str, ...]]] = {
    "data categories": (0.8, ("location", "geolocation", "biometric", "health", "financial",
                              "contacts", "browsing history", "device identifier", "ip address",
                              "phone number", "date of birth", "social security", "precise",
                              "sensitive", "genetic", "audio", "photos", "camera", "microphone")),
    "third parties": (0.9, ("third part", "third-part", "partner", "advertis", "sell", "sale of",
                            "affiliate", "share", "disclose", "vendor", "processor", "broker")),
    "retention": (0.7, ("retain", "retention", "keep your", "stored for", "delete", "deletion",
                        "months", "years")),
    "rights": (0.8, ("right to", "access", "erasure", "opt out", "opt-out", "object", "withdraw",
                     "consent", "gdpr", "ccpa", "data protection authority", "complain")),
    "arbitration": (1.0, ("arbitration", "class action", "jury", "waive", "governing law",
                          "jurisdiction")),
    "children": (0.8, ("children", "child", "under 13", "under the age", "minor")),
    "tracking": (0.7, ("cookie", "pixel", "beacon", "track", "analytics", "fingerprint")),
    "transfers": (0.6, ("transfer", "outside the", "international", "privacy shield",
                        "standard contractual")),
    "security": (0.5, ("security", "encrypt", "breach")),
}
_WORD = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]", re.UNICODE)
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$|^\*\*(.+?)\*\*\s*$")


@dataclass
class Section:
    heading: str
    paragraphs: list[str]


@functools.lru_cache(maxsize=8)
def paragraphs(markdown: str) -> tuple[str, ...]:
    """The text's paragraphs, normalized (one comparison asks for them several times: cached)."""
    return tuple(n for n in map(normalize_text, re.split(r"\n\s*\n", markdown)) if n)


@functools.lru_cache(maxsize=512)
def _normalized_words(paragraph: str) -> tuple[str, ...]:
    """words() of a paragraph that is normalized already. Remembered (the paragraphs of the last
    few texts): a comparison reads each paragraph the two texts share twice, and a site's
    successive pairs share their texts."""
    return tuple(w for w in _WORD.findall(paragraph) if w.strip())


def sections(markdown: str) -> list[Section]:
    """Split markdown at headings (``#`` lines or lines that are entirely bold)."""
    out = [Section("", [])]
    for para in paragraphs(markdown):
        m = _HEADING.match(para)
        if m and len(para) < 200:
            out.append(Section(normalize_text(m.group(2) or m.group(3) or ""), []))
        else:
            out[-1].paragraphs.append(para)
    return [s for s in out if s.heading or s.paragraphs]


def word_opcodes(old: list[str], new: list[str]):
    return difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()


def paragraph_word_diff(old_paras: list[str], new_paras: list[str]):
    """(old words, new words, word opcodes): paragraphs aligned first (unchanged paragraphs are
    matched whole, as a line diff does), words diffed only inside the paragraphs that differ.
    The same answer as one word diff of the whole texts for the edits policies see, at a
    fraction of its cost on long texts (the whole-text diff is quadratic in their length)."""
    old_w = [_normalized_words(p) for p in old_paras]
    new_w = [_normalized_words(p) for p in new_paras]
    ow = [w for ws in old_w for w in ws]
    nw = [w for ws in new_w for w in ws]
    o_at = [0]
    for ws in old_w:
        o_at.append(o_at[-1] + len(ws))
    n_at = [0]
    for ws in new_w:
        n_at.append(n_at[-1] + len(ws))
    opcodes = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_paras, new_paras,
                                                        autojunk=False).get_opcodes():
        a1, a2, b1, b2 = o_at[i1], o_at[i2], n_at[j1], n_at[j2]
        if tag == "equal":
            opcodes.append(("equal", a1, a2, b1, b2))
            continue
        for t, x1, x2, y1, y2 in word_opcodes(ow[a1:a2], nw[b1:b2]):
            opcodes.append((t, a1 + x1, a1 + x2, b1 + y1, b1 + y2))
    return ow, nw, opcodes


def align_sections(old: list[Section], new: list[Section]) -> list[tuple[Section | None, Section | None]]:
    """Pair sections by heading (exact, then closest heading above 0.6 similarity), in order. A
    heading that several sections share (the title repeated as the first heading, "Your rights"
    in each region's part) pairs them in their order."""
    pairs: list[tuple[Section | None, Section | None]] = []
    used: set[int] = set()
    index: dict[str, list[int]] = {}
    for i, s in enumerate(old):
        index.setdefault(s.heading.lower(), []).append(i)
    for ns in new:
        j = next((i for i in index.get(ns.heading.lower(), ()) if i not in used), None)
        if j is None:
            best, j = 0.6, None
            for i, os_ in enumerate(old):
                if i in used:
                    continue
                r = difflib.SequenceMatcher(None, os_.heading.lower(), ns.heading.lower()).ratio()
                if r > best:
                    best, j = r, i
        if j is not None:
            used.add(j)
            pairs.append((old[j], ns))
        else:
            pairs.append((None, ns))
    for i, os_ in enumerate(old):
        if i not in used:
            pairs.append((os_, None))
    return pairs


def moved_paragraphs(old_md: str, new_md: str) -> set[str]:
    """Paragraphs present in both versions whose order changed (a move, not delete + add)."""
    old_p, new_p = paragraphs(old_md), paragraphs(new_md)
    common = set(old_p) & set(new_p)
    a = [p for p in old_p if p in common]
    b = [p for p in new_p if p in common]
    stay = set()
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            stay.update(a[i1:i2])
    return {p for p in common if p not in stay}


def _is_typo(a: list[str], b: list[str]) -> bool:
    if len(a) != len(b):
        return False
    return all(difflib.SequenceMatcher(None, x.lower(), y.lower()).ratio() >= 0.75 or
               (x.isdigit() and y.isdigit()) for x, y in zip(a, b))


def significance(hits: dict[str, int], n_changed: int, length: float) -> tuple[float, float]:
    """(score in [0, 1], share of the text changed) of a non-cosmetic change.

    Three parts, so that the score ranks changes instead of saturating:

    * 0.45 x the weight of the heaviest policy topic the changed words touch (a single
      "we sell your data" is substantive on its own; under 3 changed words it counts 0.3 of that);
    * 0.25 x the breadth of policy content changed: topics combine as independent signals,
      each growing with its number of hits (1 - e^(-hits/2)) times its weight;
    * 0.30 x the size of the edit: the square root of the share of words changed (full at half the
      text), so a rewrite outranks a sentence.
    """
    weights = {name: POLICY_TOPICS[name][0] for name, n in hits.items() if n}
    heaviest = max(weights.values(), default=0.0) * (1.0 if n_changed >= 3 else 0.3)
    untouched = 1.0
    for name, weight in weights.items():
        untouched *= 1.0 - weight * (1.0 - math.exp(-hits[name] / 2))
    share = n_changed / max(40.0, length)
    size = min(1.0, 2 * share) ** 0.5
    return round(0.45 * heaviest + 0.25 * (1.0 - untouched) + 0.30 * size, 3), share


def compare(old_md: str, new_md: str) -> dict:
    """Measures of the change from ``old_md`` to ``new_md`` (markdown bodies)."""
    moved = moved_paragraphs(old_md, new_md)
    ow, nw, opcodes = paragraph_word_diff([p for p in paragraphs(old_md) if p not in moved],
                                          [p for p in paragraphs(new_md) if p not in moved])
    added: list[str] = []
    removed: list[str] = []
    cosmetic = True
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            continue
        removed += ow[i1:i2]
        added += nw[j1:j2]
        if not (tag == "replace" and _is_typo(ow[i1:i2], nw[j1:j2])) and \
                not all(not w.isalnum() for w in ow[i1:i2] + nw[j1:j2]):
            cosmetic = False
    # Similarity of the whole texts, moved paragraphs counting as unchanged text.
    moved_words = sum(len(_normalized_words(p)) for p in moved)
    same = sum(i2 - i1 for tag, i1, i2, _, _ in opcodes if tag == "equal") + moved_words
    total = len(ow) + len(nw) + 2 * moved_words
    similarity = 2 * same / total if total else 1.0
    changed_sections = 0
    for os_, ns in align_sections(sections(old_md), sections(new_md)):
        if os_ is None or ns is None:
            changed_sections += 1
        elif [p for p in os_.paragraphs if p not in moved] != [p for p in ns.paragraphs if p not in moved]:
            changed_sections += 1
    changed_text = " ".join(added + removed).lower()
    hits = {name: sum(changed_text.count(p) for p in pats) for name, (_, pats) in POLICY_TOPICS.items()}
    topics = [name for name in POLICY_TOPICS if hits[name]]
    n_changed = len([w for w in added + removed if w.isalnum()])
    if n_changed == 0 and moved:
        kind, score = Kind.MINOR, 0.05  # only a reordering
    elif cosmetic and n_changed <= 6:
        kind, score = Kind.COSMETIC, round(min(0.1, 0.02 * n_changed), 3)
    else:
        score, share = significance(hits, n_changed, (len(ow) + len(nw)) / 2)
        kind = Kind.SUBSTANTIVE if score >= 0.35 or share >= 0.25 else Kind.MINOR
    return {"similarity": round(similarity, 4), "words_added": len([w for w in added if w.isalnum()]),
            "words_removed": len([w for w in removed if w.isalnum()]),
            "sections_changed": changed_sections, "kind": kind, "score": score, "topics": topics,
            "moved_paragraphs": len(moved)}


