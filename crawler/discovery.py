"""Finding a site's privacy policy link on its archived homepage, in many languages.

Scoring of each ``<a href>`` of a homepage: an exact policy link text (``privacy policy``,
``Datenschutzerklärung``, ``politique de confidentialité``, ``プライバシーポリシー``, ...) scores
highest; a text containing a privacy word next; words in the href add to it; links in the footer
(``<footer>``, or an element whose id/class says footer, or the last quarter of the page's links)
add a little. ``javascript:``/``mailto:`` links, fragments and links into the archive's own pages
are never candidates. Parked-domain and soft-404 pages are recognised by their wording.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html

# Exact link texts (normalised: lower case, no punctuation, single spaces).
EXACT_TEXTS = {
    # en
    "privacy policy", "privacy", "privacy statement", "privacy notice", "privacy & cookies",
    "privacy and cookies", "privacy and cookie policy", "privacy & cookie policy", "cookie policy",
    "privacy center", "privacy centre", "data privacy", "data protection", "your privacy",
    "privacy policy & cookies", "online privacy policy", "website privacy policy",
    # de
    "datenschutz", "datenschutzerklärung", "datenschutzhinweise", "datenschutzrichtlinie",
    "datenschutzbestimmungen", "privatsphäre",
    # fr
    "confidentialité", "politique de confidentialité", "vie privée", "données personnelles",
    "protection des données", "politique de protection des données",
    # es
    "privacidad", "política de privacidad", "aviso de privacidad", "protección de datos",
    "política de protección de datos",
    # it
    "privacy policy e cookie", "informativa privacy", "informativa sulla privacy",
    "politica sulla privacy", "tutela della privacy",
    # pt
    "política de privacidade", "privacidade", "aviso de privacidade",
    # nl
    "privacybeleid", "privacyverklaring", "privacyreglement", "privacy statement en cookies",
    # ru
    "политика конфиденциальности", "конфиденциальность", "политика конфиденциальности и cookie",
    # pl
    "polityka prywatności", "prywatność", "polityka cookies",
    # tr
    "gizlilik politikası", "gizlilik", "gizlilik sözleşmesi", "kişisel verilerin korunması",
    # ja
    "プライバシーポリシー", "個人情報保護方針", "プライバシー", "個人情報の取り扱い", "個人情報保護",
    # zh
    "隐私政策", "隐私", "隐私声明", "隱私權政策", "隱私政策", "隐私条款",
    # ko
    "개인정보처리방침", "개인정보 처리방침", "개인정보취급방침", "개인정보 보호정책",
}
# Words that make a link text (or href) about privacy.
PRIVACY_WORDS = ("privacy", "datenschutz", "privatsphäre", "confidentialit", "vie privée",
                 "privacidad", "privacidade", "privacybeleid", "privacyverklaring", "privatezza",
                 "конфиденциальн", "персональн", "prywatno", "gizlilik", "kişisel veri",
                 "プライバシー", "個人情報", "隐私", "隱私", "개인정보", "données personnelles",
                 "protección de datos", "protezione dei dati")
POLICY_WORDS = ("policy", "notice", "statement", "erklärung", "hinweis", "politique", "política",
                "politica", "informativa", "aviso", "beleid", "verklaring", "политика", "polityka",
                "politikası", "方針", "政策", "声明", "방침", "policies")
HREF_WORDS = ("privacy", "datenschutz", "confidentialite", "privacidad", "privacidade", "privacy-policy",
              "privacybeleid", "konfidencialnost", "politika-konfidencialnosti", "prywatnosci",
              "gizlilik", "kojin", "yinsi", "privacy_policy", "privacypolicy", "data-protection")
NEGATIVE_WORDS = ("settings", "einstellungen", "preferences", "choices", "opt out", "opt-out",
                  "do not sell", "tag", "category", "blog")

PARKED_PATTERNS = ("this domain is for sale", "domain is for sale", "buy this domain",
                   "domain may be for sale", "this domain name is for sale", "domain parking",
                   "parked free", "parkingcrew", "sedoparking", "hugedomains.com",
                   "related searches", "sponsored listings", "this web page is parked",
                   "the owner of this domain")
SOFT404_PATTERNS = ("page not found", "404 not found", "error 404", "not be found",
                    "page you are looking for", "page you requested", "nothing was found",
                    "seite nicht gefunden", "page introuvable", "página no encontrada")


@dataclass(frozen=True)
class LinkCandidate:
    text: str
    href: str
    score: float
    why: str


def normalize_link_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[\s\u00a0]+", " ", text)
    return text.strip(" \t|·•-–—:>»/\\[](){}.,")


def _in_footer(a: lxml.html.HtmlElement) -> bool:
    for el in a.iterancestors():
        if el.tag == "footer":
            return True
        marks = f"{el.get('id', '')} {el.get('class', '')}".lower()
        if "footer" in marks or "bottom" in marks:
            return True
    return False


def is_archive_link(href: str, archive_hosts: tuple[str, ...] = ()) -> bool:
    parts = urlsplit(href)
    host = (parts.hostname or "").lower()
    return (host.endswith("archive.org") or host in archive_hosts
            or bool(re.match(r"^/(web/)?\d{4,14}[a-z_]*/", parts.path)))


def score_link(text: str, href: str, footer: bool, late: bool) -> tuple[float, str]:
    t = normalize_link_text(text)
    h = href.lower()
    score, why = 0.0, []
    if t in EXACT_TEXTS:
        score += 10
        why.append("exact text")
    elif any(w in t for w in PRIVACY_WORDS):
        score += 6
        why.append("privacy word")
        if any(w in t for w in POLICY_WORDS):
            score += 2
            why.append("policy word")
    if any(w in h for w in HREF_WORDS):
        score += 3
        why.append("href")
    if score and any(w in t for w in NEGATIVE_WORDS):
        score -= 5
        why.append("settings/blog text")
    if score and len(t) > 60:
        score -= 3
        why.append("long text")
    if score and (footer or late):
        score += 1
        why.append("footer")
    return score, "+".join(why)


def find_policy_links(html: str, base_url: str, archive_hosts: tuple[str, ...] = ()) -> list[LinkCandidate]:
    """Candidate policy links of a homepage, best first (only those scoring above zero)."""
    try:
        doc = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return []
    links = doc.xpath("//a[@href]")
    out: dict[str, LinkCandidate] = {}
    for i, a in enumerate(links):
        raw = (a.get("href") or "").strip()
        if not raw or raw.startswith("#") or re.match(r"^(javascript|mailto|tel|data):", raw, re.I):
            continue
        href = urljoin(base_url, raw)
        if urlsplit(href).scheme not in ("http", "https") or is_archive_link(href, archive_hosts):
            continue
        text = a.text_content() or a.get("title") or ""
        score, why = score_link(text, href, _in_footer(a), i >= len(links) * 0.75)
        href = href.split("#", 1)[0]
        if score > 0 and (href not in out or out[href].score < score):
            out[href] = LinkCandidate(normalize_link_text(text)[:200], href, score, why)
    return sorted(out.values(), key=lambda c: (-c.score, len(c.href)))


def page_text(html: str) -> str:
    try:
        doc = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return ""
    for bad in doc.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    return re.sub(r"\s+", " ", doc.text_content()).strip()


def is_parked(text: str) -> bool:
    t = text.lower()
    return sum(p in t for p in PARKED_PATTERNS) >= 1 and len(t.split()) < 600


def is_soft_404(text: str, title: str = "") -> bool:
    t = f"{title} {text}".lower()
    return any(p in t for p in SOFT404_PATTERNS) and len(text.split()) < 300
