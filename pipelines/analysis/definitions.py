"""The Princeton-Leuven paper's definitions (Amos et al., "Privacy Policies over Time", WWW 2021),
as its own code computes them (citp/PrivacyPoliciesOverTime, analysis/; the file of each is
named below and in the README). Pure functions: no corpus, no I/O.

* Intervals: half-years ``YYYYA`` (January-June) and ``YYYYB`` (July-December); a site's policy
  in an interval is the version in force at the interval's end.
* Policy text: a version's markdown without the header line and the ``# <title>`` line.
* Words: matches of ``\\w+`` (notebooks/Aggregate Stats.ipynb); p5/p95 as
  ``sorted[int(n*0.05)]``, ``sorted[int(n*0.95)]``.
* Updates: strict (the SHA-1 of the policy text differs) and simhash (64-bit simhash over
  shingles of 4 consecutive word tokens differing in more than 3 bits:
  python/historical/find_near_documents.py, SIMHASH_THRESH = 3).
* Term shares: the regexes of notebooks/trending.ipynb (searched case-insensitively in the text;
  a pair's second regex in the URLs the policy links to) and the 19 GDPR phrases of
  notebooks/GDPR_Phrases.ipynb (lemmatised substring match).
"""

from __future__ import annotations

import hashlib
import re
import statistics
from dataclasses import dataclass
from datetime import datetime

SIMHASH_THRESHOLD = 3  # find_near_documents.py: SIMHASH_THRESH
SHINGLE = 4  # simhash.shingle(tokens, 4)
WORD = re.compile(r"\w+")
LINK = re.compile(r"\]\(\s*<?([^)\s>]+)|(https?://[^\s)\]>\"']+)")

# -- intervals ------------------------------------------------------------------------------------


def interval_of(timestamp: str) -> str:
    """``2018A`` for January-June 2018, ``2018B`` for July-December."""
    return f"{timestamp[:4]}{'A' if int(timestamp[4:6] or '01') <= 6 else 'B'}"


def interval_end(interval: str) -> str:
    """The last 14-digit timestamp inside an interval."""
    year = interval[:4]
    return f"{year}0630235959" if interval[4] == "A" else f"{year}1231235959"


def intervals_between(first: str, last: str) -> list[str]:
    """Every interval from ``first`` to ``last`` (both included), in order."""
    out, year, half = [], int(first[:4]), first[4]
    while True:
        current = f"{year}{half}"
        out.append(current)
        if current == last:
            return out
        year, half = (year, "B") if half == "A" else (year + 1, "A")


def previous_interval(interval: str) -> str:
    year = int(interval[:4])
    return f"{year}A" if interval[4] == "B" else f"{year - 1}B"


# -- the text -------------------------------------------------------------------------------------


def policy_text(markdown: str) -> str:
    """A stored text (``# <title>`` then the body; the seed header is not stored) without its
    title line."""
    first, _, rest = markdown.partition("\n")
    return rest.lstrip("\n") if first.startswith("# ") else markdown


def word_count(text: str) -> int:
    return len(WORD.findall(text))


def percentile(values: list[float], q: float) -> float | None:
    """The paper's ``sorted[int(n*q)]``."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * q), len(ordered) - 1)]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def strict_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _shingle_hash(shingle: str) -> int:
    """A stable unsigned 64-bit hash of a shingle (the paper's ``c_ulong(hash(s))`` changes from
    one Python process to the next; any well-mixed 64-bit hash gives the same simhash statistics)."""
    return int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "little")


def simhash(tokens: list[str]) -> int:
    """Charikar's simhash of the shingles of ``SHINGLE`` consecutive tokens, as simhash-py's
    ``compute`` makes it: each bit set where more than half the shingle hashes have it set."""
    import numpy as np

    shingles = [" ".join(tokens[i:i + SHINGLE]) for i in range(max(len(tokens) - SHINGLE + 1, 1))]
    hashes = np.array([_shingle_hash(s) for s in shingles if s], dtype="<u8")
    if not len(hashes):
        return 0
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    votes = bits.sum(axis=0, dtype=np.int64) > len(hashes) / 2  # votes[k]: bit k (little-endian)
    return int(sum(1 << k for k in np.flatnonzero(votes)))


def simhash_differs(a: int, b: int) -> bool:
    return bin(a ^ b).count("1") > SIMHASH_THRESHOLD


def links_of(markdown: str) -> str:
    """The URLs a policy links to, space-separated (the paper's ``links_str``)."""
    return " ".join(m.group(1) or m.group(2) for m in LINK.finditer(markdown))


# -- terms ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    group: str
    label: str
    text: str | None  # regex searched in the policy text (case-insensitive)
    link: str | None = None  # regex searched in the URLs it links to

    def matches(self, text: str, links: str) -> bool:
        return bool((self.text and re.search(self.text, text, re.IGNORECASE))
                    or (self.link and re.search(self.link, links, re.IGNORECASE)))


def _group(name: str, pairs) -> list[Term]:
    out = []
    for label, pattern in pairs:
        text, link = (pattern if isinstance(pattern, tuple) else (pattern, None))
        out.append(Term(name, label, None if text == r"$^" else text, link))
    return out


# trending.ipynb, "Tracking terminology" (Third Party is counted with the third parties below)
# and the Do-not-track cell.
TRACKING = _group("tracking_technologies", [
    ("Cookies", r"\bcookies?\b"),
    ("Web Beacon", r"\bweb\s(?:bug|beacon)\b"),
    ("Evercookie", r"\bevercookies?\b"),
    ("Flash", r"\bflash\b"),
    ("Flash Cookie/LSO", r"\b(?:flash\scookie|lso|local\sshared\sobject)\b"),
    ("Cross-Device", r"\bcross[\s\-]device"),
    ("Browser/Device Fingerprint", r"\b(?:browser|device)\sfingerprint"),
    ("Canvas Fingerprint", r"\bcanvas\sfingerprint"),
    ("Tracking technology", r"(?<!anti[\-\s])\btracking\stechnolog(?:y|ies)\b"),
    ("Anti-tracking technology", r"\banti[\s\-]?tracking\stechnolog(?:y|ies)\b"),
    ("JavaScript", r"\bjavascript\b"),
    ("Do not track", r"\b(?:Do not track|DNT)\b"),
])

# trending.ipynb, "Third Parties" (the ten companies of the paper's figure) and "Third Party".
THIRD_PARTIES = _group("third_parties", [
    ("Third Party", r"\bthird[\-\s]part(?:y|ies)\b"),
    ("Adobe", r"\bAdobe\b"), ("Amazon", r"\bAmazon\b"), ("AOL", r"\bAOL\b"),
    ("Automattic", r"\bAutomattic\b"), ("Cloudflare", r"\bCloudflare\b"),
    ("Doubleclick", r"\bDoubleclick\b"), ("Facebook", r"\bFacebook\b"), ("Google", r"\bGoogle\b"),
    ("Twitter", r"\bTwitter\b"), ("Yahoo", r"\bYahoo\b"),
])

# trending.ipynb: trackers by company name (the 28 of the long cell), and by the domains the
# policy links to (the DuckDuckGo cell's google.com).
TRACKERS = _group("trackers", [
    ("Adnexus", r"\bAdnexus\b"), ("Adobe", r"\bAdobe\b"), ("Allyes", r"\bAllyes\b"),
    ("Amazon", r"\bAmazon\b"), ("AOL", r"\bAOL\b"), ("AppNexus", r"\bAppNexus\b"),
    ("Automattic", r"\bAutomattic\b"), ("Cloudflare", r"\bCloudflare\b"), ("comScore", r"\bcomScore\b"),
    ("Datalogix", r"\bDatalogix\b"), ("Doubleclick", r"\bDoubleclick\b"), ("Facebook", r"\bFacebook\b"),
    ("Go Network", r"\bGo\sNetwork\b"), ("Google", r"\bGoogle\b"), ("MaxCDN", r"\bMaxCDN\b"),
    ("Media Math", r"\bMedia Math\b"), ("Neustar", r"\bNeustar\b"), ("OpenX", r"\bOpenX\b"),
    ("Oracle", r"\bOracle\b"), ("Quantserve", r"\bQuantserve\b"),
    ("Rubicon Project", r"\bRubicon Project\b"), ("Scorecard Research", r"\bScorecard Research\b"),
    ("The Trade Desk", r"\bThe Trade Desk\b"), ("TowerData", r"\bTower\s?Data\b"),
    ("Twitter", r"\bTwitter\b"), ("V3", r"\bV3\b"), ("Yahoo", r"\bYahoo\b"), ("Yandex", r"\bYandex\b"),
    ("Google.com", (r"$^", r"\bgoogle\.com\b")),
    ("Google & Google.com", (r"\bGoogle\b", r"\bgoogle\.com\b")),
])

# trending.ipynb, "Privacy Seals" (its case-insensitive cell), as written there.
SELF_REGULATION = _group("self_regulation", [
    ("BBBOnLine", (r"\b(?:BBBOnLine|\bBetter\sBusiness\sBureau)", r"\bbbb\.org\b")),
    ("TrustArc", (r"\btrust(?:arc|e\b)", r"\btrust(?:arc|e)\.(?:org|com)\b")),
    ("EuroPriSe", (r"\b(?:EuroPriSe|European\sPrivacy\Seal)\b", r"\beuropean-privacy-seal\.eu")),
    ("VeraSafe", (r"\bVeraSafe\b", r"verasafe.com")),
    ("DAA", (r"\b(?:DAA|Digital\sAdvertising\sAlliance)",
             r"\b(?:aboutads\.(?:com|org)|digitaladvertisingalliance.org)")),
    ("NAI", (r"\b(?:NAI|Network\sAdvertising\sInitiative)\b", r"\bnetworkadvertising.org")),
    ("EDAA", (r"\b(?:\bEDAA\b|European\sInteractive\Digital\sAdvertising\sAlliance)", r"\bedaa\.eu\b")),
    ("DoubleVerify", (r"\bDoubleVerify\b", r"\bdoubleverify.com")),
    ("Evidon", (r"\bEvidon\b", r"\bevidon.com")),
])

# trending.ipynb, "Regulations and agreements".
LAWS = _group("laws", [
    ("GDPR", r"\b(?:GDPR|General Data Protection Regulation)\b"),
    ("CCPA", r"\b(?:CCPA|California\sConsumer\sPrivacy\sAct|oag.ca.gov)\b"),
    ("COPPA", r"\b(?:COPPA|Children.?s\sOnline\sPrivacy\sProtection\sAct)\b"),
    ("Regulation", r"\b(?:(?<!General[\-\s]Data[\-\s]Protection[\-\s])regulation)\b"),
    ("caloppa", r"\bcaloppa\b"),
    ("BCR", r"\b(?:BCR|Binding\sCorporate\sRules)\b"),
    ("SCC", r"\b(?:Standard\sContract(?:ual)?\sClauses|SCC)\b"),
    ("Privacy Shield", r"\b(?:Privacy\sShield|privacyshield.gov)\b"),
    ("Safe Harbor", r"\b(?:Safe\sHarbou?r|export.gov/safeharbor/)\b"),
])

REGEX_TERMS: list[Term] = TRACKING + THIRD_PARTIES + TRACKERS + SELF_REGULATION + LAWS

# GDPR_Phrases.ipynb: the phrases under 1% of policies in 2016B (its good_phrases), spelt as
# there ("officier" included).
GDPR_PHRASES = [
    "automated decision-making", "contractual requirement", "data portability",
    "data protection officier", "erasure", "further processing", "gdpr",
    "general data protection regulation", "legal basis", "legitimate interest",
    "official authority", "performance of a contract", "public interest", "rectification",
    "statutory requirement", "supervisory authority", "third country", "vital interest",
    "withdraw consent",
]
GDPR_GROUP = "gdpr_phrases"
GROUPS = ["tracking_technologies", "third_parties", "trackers", "self_regulation", "laws", GDPR_GROUP]


def matched_terms(text: str, links: str, lemmatized_text: str, lemmatized_phrases: list[str]) -> list[str]:
    """``group|label`` of every term a policy matches."""
    found = [f"{t.group}|{t.label}" for t in REGEX_TERMS if t.matches(text, links)]
    found += [f"{GDPR_GROUP}|{label}" for label, phrase in zip(GDPR_PHRASES, lemmatized_phrases)
              if phrase in lemmatized_text]
    return found


# -- rank bins ------------------------------------------------------------------------------------
RANK_BINS = [(1, 1_000, "1-1k"), (1_000, 10_000, "1k-10k"), (10_000, 100_000, "10k-100k"),
             (100_000, 1_000_000, "100k-1M"), (1_000_000, None, "1M+")]


def rank_bin(rank: int) -> str:
    for low, high, label in RANK_BINS:
        if rank >= low and (high is None or rank < high):
            return label
    return RANK_BINS[0][2]


def year_of(value: str) -> int:
    return datetime.strptime(value, "%Y").year
