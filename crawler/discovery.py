"""Finding a site's privacy policy link on its archived homepage, in many languages.

Scoring of each link of a homepage (``<a>``, image maps' ``<area>``, ``rel="privacy-policy"``):
an exact policy link text (``privacy policy``, ``Datenschutzerklärung``, ``politique de
confidentialité``, ``プライバシーポリシー``, ...) scores highest; a text containing a privacy word
next; words in the href add to it; links in the footer (``<footer>``, or an element whose id/class
says footer, or the last quarter of the page's links) add a little. An image button counts by its
alt text, a pop-up script link as the page it opens; ``mailto:`` links, fragments and links into
the archive's own pages are never candidates. Among links of equal score the site's own (its
registrable domain, by the public suffix list) comes first; a link to a platform's own policy
that pages embed (reCAPTCHA's "Google Privacy Policy", social buttons) loses points on another
company's site. Parked-domain and soft-404 pages are recognised by their wording.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html
import tldextract

from pipelines.captures import TextEnum


class Found(TextEnum):
    """A site-interval row's status in discovered.csv."""

    NONE = "none"  # no policy link found (yet)
    FOUND = "found"
    REJECTED = "rejected"  # a candidate was there, but not a policy (the reason says why)


# Link texts that name a privacy policy, by language (the EU's 24 languages, Norwegian,
# Russian, Turkish, Ukrainian, Arabic, Hebrew, Persian, Hindi, Indonesian, Malay, Vietnamese, Thai,
# Japanese, Chinese and Korean). Compared after normalize_link_text (lower case, no accents).
PRIVACY_PHRASES = {
    "en": ["privacy policy", "privacy", "privacy statement", "privacy notice", "privacy & cookies",
           "privacy and cookies", "privacy and cookie policy", "privacy & cookie policy",
           "privacy center", "privacy centre", "data privacy", "data protection", "your privacy",
           "privacy policy & cookies", "online privacy policy", "website privacy policy",
           "data policy", "privacy & terms", "privacy and terms", "privacy information",
           "data protection policy", "data protection notice", "privacy & security"],
    "de": ["datenschutz", "datenschutzerklarung", "datenschutzhinweise", "datenschutzrichtlinie",
           "datenschutzbestimmungen", "datenschutzinformationen", "privatsphare", "datenrichtlinie"],
    "fr": ["confidentialite", "politique de confidentialite", "vie privee", "donnees personnelles",
           "protection des donnees", "politique de protection des donnees",
           "protection des donnees personnelles", "charte de confidentialite", "politique d'utilisation des donnees"],
    "es": ["privacidad", "politica de privacidad", "aviso de privacidad", "proteccion de datos",
           "politica de proteccion de datos", "aviso legal y privacidad", "politica de datos"],
    "it": ["informativa privacy", "informativa sulla privacy", "politica sulla privacy",
           "tutela della privacy", "privacy policy e cookie", "protezione dei dati", "riservatezza",
           "informativa sul trattamento dei dati personali"],
    "pt": ["politica de privacidade", "privacidade", "aviso de privacidade", "protecao de dados",
           "politica de protecao de dados"],
    "nl": ["privacybeleid", "privacyverklaring", "privacyreglement", "privacy statement en cookies",
           "gegevensbescherming"],
    "pl": ["polityka prywatnosci", "prywatnosc", "ochrona danych osobowych", "ochrona prywatnosci", "rodo"],
    "cs": ["ochrana osobnich udaju", "zasady ochrany osobnich udaju", "ochrana soukromi",
           "zpracovani osobnich udaju", "gdpr"],
    "sk": ["ochrana osobnych udajov", "zasady ochrany osobnych udajov", "ochrana sukromia"],
    "sl": ["politika zasebnosti", "zasebnost", "varstvo osebnih podatkov", "varovanje zasebnosti"],
    "hr": ["politika privatnosti", "privatnost", "zastita osobnih podataka", "izjava o privatnosti"],
    "bg": ["политика за поверителност", "поверителност", "защита на личните данни", "лични данни"],
    "ro": ["politica de confidentialitate", "confidentialitate", "protectia datelor",
           "politica de protectie a datelor", "protectia datelor cu caracter personal"],
    "hu": ["adatvedelem", "adatvedelmi tajekoztato", "adatkezelesi tajekoztato", "adatvedelmi nyilatkozat",
           "adatkezeles", "adatvedelmi iranyelvek"],
    "el": ["πολιτικη απορρητου", "απορρητο", "προσωπικα δεδομενα", "προστασια προσωπικων δεδομενων",
           "πολιτικη προστασιας δεδομενων"],
    "da": ["privatlivspolitik", "persondatapolitik", "privatliv", "databeskyttelse", "cookie- og privatlivspolitik"],
    "sv": ["integritetspolicy", "integritet", "personuppgifter", "personuppgiftspolicy", "dataskydd",
           "behandling av personuppgifter"],
    "no": ["personvern", "personvernerklaring", "personvernerklæring", "personvernpolicy"],
    "fi": ["tietosuoja", "tietosuojaseloste", "tietosuojakaytanto", "yksityisyydensuoja",
           "tietosuojailmoitus", "yksityisyys"],
    "et": ["privaatsuspoliitika", "privaatsus", "andmekaitse", "isikuandmete tootlemine", "andmekaitsetingimused"],
    "lv": ["privatuma politika", "privatums", "personas datu aizsardziba", "datu aizsardziba"],
    "lt": ["privatumo politika", "privatumas", "asmens duomenu apsauga", "privatumo pranesimas"],
    "mt": ["politika tal-privatezza", "privatezza", "protezzjoni tad-data"],
    "ga": ["polasai priobhaideachais", "priobhaideachas", "cosaint sonrai"],
    "ru": ["политика конфиденциальности", "конфиденциальность", "политика конфиденциальности и cookie",
           "политика обработки персональных данных", "персональные данные", "обработка персональных данных",
           "защита персональных данных"],
    "uk": ["политика конфіденційності", "політика конфіденційності", "конфіденційність",
           "захист персональних даних", "персональні дані", "політика обробки персональних даних"],
    "tr": ["gizlilik politikasi", "gizlilik", "gizlilik sozlesmesi", "kisisel verilerin korunmasi",
           "kvkk", "gizlilik ve cerez politikasi", "kvkk aydinlatma metni"],
    "ar": ["سياسة الخصوصية", "الخصوصية", "سياسة الخصوصيه", "حماية البيانات"],
    "he": ["מדיניות פרטיות", "פרטיות", "מדיניות הפרטיות"],
    "fa": ["حریم خصوصی", "سیاست حفظ حریم خصوصی", "حفظ حریم خصوصی", "سیاست حریم خصوصی"],
    "hi": ["गोपनीयता नीति", "गोपनीयता", "निजता नीति", "निजता"],
    "id": ["kebijakan privasi", "privasi", "pemberitahuan privasi"],
    "ms": ["dasar privasi", "notis privasi"],
    "vi": ["chinh sach bao mat", "chinh sach quyen rieng tu", "quyen rieng tu", "bao mat thong tin"],
    "th": ["นโยบายความเป็นส่วนตัว", "ความเป็นส่วนตัว", "นโยบายคุ้มครองข้อมูลส่วนบุคคล"],
    "ja": ["プライバシーポリシー", "個人情報保護方針", "プライバシー", "個人情報の取り扱い", "個人情報保護",
           "個人情報の取扱い", "個人情報について"],
    "zh": ["隐私政策", "隐私", "隐私声明", "隱私權政策", "隱私政策", "隐私条款", "隱私權", "个人信息保护政策",
           "隐私保护", "隱私權聲明", "個人資料保護"],
    "ko": ["개인정보처리방침", "개인정보 처리방침", "개인정보취급방침", "개인정보 보호정책", "개인정보보호정책"],
}
# Words that make a link text about privacy (found inside longer texts).
PRIVACY_WORDS = ("privacy", "datenschutz", "privatsphare", "confidentialit", "vie privee",
                 "privacidad", "privacidade", "privacybeleid", "privacyverklaring", "privatezza",
                 "конфиденциальн", "персональн", "prywatno", "gizlilik", "kisisel veri",
                 "プライバシー", "個人情報", "隐私", "隱私", "개인정보", "donnees personnelles",
                 "proteccion de datos", "protezione dei dati", "protecao de dados",
                 "osobnich udaju", "osobnych udajov", "soukromi", "zasebnost", "privatnost",
                 "поверителност", "confidentialitate", "adatvedelm", "adatkezel", "απορρητ",
                 "privatliv", "persondata", "integritet", "personuppgift", "personvern",
                 "tietosuoja", "yksityisyy", "privaatsus", "andmekaitse", "privatum",
                 "priobhaideach", "конфіденційн", "персональних даних", "الخصوصية", "פרטיות",
                 "حریم خصوصی", "गोपनीयता", "निजता", "privasi", "quyen rieng tu", "bao mat",
                 "ความเป็นส่วนตัว", "ข้อมูลส่วนบุคคล", "個人資料", "个人信息", "data protection",
                 "gegevensbescherming", "dataskydd", "databeskyttelse", "ochrana danych",
                 "kvkk", "gdpr", "rgpd", "dsgvo")
POLICY_WORDS = ("policy", "notice", "statement", "erklarung", "hinweis", "politique", "politica",
                "informativa", "aviso", "beleid", "verklaring", "политика", "polityka",
                "politikasi", "方針", "政策", "声明", "방침", "policies", "zasady", "seloste",
                "tajekoztato", "politik", "policy", "kebijakan", "chinh sach", "นโยบาย", "نیاست",
                "سياسة", "מדיניות", "नीति", "poliitika", "politika", "nyilatkozat")
# A cookie policy is a policy, but not the privacy policy: chosen only when there is no privacy link.
COOKIE_WORDS = ("cookie", "cookies", "kakor", "evaste", "sutik", "ciasteczk", "cerez", "куки",
                "クッキー", "쿠키", "traceurs")
# Settings pages, opt-outs, and pages that merely mention privacy.
NEGATIVE_WORDS = ("settings", "einstellungen", "preferences", "choices", "opt out", "opt-out",
                  "do not sell", "manage", "parametres", "gerer", "configuracion", "ajustes",
                  "impostazioni", "instellingen", "ustawienia", "настройки", "tag", "category",
                  "blog", "your privacy choices", "ad choices", "adchoices", "request", "antrag",
                  "dashboard", "center for", "faq", "help")
HREF_WORDS = ("privacy", "datenschutz", "confidentialite", "privacidad", "privacidade",
              "privacybeleid", "konfidencialnost", "konfidentsialnost", "politika-konfidencialnosti",
              "prywatnosc", "prywatnosci", "gizlilik", "kojin", "yinsi", "privacy_policy", "privacypolicy",
              "data-protection", "dataprotection", "ochrana-osobnich-udaju", "osobnich-udaju",
              "ochrana-osobnych-udajov", "tietosuoja", "adatvedelem", "adatvedelmi", "personvern",
              "privatliv", "integritet", "privatumo", "privatuma", "privaatsus", "zasebnost",
              "privatnost", "poveritelnost", "confidentialitate", "kebijakan-privasi", "privasi",
              "chinh-sach-bao-mat", "gdpr", "rgpd", "dsgvo", "kvkk", "personal-data", "datenrichtlinie")
# Hrefs of pages that list posts, never a policy (tag, category, search pages), and of pages
# that discuss rather than state one (blog and news posts, dated paths).
HREF_LISTING = re.compile(r"/(tags?|category|categories|kategorie|categorie|categoria|topics?|"
                          r"label|labels|search|suche|recherche|author|autor)(/|$|\?|\.)|"
                          r"[?&](s|q|search|tag|cat)=", re.I)
HREF_ARTICLE = re.compile(r"/(blog|news|nachrichten|actualites|noticias|article|artikel|"
                          r"forum|threads?|wiki|story|stories)(/|$)|/\d{4}/\d{1,2}/", re.I)
MIN_SCORE = 5  # below this a link is not a candidate: "nothing" beats a wrong guess



def fold(text: str) -> str:
    """Lower case, no accents or other combining marks, single spaces: link texts and the
    lexicon are compared in this form (``Datenschutzerklärung`` = ``datenschutzerklarung``)."""
    text = unicodedata.normalize("NFKD", text.lower())
    # combining marks, and format characters such as soft hyphens ('da\u00adten\u00adschutz')
    text = "".join(c for c in text if unicodedata.category(c) not in ("Mn", "Cf"))
    return re.sub(r"[\s\u00a0]+", " ", unicodedata.normalize("NFC", text))


EXACT_TEXTS = {fold(t) for phrases in PRIVACY_PHRASES.values() for t in phrases}
_PRIVACY = tuple(fold(w) for w in PRIVACY_WORDS)
_POLICY = tuple(fold(w) for w in POLICY_WORDS)
_COOKIE = tuple(fold(w) for w in COOKIE_WORDS)
_NEGATIVE = re.compile(r"(?<!\w)(" + "|".join(re.escape(fold(w)) for w in NEGATIVE_WORDS) + r")(?!\w)")

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


_REPLAY_LINK = re.compile(r"^(?:/web)?/\d{4,14}[a-z_]*/(https?:/?/.+)$")


# The public suffix list as tldextract ships it: no download, no cache written.
_SUFFIXES = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())


def site_domain(url: str) -> str:
    """The registrable domain a URL belongs to (``www.bbc.co.uk`` -> ``bbc.co.uk``); the host
    itself for IP addresses and names under no public suffix (``localhost``, ``x.test``)."""
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:  # a malformed URL ('http://[ccpa-preferences]/')
        return ""
    parts = _SUFFIXES(host)
    found = getattr(parts, "top_domain_under_public_suffix", None)
    if found is None:  # tldextract before 5.3
        found = parts.registered_domain
    return found or host.removeprefix("www.")


# The platforms' own policies that other sites' pages link to from embedded notices and widgets
# ("protected by reCAPTCHA and the Google Privacy Policy and Terms of Service apply", share and
# login buttons, video embeds): on another company's site such a link is not the site's policy.
_PLATFORM_POLICY = re.compile(
    r"^https?://(?:(?:policies|www)\.google\.[a-z.]+/(?:intl/[^/]+/)?(?:privacy|policies)|"
    r"(?:www\.|m\.)?facebook\.com/(?:privacy|policy|policies|about/privacy)|"
    r"(?:www\.)?(?:twitter|x)\.com/(?:[a-z-]+/)?privacy|(?:www\.)?youtube\.com/(?:t/|static\?.*)privacy|"
    r"(?:www\.)?linkedin\.com/legal/privacy|(?:www\.)?pinterest\.com/_/_/policy/privacy|"
    # comment and form notices: Akismet's "Learn how your comment data is processed" (under
    # WordPress comment forms), hCaptcha's "its Privacy Policy and Terms of Service apply"
    r"(?:www\.)?akismet\.com/privacy|(?:www\.)?hcaptcha\.com/privacy)", re.I)
_PLATFORM_DOMAINS = {"google": "google", "facebook": "facebook", "twitter": "twitter", "x": "twitter",
                     "youtube": "google", "linkedin": "linkedin", "pinterest": "pinterest",
                     "akismet": "automattic", "hcaptcha": "hcaptcha"}


def _platform_owner(domain: str) -> str:
    return _PLATFORM_DOMAINS.get(domain.split(".", 1)[0], domain)


def is_platform_policy(href: str, page_domain: str) -> bool:
    """A platform's own privacy policy linked from a page of another company's site."""
    if not _PLATFORM_POLICY.match(href):
        return False
    return _platform_owner(site_domain(href)) != _platform_owner(page_domain)


def _replayed_original(url: str) -> str | None:
    """The original URL of an archive's replay URL (``/web/2016.../http://x/``), else None."""
    parts = urlsplit(url)
    m = _REPLAY_LINK.match(parts.path + ("?" + parts.query if parts.query else ""))
    if not m:
        return None
    return m.group(1) if "://" in m.group(1) else m.group(1).replace(":/", "://", 1)


def is_archive_link(href: str, archive_hosts: tuple[str, ...] = ()) -> bool:
    parts = urlsplit(href)
    host = (parts.hostname or "").lower()
    return (host.endswith("archive.org") or host in archive_hosts
            or bool(re.match(r"^/(web/)?\d{4,14}[a-z_]*/", parts.path)))


_SLUG_WORDS = re.compile(r"[^\W_]+")
_POLICY_SLUG = {"policy", "notice", "statement", "html", "htm", "php", "aspx", "jsp", "en", "us"}


def _named_policy(path: str) -> bool:
    """The last path segment names a privacy page ('privacy-policy.html', 'datenschutz',
    'privacy-notice-2018'), not a post whose slug holds the word among others
    ('gdpr-privacy-update', 'why-privacy-matters')."""
    last = unquote(path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]).lower()
    if not any(w in last for w in HREF_WORDS):
        return False
    other = [w for w in _SLUG_WORDS.findall(last)
             if w not in _POLICY_SLUG and not any(h in w for h in HREF_WORDS) and not w.isdigit()]
    return not other


# A page behind a strong privacy link whose own title names privacy is the policy even when the
# classifier guesses another kind, down to this probability (a 2018 policy read as terms: 0.37).
LINKED_THRESHOLD = 0.2
STRONG_LINK = 13  # exact privacy text (or privacy and policy words) with a privacy href


def accept_policy(probability: float, threshold: float, link: LinkCandidate | None,
                  title: str, markdown: str) -> tuple[bool, str]:
    """Whether a fetched policy page is the site's privacy policy, and a note when that was not
    the classifier's word alone: a page is never dropped for a wrong guess of its kind when the
    homepage's link and the page's own title (or first heading) both name the privacy policy."""
    if probability >= threshold:
        return True, ""
    if link is None or link.score < STRONG_LINK or probability < LINKED_THRESHOLD:
        return False, ""
    heading = next((line.lstrip("# ").strip() for line in markdown.splitlines()
                    if line.startswith("#")), "")
    named = [fold(t) for t in (title, heading) if t]
    if any(any(w in t for w in _PRIVACY) and not _NEGATIVE.search(t) for t in named):
        return True, (f"the link and the page's title name the privacy policy (classifier alone: "
                      f"p {probability:.2f})")
    return False, ""


def score_link(text: str, href: str, footer: bool, late: bool,
               page_domain: str = "") -> tuple[float, str]:
    """A link's score as the privacy policy link, and why. Privacy texts over cookie-policy
    texts over settings and opt-out pages; tag, category and search pages are never candidates,
    blog and news posts lose points; the href counts (words in it, or a listing page)."""
    t = fold(normalize_link_text(text))
    h = unquote(href).lower()
    path = urlsplit(href).path + ("?" + urlsplit(href).query if urlsplit(href).query else "")
    score, why = 0.0, []
    if t in EXACT_TEXTS:
        score += 10
        why.append("exact text")
        if any(w in t for w in _POLICY):  # "Privacy Policy" over a hub's "Privacy" or "Privacy Center"
            score += 1
            why.append("policy word")
    elif any(w in t for w in _PRIVACY):
        score += 6
        why.append("privacy word")
        if any(w in t for w in _POLICY):
            score += 2
            why.append("policy word")
    elif any(w in t for w in _COOKIE):
        score += 5 + any(w in t for w in _POLICY)
        why.append("cookie policy")
    if any(w in h for w in HREF_WORDS):
        # a text that names nothing ("Legal" -> /legal/privacy-policy.html): the page its address
        # names is the policy (above a cookie policy's link, below any privacy text)
        named_only = not score and _named_policy(path)
        score += 7 if named_only else 3
        why.append("href names a privacy page" if named_only else "href")
    if not score:
        return 0.0, ""
    if _NEGATIVE.search(t):
        score -= 5
        why.append("settings/opt-out text")
    if HREF_LISTING.search(path):
        score -= 12
        why.append("listing page (tag/category/search)")
    elif HREF_ARTICLE.search(path) and not _named_policy(path):
        score -= 6  # a post under /blog/ or /2019/05/, unless the page itself is named privacy
        why.append("blog/news page")
    if len(t) > 60:
        score -= 3
        why.append("long text")
    if page_domain and is_platform_policy(href, page_domain):
        score -= 4
        why.append("a platform's policy (embedded notice)")
    if footer or late:
        score += 1
        why.append("footer")
    return score, "+".join(why)


# A page address inside a script link ("javascript:popUp('privacy.html')", an onclick's
# window.open('/legal/privacy.htm', ...)): 2000-era homepages opened their policy in a pop-up.
_SCRIPT_TARGET = re.compile(
    r"""['"]((?:https?://|/)[^'"\s]+|[\w./~-]+\.(?:s?html?|php\d?|aspx?|jsp|cfm|pdf)(?:\?[^'"\s]*)?)['"]""",
    re.I)


def _link_target(a) -> str | None:
    """The address a link leads to: its href, or the page a script link opens; None for links
    that lead nowhere (fragments, mailto:, tel:, data:, scripts naming no page)."""
    raw = (a.get("href") or "").strip()
    if raw and not raw.startswith("#") and not re.match(r"^(javascript|mailto|tel|data):", raw, re.I):
        return raw
    if raw.startswith(("mailto:", "tel:", "data:")):
        return None
    script = raw[len("javascript:"):] if raw.lower().startswith("javascript:") else ""
    m = _SCRIPT_TARGET.search(f"{script} {a.get('onclick') or ''}")
    return m.group(1) if m else None


def _link_text(a) -> str:
    """What a link says: its text, else its images' alt texts (image buttons, image maps), else
    its title."""
    text = _spaced_text(a) if a.tag == "a" else ""
    if not text.strip():
        text = " ".join(img.get("alt") or "" for img in a.iter("img")) if a.tag == "a" else ""
    if not text.strip():
        text = a.get("alt") or a.get("title") or ""
    return text


def _spaced_text(a) -> str:
    """text_content(), with a line break as a space ("Privacy<br>Policy" is two words)."""
    parts = []
    for el in a.iter():
        if el is not a and el.tag == "br":
            parts.append(" ")
        elif el.text and isinstance(el.tag, str):
            parts.append(el.text)
        if el is not a and el.tail:
            parts.append(el.tail)
    return "".join(parts)


def _privacy_rel(a) -> bool:
    return "privacy-policy" in (a.get("rel") or "").lower().split()


def _page_links(html: str, base_url: str, archive_hosts: tuple[str, ...] = ()):
    """(link elements, their resolved http(s) targets, the page's registrable domain) of a page:
    archive-rewritten links as their original URL, the archive's own pages and links that lead
    nowhere left out (their place in the list kept as None)."""
    from pipelines.extract import strip_xml_declaration

    try:
        doc = lxml.html.document_fromstring(strip_xml_declaration(html))
    except (lxml.etree.ParserError, ValueError):
        return [], [], ""
    links = doc.xpath("//a[@href or @onclick]|//area[@href]|//link[@href][contains(@rel, 'privacy-policy')]")
    page_domain = site_domain(_replayed_original(base_url) or base_url)  # a saved replay page's own
    declared = next((b.get("href", "").strip() for b in doc.iter("base") if b.get("href")), "")
    if declared:  # <base href>: what relative links resolve against (2000-era pages set it often)
        try:
            joined = urljoin(base_url, declared)
        except ValueError:
            joined = ""
        if urlsplit(joined).scheme in ("http", "https"):
            base_url = joined
    targets: list[str | None] = []
    for a in links:
        raw, href = _link_target(a), None
        if raw is not None:
            try:
                href = urljoin(base_url, raw)
                if is_archive_link(href, archive_hosts):
                    # a replayed page's link rewritten by the archive: the original URL counts;
                    # the archive's own pages never do
                    href = _replayed_original(href)
                if href is not None and (urlsplit(href).scheme not in ("http", "https")
                                         or is_archive_link(href, archive_hosts)):
                    href = None
            except ValueError:  # a malformed href ('http://[ccpa-preferences]/'): no target
                href = None
        targets.append(href)
    return links, targets, page_domain


def find_policy_links(html: str, base_url: str, archive_hosts: tuple[str, ...] = ()) -> list[LinkCandidate]:
    """Candidate policy links of a homepage, best first (only those scoring MIN_SCORE or more)."""
    links, targets, page_domain = _page_links(html, base_url, archive_hosts)
    out: dict[str, LinkCandidate] = {}
    for i, (a, href) in enumerate(zip(links, targets)):
        if href is None:
            continue
        text = _link_text(a)
        score, why = score_link(text, href, _in_footer(a), i >= len(links) * 0.75, page_domain)
        if _privacy_rel(a):  # rel="privacy-policy" (a registered link relation; WordPress writes it)
            score, why = max(score, 8.0) + 3, "+".join(filter(None, (why, "rel=privacy-policy")))
        href = href.split("#", 1)[0]
        if score >= MIN_SCORE and (href not in out or out[href].score < score):
            out[href] = LinkCandidate(normalize_link_text(text)[:200], href, score, why)
    # equal scores: the site's own page first, then the shorter URL
    return sorted(out.values(), key=lambda c: (-c.score, site_domain(c.href) != page_domain,
                                               len(c.href)))


# Links to a page of legal documents (a hub), which links the policy when the homepage does not.
HUB_TEXTS = {fold(t) for t in (
    "legal", "legal information", "legal info", "legal center", "legal centre", "legal hub",
    "legal documents", "legal terms", "legal stuff", "policies", "our policies", "site policies",
    "terms & policies", "terms and policies", "policies & terms", "policies and terms",
    "terms & conditions", "terms and conditions", "rechtliches", "rechtliche hinweise",
    "informations legales", "informations juridiques", "juridique", "legales", "aviso legal",
    "informacion legal", "note legali", "informazioni legali", "juridisch", "juridische informatie")}


def find_hub_link(html: str, base_url: str, archive_hosts: tuple[str, ...] = ()) -> str | None:
    """The page's link to its own site's legal hub ("Legal", "Policies", "Rechtliches"), a
    footer link first; None when it has none."""
    links, targets, page_domain = _page_links(html, base_url, archive_hosts)
    found = [(not _in_footer(a), i, href) for i, (a, href) in enumerate(zip(links, targets))
             if href and fold(normalize_link_text(_link_text(a))) in HUB_TEXTS
             and site_domain(href) == page_domain]
    return min(found)[2].split("#", 1)[0] if found else None


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
