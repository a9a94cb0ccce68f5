"""HTML -> seed-format markdown.

The reference corpus (Princeton-Leuven) was made by a Readability main-content cut followed by
html2text. We do the same with readability-lxml and html2text, and fall back to trafilatura when
Readability finds nothing usable (pages with no content container, odd markup). bench/extraction.py
measures the result against ../shared/corpus/citp-dev.

The page is parsed once: Readability scores a copy of that tree (its own parse step is done on
the copy, nothing is serialised and parsed again), the coverage container is read from it, the
two candidates are compared by the words they will render, and only the one chosen goes through
html2text, which is fed the tree's events directly instead of tokenising serialised HTML.
"""

from __future__ import annotations

import copy
import functools
import html as htmlmod
import itertools
import logging
import re

import html2text
import lxml.html
from lxml import etree
from readability import Document
from readability.cleaners import html_cleaner
from urllib.parse import urljoin, urlsplit
from readability.readability import REGEXES, text_length

from pipelines.extract import fastclean
from pipelines.extract.decode import decode_cloudflare_emails, decode_html
from pipelines.extract.language import guess_language, word_count as _word_count
from pipelines.extract.pdf import extract_pdf
from pipelines.items import ExtractedText
from pipelines.payloads import HTML_MIMES, PDF_MIMES
from pipelines.seedformat import text_hash

logger = logging.getLogger(__name__)
EXTRACTOR_VERSION = "readability+html2text/4"
WIDE_RATIO = 1.1  # the coverage container replaces Readability's cut when it holds this much more
fastclean.install()  # readability's text measure and html2text's escaping: same answers, cheaper




# (no re.I: a case-insensitive pattern has no fast scan for its first character; 18x slower)
_DOUBLE_BR = re.compile(r"<[bB][rR]\s*/?>\s*(?:<[bB][rR]\s*/?>\s*)+")


_VOID = frozenset("area base basefont br col embed frame hr img input isindex keygen link meta param "
                  "source track wbr".split())
_ESCAPED = re.compile(r"([&<>])")


_PLAIN_URL = re.compile(r"[A-Za-z0-9\-_.!~*'()/:?=&#%;,+@$]*")
_SERIALISED_HREF = re.compile(r'href="([^"]*)"')


@functools.lru_cache(maxsize=4096)
def _serialised_href(href: str) -> str:
    """A link target as libxml2's HTML serialiser writes it (leading blanks dropped, spaces and
    non-ASCII characters percent-encoded): what html2text was given when it read serialised HTML."""
    out = lxml.html.tostring(lxml.html.Element("a", href=href), encoding="unicode")
    found = _SERIALISED_HREF.search(out)
    return htmlmod.unescape(found.group(1)) if found else href


class _TreeToMarkdown(html2text.HTML2Text):
    """html2text fed from an lxml tree: the events its HTMLParser would send on the tree's
    serialisation (the characters the serialiser escapes arrive as entities do), without
    serialising the tree and tokenising it again."""

    def __init__(self, baseurl: str) -> None:
        super().__init__(baseurl=baseurl)
        self.body_width = 0
        self.unicode_snob = True
        self.images_to_alt = False
        self.ignore_images = True

    def _text(self, text: str | None) -> None:
        if not text:
            return
        if "&" in text or "<" in text or ">" in text:
            for i, part in enumerate(_ESCAPED.split(text)):
                if part:
                    self.handle_data(part, bool(i % 2))
        else:
            self.handle_data(text)

    def handle_tree(self, root) -> str:
        self.start = True
        stack = [(root, False)]
        while stack:
            el, closing = stack.pop()
            if closing:
                if el.tag not in _VOID:
                    self.handle_endtag(el.tag)
                if el is not root:
                    self._text(el.tail)
            elif not isinstance(el.tag, str):  # a comment or processing instruction: its tail only
                self._text(el.tail)
            else:
                attrs = dict(el.attrib)
                href = attrs.get("href")
                if href and not _PLAIN_URL.fullmatch(href):
                    attrs["href"] = _serialised_href(href)
                self.handle_tag(el.tag, attrs, start=True)
                self._text(el.text)
                stack.append((el, True))
                stack.extend((child, False) for child in reversed(el))
        return self.optwrap(self.finish())


def _page_title(doc: lxml.html.HtmlElement) -> str:
    title = doc.findtext(".//title") or ""
    if not title.strip():
        h1 = doc.find(".//h1")
        title = h1.text_content() if h1 is not None else ""
    return re.sub(r"\s+", " ", title).strip()


def _clean_markdown(md: str) -> str:
    lines = md.replace("\r\n", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    out = "\n".join(lines)
    return re.sub(r"\n{4,}", "\n\n\n", out)


def _similar(heading: str, title: str) -> bool:
    a = re.sub(r"\W+", " ", heading).strip().lower()
    b = re.sub(r"\W+", " ", title).strip().lower()
    return bool(a) and (a in b or b in a)


def _drop_title_headings(root, title: str) -> None:
    """As Readability.js did when the reference corpus was made: drop the article's <h1> (the
    title is printed separately) and a lone <h2> that repeats the title."""
    h1s = root.findall(".//h1")
    # The article's title heading goes (it is printed as '# title'). Several <h1>s are the
    # document's own structure ("Article 1", "Article 2"): they stay, as does an <h1> that says
    # something the title does not.
    if not title:
        drop = h1s if len(h1s) == 1 else []
    else:
        drop = [h for h in h1s if _similar(h.text_content(), title)]
    for h1 in drop:
        h1.drop_tree()
    h2s = root.findall(".//h2")
    if len(h2s) == 1 and title:
        h2 = h2s[0].text_content().strip()
        if h2 and abs(len(h2) - len(title)) / len(title) < 0.5 and (h2 in title or title in h2):
            h2s[0].drop_tree()


_LAYOUT_CELL_WORDS = 250
_CELL_BLOCKS = ("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "dd", "dt", "blockquote")


def _separate_cell_blocks(root) -> None:
    """Paragraphs inside a data table's cell are run together by html2text ("Account DataProfile
    Data"); a line break between them keeps each its own words, as the page shows them. A layout
    table's cell (a whole page section: more than ``_LAYOUT_CELL_WORDS`` words) is rendered as
    the reference corpus renders it."""
    for cell in root.iter("td", "th"):
        if _word_count(cell.text_content()) > _LAYOUT_CELL_WORDS:
            continue
        leaves = [el for el in cell.iterdescendants(*_CELL_BLOCKS)
                  if next(el.iterdescendants(*_CELL_BLOCKS), None) is None
                  and el.text_content().strip()]  # an empty <p></p> separates nothing
        for i, el in enumerate(leaves):
            if i or (cell.text or "").strip():
                el.addprevious(lxml.html.Element("br"))
            if (el.tail or "").strip():
                br = lxml.html.Element("br")
                br.tail, el.tail = el.tail, None
                el.addnext(br)


def _prepare(root, title: str) -> None:
    """What every chosen part of the page goes through before html2text: the title heading
    dropped, a layout table's navigation and links with no text dropped, blocks inside table
    cells kept apart. ``root`` is a wrapper the caller owns."""
    _drop_title_headings(root, title)
    _drop_layout_navigation(root)
    _drop_empty_links(root)
    _separate_cell_blocks(root)


def _drop_empty_links(root) -> None:
    """Links with no text (image links, banners: images are not rendered) would be written as
    ``[](target)``: nothing a reader sees, only a URL."""
    for a in list(root.iter("a")):
        if a.get("href") is not None and not a.text_content().strip() and a.getparent() is not None:
            a.drop_tree()


def _is_layout_table(table, counts: dict) -> bool:
    """A table used to lay a page out (2000-era pages): a table inside one of its cells, or a
    cell holding a whole page section (``counts``: :func:`_link_counts` of the tree)."""
    for cell in table.iter("td", "th"):
        if counts[cell][0] > _LAYOUT_CELL_WORDS or cell.find(".//table") is not None:
            return True
    return False


def _is_data_table(table, counts: dict) -> bool:
    """A table of data (a cookie table, a table of recipients), not of layout or navigation:
    not a layout table, and most of its rows have two cells or more with text in them."""
    if _is_layout_table(table, counts):
        return False
    rows = [tr for tr in table.iter("tr")]
    wide = sum(1 for tr in rows
               if sum(1 for c in tr if c.tag in ("td", "th") and c.text_content().strip()) >= 2)
    return bool(rows) and wide * 2 >= len(rows)


def _data_table_parts(root, counts: dict) -> set:
    """The tables of data under ``root`` and their rows and cells: text, however many links."""
    return {el for t in root.iter("table") if _is_data_table(t, counts)
            for el in t.iter("table", "tr", "td", "th")}


def _drop_layout_navigation(root) -> None:
    """In a layout table, the cells, rows and tables that are navigation (link lists: two links
    or more, at least half their words link texts, or no words at all) go, as page chrome does
    in the coverage container. The cell holding most unlinked words (the page's text) and what
    holds it stay; a data table's cells (a cookie table's links) are never looked at."""
    if root.find(".//table") is None:
        return
    counts = _link_counts(root)
    layouts = [t for t in root.iter("table") if _is_layout_table(t, counts)]
    if not layouts:
        return
    kept: set = set()
    for table in layouts:
        main = max(table.iter("td", "th"), key=lambda c: counts[c][0] - counts[c][1])
        kept.add(main)
        kept.update(main.iterancestors())
    inside = ({el for t in layouts for el in t.iter("table", "tr", "td", "th")}
              - _data_table_parts(root, counts))
    for el in list(root.iter("table", "tr", "td", "th")):
        if el not in inside or el in kept or el.getparent() is None:
            continue
        words, linked, links = counts[el][:3]
        if links >= 2 and (not words or linked / words >= 0.5) and words < 400:
            el.drop_tree()


def _to_markdown(root, url: str) -> str:
    return _clean_markdown(_TreeToMarkdown(url).handle_tree(root))


def _render(root, title: str, url: str) -> str:
    """The one way a chosen part of the page becomes seed-format markdown."""
    _prepare(root, title)
    return _to_markdown(root, url)


def _wrapped(el):
    wrapper = lxml.html.Element("div")
    wrapper.append(el)
    return wrapper


_SELF_LINK_HEADING = re.compile(
    r"(?is)(<h[1-6]\b[^>]*>)(\s*)<a\b[^>]*\bhref=[\"']#[^\"']*[\"'][^>]*>(.*?)</a>")


class _Cut(str):
    """Readability's answer: its serialisation (whose length drives its retry) and the element."""
    element = None


class _TreeReadability(Document):
    """readability-lxml run on a copy of the page's tree instead of parsing the page again. What
    its own parse step does to the tree that can change the text is done here, and only that:
    hidden and display:none elements dropped, scripts, styles and comments removed, javascript:
    links emptied, link targets made absolute (a <base href> first). Its cut is handed back as an
    element, not as HTML to be parsed once more."""

    def _parse(self, input):
        doc = copy.deepcopy(input)
        for elem in doc.xpath("//*[@hidden]"):
            elem.drop_tree()
        # aria-hidden: what the coverage container leaves out too (a collapsed accordion
        # item's body is the policy and stays)
        for elem in doc.xpath("//*[@aria-hidden='true']"):
            if not _is_panel(elem.attrib) and elem.getparent() is not None:
                elem.drop_tree()
        for elem in doc.xpath("//*[@style]"):
            if REGEXES["displayNoneRe"].search(elem.get("style")):
                elem.drop_tree()
        lxml.etree.strip_elements(doc, "script", "style", "link", lxml.etree.Comment,
                                  lxml.etree.ProcessingInstruction, with_tail=False)
        # a section's own <header> (<section><header><h2>Title</h2></header>...) is its heading:
        # readability's cleaner drops a block that short, title and all; its content stays
        for elem in _SECTION_HEADERS(doc):
            elem.drop_tag()
        _absolute_links(doc, self.url)
        self._reference_links = {a for lst in _reference_lists(doc, self.url) for a in lst.iter("a")}
        self._cleaning = False  # set while readability's cleaner runs (sanitize)
        self._proxies = list(doc.iter())  # readability's many walks reuse them (extract_policy)
        return doc

    def sanitize(self, *args, **kwargs):
        self._cleaning = True
        try:
            return super().sanitize(*args, **kwargs)
        finally:
            self._cleaning = False

    def get_link_density(self, elem):
        """A list of other sites' pages (a policy's processors, each with its privacy policy
        and opt-out links) is text, not a link list its cleaner drops, and a list holding one
        is not a link list for it either. Only its cleaner reads them so: its pick is scored as
        before."""
        if not (self._reference_links and self._cleaning):
            return super().get_link_density(elem)
        linked = sum(text_length(a) for a in elem.iterdescendants("a") if a not in self._reference_links)
        return linked / max(text_length(elem), 1)

    def add_heading_preamble(self, candidates, best_elem, score_threshold):
        """Readability's own preamble (an <h2> just before its pick), and the policy's lead-in:
        the headings and the date line just before it ("Last updated: 1 May 2020" alone in the
        article's header), which its sibling rule drops (a short line with no full stop)."""
        super().add_heading_preamble(candidates, best_elem, score_threshold)
        for lead in _lead_in(best_elem):
            if lead not in candidates:
                candidates[lead] = {"content_score": score_threshold, "elem": lead}

    def get_clean_html(self):
        cut = _Cut(lxml.html.tostring(self.html, encoding="unicode"))
        cut.element = self.html
        return cut


def _absolute_links(doc, url: str) -> None:
    """<a href> made absolute as readability-lxml's parse makes them (its Cleaner's javascript:
    links emptied, a <base href> applied, targets that do not parse as URLs dropped)."""
    bases = [b.get("href") for b in doc.iter("base") if b.get("href")]
    for el in list(doc.iter("base")):
        el.drop_tree()
    for a in doc.iter("a"):
        href = a.get("href")
        if href is None:
            continue
        try:
            href = html_cleaner._remove_javascript_link(href.strip())
            if bases:
                href = urljoin(bases[-1], href)
            a.set("href", urljoin(url, href) if url else href)
        except ValueError:
            del a.attrib["href"]


def _site(host: str) -> str:
    host = host.lower().rsplit("@", 1)[-1].split(":", 1)[0]
    return host[4:] if host.startswith("www.") else host


def _site_of_link(href: str) -> str | None:
    """The site an absolute link (http, https or scheme-relative) points to; None for a relative
    link (the page's own site) and for other schemes (mailto:, tel:, javascript:)."""
    head = href[:8].lower()
    if head.startswith(("http://", "https://")):
        rest = href.split("//", 1)[1]
    elif head.startswith("//"):
        rest = href[2:]
    else:
        return None
    for stop in "/?#":
        rest = rest.split(stop, 1)[0]
    return _site(rest)


# What a policy's link to another site says: an address written out, or the other site's
# policy, its privacy or cookie page, its opt-out.
_REFERENCE_TEXT = re.compile(r"(?i)://|^\s*www\.|^\s*[\w-]+(\.[\w-]+)*\.[a-z]{2,}(/\S*)?\s*$|privacy|"
                             r"privacid|privé|confidentialit|datenschutz|polic|opt.?out|cookie")


def _reference_lists(root, url: str) -> set:
    """The lists (<ul>, <ol>) that refer to other sites item by item: at least two items, and
    two thirds of them with a link to another site whose text is an address or names a policy,
    privacy or an opt-out, or that the item says a few words of its own about (a privacy
    policy's processors, vendors and opt-out pages). A menu links to its own site; a list of
    sister sites or social icons says nothing of them: both stay link lists."""
    if not url:
        return set()
    own = _site(urlsplit(url).netloc)
    found = set()
    for lst in root.iter("ul", "ol"):
        items = [li for li in lst if li.tag == "li"]
        need = max(2, -(-2 * len(items) // 3))  # two thirds of the items, at least two
        if len(items) < need:
            continue
        referring = 0
        for seen, li in enumerate(items):
            if referring + len(items) - seen < need:
                break  # a menu: the items left cannot make two thirds
            anchors = list(li.iter("a"))
            if not any((site := _site_of_link((a.get("href") or "").strip())) and site != own
                       for a in anchors):
                continue
            texts = [a.text_content() for a in anchors]
            unlinked = _word_count(li.text_content()) - sum(map(_word_count, texts))
            if unlinked >= 2 or any(_REFERENCE_TEXT.search(t) for t in texts):
                referring += 1
        if referring >= need:
            found.add(lst)
    return found


# A date line: a year with a date's other parts or a word that says what the date is.
_YEAR = re.compile(r"\b(19|20)\d\d\b")
_DATE_WORDS = re.compile(
    r"(?i)updated|effective|revised|modified|amended|last changed|version|dated?\b|"
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|"
    r"\d{4}-\d\d-\d\d|stand\b|aktualisiert|gültig|g(ü|ue)ltig|mise à jour|en vigueur|actualiza|vigente|"
    r"vigor|aggiornat|in vigore|bijgewerkt|atualizad|zaktualizowan|obowiązuje|uppdaterad|opdateret|"
    r"oppdatert|päivitetty|(janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|"
    r"novembre|décembre|januar|februar|märz|juni|juli|oktober|dezember|enero|febrero|marzo|abril|"
    r"mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|gennaio|febbraio|aprile|"
    r"maggio|giugno|luglio|settembre|ottobre|dicembre|janeiro|fevereiro|março|maio|junho|julho|"
    r"setembro|outubro|novembro|dezembro|januari|februari|maart|mei|augustus)\b")
_LEAD_IN_MAX = 3
_DATE_LINE_WORDS = 30


def _lead_in(elem) -> list:
    """The elements just before ``elem`` (its earlier siblings, nearest first, up to three) that
    introduce it: headings (or a block holding only a heading) and short date lines without
    links. Elements with no text are passed over; anything else ends the lead-in."""
    leads: list = []
    sibling = elem.getprevious()
    while sibling is not None and len(leads) < _LEAD_IN_MAX:
        if not isinstance(sibling.tag, str):
            sibling = sibling.getprevious()
            continue
        text = sibling.text_content().strip()
        if not text:
            sibling = sibling.getprevious()
            continue
        heading = sibling.tag in _HEADINGS or any(
            h.text_content().strip() == text for h in sibling.iter(*_HEADINGS))
        dated = (not heading and _word_count(text) <= _DATE_LINE_WORDS and _YEAR.search(text)
                 and _DATE_WORDS.search(text) and sibling.find(".//a") is None and sibling.tag != "a")
        if not (heading or dated):
            break
        leads.append(sibling)
        sibling = sibling.getprevious()
    return leads


def _readability_cut(doc, url: str):
    """Readability's cut of the page, in a wrapper element to render; None when it fails."""
    try:
        summary = _TreeReadability(doc, url=url).summary(html_partial=True)
    except Exception as exc:  # readability raises bare Exceptions on odd pages
        logger.debug("readability failed on %s: %s", url, exc)
        return None
    finally:
        fastclean.forget()  # the page's cleaned texts: an idle worker holds none
    return _wrapped(summary.element)


def _trafilatura_body(doc, url: str, title: str = "") -> str:
    """trafilatura's selection (favor_recall), rendered by the same html2text path as the rest:
    one markdown style, and no sentence cut around an inline link (its own markdown output
    breaks '[About PDF page](u) to learn more' apart)."""
    import trafilatura

    out = trafilatura.extract(copy.deepcopy(doc), url=url, output_format="html", include_links=True,
                              include_formatting=True, include_tables=True, favor_recall=True)
    if not out:
        return ""
    lines = _render(lxml.html.fragment_fromstring(out, create_parent="div"), title, url).split("\n")
    if lines and lines[0].startswith("#") and _similar(lines[0].lstrip("# "), title):
        lines = lines[1:]  # the title is printed once, as '# title'
    return _clean_markdown("\n".join(lines))


# Content blocks, and what is never part of a policy (page chrome, forms, cookie dialogs).
_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "dd", "dt", "blockquote",
           "pre", "address", "figcaption", "caption"}
_CHROME_TAGS = {"nav", "header", "footer", "aside", "form", "script", "style", "noscript", "button",
                "select", "menu", "template", "svg", "iframe", "dialog"}
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "dialog", "alertdialog", "search", "menu"}
_CHROME_MARKS = re.compile(r"(?i)(^|[\s_-])(newsletter|breadcrumbs?|skip-link|share|social|modals?)([\s_-]|$)")
# Cookie and consent dialogs: a cookie/consent word with a dialog word, or a consent vendor's
# own name (never just "cookie": a cookie policy's content is called that too).
_DIALOG_MARKS = re.compile(
    r"(?i)(cookie|consent|gdpr|privacy)[\w-]*[\s_-]*(banner|bar|popup|pop-up|modal|dialog|overlay|"
    r"window|box|prompt|wall|layer|sdk)(e?s)?(?-i:(?![a-z]))")  # a word's end: not cookie-barrier
                                                                # (cookieBarContainer is one)
# "cookie-notice" and "privacy-notice" name a dialog (the Cookie Notice plugin's banner, a
# comment form's Akismet notice) and the document a page holds (a cookie notice, a privacy
# notice: what many companies call their policies): a dialog only when it holds no document's
# length of text, and what such a document holds is part of it.
_NOTICE_MARKS = re.compile(r"(?i)(cookie|consent|gdpr|privacy)[\w-]*[\s_-]*notices?(?-i:(?![a-z]))")
_NOTICE_MAX_WORDS = 200
_VENDOR_MARKS = re.compile(
    r"(?i)onetrust|cookiebot|didomi|usercentrics|truste-|cc-window|qc-cmp|cmp-container|sp_message|"
    r"osano|iubenda-cs|cookie-law-info|(^|\s)cky-|cookieyes|tarteaucitron|axeptio|cookiefirst|cmplz-|"
    r"borlabs|klaro|termly-|CybotCookiebot")
# The same vendors generate the legal documents themselves: Complianz wraps a cookie statement,
# privacy statement or terms in <div id="cmplz-document" class="cmplz-document cookie-statement">,
# and cookie declarations and audit tables carry the vendor's prefix too. Such an element, and
# what is inside it, is the page's document, not its dialog.
_DOCUMENT_MARKS = re.compile(r"(?i)document|declaration|statement|polic(y|ies)|terms|conditions|"
                             r"audit|overview|cookies?-?(list|table)")


_NEVER_DIALOG = frozenset(("html", "body", "main", "article"))


def _marks(attrib) -> str | None:
    ident, cls = attrib.get("id"), attrib.get("class")
    return f"{ident or ''} {cls or ''}" if ident or cls else None


# What an element's id and class name it (_dialog_marks).
_NOT_NAMED, _DIALOG, _VENDOR, _VENDOR_DOCUMENT, _NOTICE = range(5)


@functools.lru_cache(maxsize=65536)
def _dialog_marks(marks: str) -> int:
    """_DIALOG: a dialog's name; _VENDOR: a consent vendor's, a dialog unless it sits in (or is)
    a document that vendor generated (_VENDOR_DOCUMENT); _NOTICE: a privacy notice, a dialog
    unless it is as long as a document; _NOT_NAMED: none of these."""
    if _DIALOG_MARKS.search(marks):
        return _DIALOG
    if _NOTICE_MARKS.search(marks):
        return _NOTICE
    if _VENDOR_MARKS.search(marks):
        return _VENDOR_DOCUMENT if _DOCUMENT_MARKS.search(marks) else _VENDOR
    return _NOT_NAMED


@functools.lru_cache(maxsize=65536)
def _chrome_marks(marks: str) -> bool:
    return bool(_CHROME_MARKS.search(marks))


def _is_dialog(el) -> bool:
    """A cookie/consent or modal dialog (never the page's body, main or article)."""
    tag = el.tag
    if tag in _NEVER_DIALOG:
        return False
    if tag == "dialog":
        return True
    attrib = el.attrib
    if not attrib:
        return False
    if (attrib.get("role") or "").lower() in ("dialog", "alertdialog") or attrib.get("aria-modal") == "true":
        return True
    marks = _marks(attrib)
    if not marks:
        return False
    kind = _dialog_marks(marks)
    if kind == _VENDOR:  # its dialog, unless inside a document it generated
        for up in el.iterancestors():
            up_marks = _marks(up.attrib)
            if up_marks and _dialog_marks(up_marks) == _VENDOR_DOCUMENT:
                return False
        return True
    if kind == _NOTICE:
        return not _is_notice_document(el) and not any(
            _is_notice_document(up) for up in el.iterancestors()
            if (m := _marks(up.attrib)) and _dialog_marks(m) == _NOTICE)
    return kind == _DIALOG


def _is_notice_document(el) -> bool:
    """A notice-named element holding a document's length of text (a cookie or privacy notice)."""
    return _word_count(el.text_content()) > _NOTICE_MAX_WORDS


# Collapsed accordion items: hidden until a reader opens them, and a policy's sections as much
# as the open ones (hidden chrome, a mobile menu or an icon, is not named so). Inactive tabs are
# not: a tab often holds another document (the terms beside the privacy policy).
_PANEL_MARKS = re.compile(r"(?i)accordion|collaps|toggle|expand|sanfona|disclosure|item-body|"
                          r"(^|[\s_-])(fold|faq)(s|-content|-body|-answer)?([\s_-]|$)")


@functools.lru_cache(maxsize=65536)
def _panel_marks(marks: str) -> bool:
    return bool(_PANEL_MARKS.search(marks))


_DISCLOSED = "data-palimpsest-disclosed"  # set by mark_disclosure_bodies on what is opened
_DISCLOSER = "data-palimpsest-discloser"  # and on the button that opens it
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_SECTIONING = frozenset(("article", "main", "section"))  # a <header> inside one is its own
_SECTION_HEADERS = etree.XPath("//header[" + " or ".join(f"ancestor::{t}" for t in sorted(_SECTIONING))
                               + "]")
_CONTROLLERS = etree.XPath("//*[@aria-expanded and @aria-controls]")


def mark_disclosure_bodies(doc) -> None:
    """The elements a disclosure button opens (WAI-ARIA's disclosure and accordion patterns: a
    button with ``aria-expanded`` whose ``aria-controls`` names them) are marked as accordion
    bodies, whatever they are named ("answer", "content", "panel"): hidden until a reader opens
    them, they are the policy's text. Not a tab's panel (``role=tab``: another document, often),
    nor what is mostly links (a menu opened by its button)."""
    buttons = [b for b in _CONTROLLERS(doc) if (b.get("role") or "").lower() != "tab"]
    ids = {i for b in buttons for i in b.get("aria-controls").split()}
    if not ids:
        return
    opened: set[str] = set()
    for el in doc.iter():
        ident = el.get("id") if isinstance(el.tag, str) else None
        if ident in ids and not _in_navigation(el):
            words = _word_count(el.text_content())
            unlinked = words - sum(_word_count(a.text_content()) for a in el.iter("a"))
            if unlinked >= 20 and 2 * unlinked >= words:
                el.set(_DISCLOSED, "")
                opened.add(ident)
    for b in buttons:
        if opened.intersection(b.get("aria-controls").split()):
            b.set(_DISCLOSER, "")


_NAVIGATION_TAGS = frozenset(("nav", "header", "footer", "aside", "menu"))
_NAVIGATION_MARKS = re.compile(r"(?i)nav|menu")


def _in_navigation(el) -> bool:
    """Navigation, or inside it: what a menu button opens is no section of the policy. A
    section's own <header> (inside article, main or section) is its heading, as for
    :func:`_is_chrome`, not the site's."""
    for up in itertools.chain((el,), el.iterancestors()):
        if up.tag == "header" and any(a.tag in _SECTIONING for a in up.iterancestors()):
            continue
        if up.tag in _NAVIGATION_TAGS or \
                (up.get("role") or "").lower() in _CHROME_ROLES:
            return True
        marks = _marks(up.attrib)
        if marks and _NAVIGATION_MARKS.search(marks):
            return True
    return False


def _is_panel(attrib) -> bool:
    """An accordion item's body (WAI-ARIA's pattern: role=region, or what a disclosure button
    controls; or named so)."""
    if (attrib.get("role") or "").lower() == "region" or _DISCLOSED in attrib:
        return True
    marks = _marks(attrib)
    return bool(marks) and _panel_marks(marks)


def _is_chrome(el) -> bool:
    tag = el.tag
    if not isinstance(tag, str):
        return True
    if tag == "header" and any(up.tag in _SECTIONING for up in el.iterancestors()):
        return False  # a section's or the document's own header (its heading, date), not the site's
    if tag in _CHROME_TAGS:
        # an accordion's heading is its button (<h3><button aria-expanded>Title</button></h3>,
        # WAI-ARIA's pattern): the section's title, not a control to drop
        if tag != "button":
            return tag != "dialog" or _DOCUMENT_IN_DIALOG not in el.attrib
        parent = el.getparent()
        return not (_DISCLOSER in el.attrib or (parent is not None and parent.tag in _HEADINGS))
    attrib = el.attrib
    if not attrib:
        return False
    if (attrib.get("role") or "").lower() in _CHROME_ROLES:
        return _DOCUMENT_IN_DIALOG not in attrib
    if (attrib.get("aria-hidden") == "true" or attrib.get("hidden") is not None) and not _is_panel(attrib):
        return True
    if tag in ("body", "main", "article"):
        return False
    marks = _marks(attrib)
    return bool(marks) and _chrome_marks(marks) or (_is_dialog(el) and _DOCUMENT_IN_DIALOG not in attrib)


_MAY_BE_DIALOG = etree.XPath("descendant-or-self::*[@* or self::dialog]")


# A page can hold its document in what is named or marked as a dialog: a policy opened in a
# modal layer over the site (role="dialog"), a "privacy-box", a "cookie-modal-body". Such an
# element is the page's document when it holds a document's length of text and most of the
# page's text (a consent dialog is short, and beside a page's own text); a consent vendor's
# dialog never is (on a page whose content is written by script it is all there is).
_DOCUMENT_IN_DIALOG = "data-palimpsest-document"
_DIALOG_DOCUMENT_WORDS = 300
_DIALOG_DOCUMENT_SHARE = 0.6
_READ = "text()[not(ancestor::script or ancestor::style or ancestor::template)]"  # what a reader sees
_PAGE_TEXT = etree.XPath("//body//" + _READ, smart_strings=False)
_OWN_TEXT = etree.XPath(".//" + _READ, smart_strings=False)


def remove_dialogs(doc: lxml.html.HtmlElement) -> None:
    """Drop cookie/consent dialogs and modal dialogs from a page (Readability can pick their
    text over the policy's); one that holds the page's document is marked as such and kept."""
    # only elements _is_dialog can call one (a <dialog>, or with attributes), found by libxml2:
    # the others never become Python objects
    page_words = None
    for el in [el for el in _MAY_BE_DIALOG(doc) if _is_dialog(el)]:
        if el.getparent() is None:
            continue
        words = _word_count(" ".join(_OWN_TEXT(el)))
        if words > _DIALOG_DOCUMENT_WORDS and not _vendor_named(el):
            if page_words is None:
                page_words = _word_count(" ".join(_PAGE_TEXT(doc)))
            if words >= _DIALOG_DOCUMENT_SHARE * page_words:
                el.set(_DOCUMENT_IN_DIALOG, "")
                continue
        el.drop_tree()


def _vendor_named(el) -> bool:
    """Named by a consent vendor (its dialog, or what sits in it)."""
    return any((m := _marks(e.attrib)) and _VENDOR_MARKS.search(m)
               for e in itertools.chain((el,), el.iterancestors()))


_LINK_LIST_TAGS = frozenset(("ul", "ol", "div", "table", "tr", "td", "p", "section", "dl"))


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # what the regex \w matches


def _link_counts(root, text_links: frozenset | set = frozenset()) -> dict:
    """For every element under ``root``: (the words of its text_content(), the words of its link
    texts (mailto: and tel: links aside), its links, whether its text starts and whether it ends
    with a word character (None for an element with no text at all)), counted once from the
    leaves up. A word cut by an element boundary ("2021<b>Kirche</b>") counts once, as in
    text_content(); white space between tags ends the word before it."""
    counts: dict = {}
    word_count, is_word_char = _word_count, _is_word_char
    for el in reversed([e for e in root.iter() if isinstance(e.tag, str)]):
        # the element's text so far: words, starts with a word character, ends with one
        # (starts is None while there is no text at all)
        t = el.text
        if not t:
            words, starts, ends = 0, None, False
        elif t.isspace():
            words, starts, ends = 0, False, False
        else:
            words, starts, ends = word_count(t), is_word_char(t[0]), is_word_char(t[-1])
        linked = links = 0
        for child in el:
            if isinstance(child.tag, str):
                c_words, c_linked, c_links, c_starts, c_ends = counts[child]
                if c_starts is not None:
                    if starts is None:
                        words, starts, ends = c_words, c_starts, c_ends
                    else:
                        words += c_words - (1 if ends and c_starts else 0)
                        ends = c_ends
                linked += c_linked
                links += c_links
            t = child.tail
            if not t:
                continue
            if t.isspace():
                if starts is None:
                    starts = False
                ends = False
            else:
                t_words, t_starts = word_count(t), is_word_char(t[0])
                if starts is None:
                    words, starts = t_words, t_starts
                else:
                    words += t_words - (1 if ends and t_starts else 0)
                ends = is_word_char(t[-1])
        if el.tag == "a" and el not in text_links:
            links += 1
            if not (el.get("href") or "").startswith(("mailto:", "tel:")):
                linked += words
        counts[el] = (words, linked, links, starts, ends)
    return counts


def _strip_chrome(root, url: str = "") -> None:
    """Drop page chrome, then link lists (menus, link farms, tables of contents: blocks whose
    words are mostly link texts), which old pages do not mark up as <nav>. A table of data's
    rows are text however many links they hold (a cookie table: vendor, purpose, opt-out link),
    and so are a list's that refers to other sites item by item (:func:`_reference_lists`)."""
    elements = list(root.iter())  # held to the end: the later walks reuse these proxies
    dropped: set = set()
    for el in elements:
        if el is root or not isinstance(el.tag, str):
            continue
        parent = el.getparent()
        if parent in dropped:  # inside a dropped subtree: nothing it holds is in root any more
            dropped.add(el)
        elif parent is not None and _is_chrome(el):
            dropped.add(el)
            el.drop_tree()
    references = {el for lst in _reference_lists(root, url) for el in lst.iter()}
    counts = _link_counts(root, {el for el in references if el.tag == "a"})
    data = _data_table_parts(root, counts) | references
    gone: set = set()
    for el in list(root.iter()):
        if el is root or not isinstance(el.tag, str):
            continue
        if el.getparent() in gone:
            gone.add(el)
            continue
        if el.tag in _LINK_LIST_TAGS and el not in data:
            words, linked, links = counts[el][:3]
            if links >= 2 and words and linked / words >= 0.5 and words < 400:
                gone.add(el)
                el.drop_tree()


_CLIMB_WORDS = 40


def coverage_container(doc: lxml.html.HtmlElement, share: float = 0.9):
    """The deepest element holding ``share`` of the page's content-block words (paragraphs, list
    items, headings, cells, text-only divs outside page chrome), and the words under it. A policy
    spread over sibling sections, tabs, table cells or converted PDF pages is held whole by it,
    where Readability keeps one part."""
    body = doc.find(".//body")
    if body is None:
        return None, 0
    elements = [el for el in body.iterdescendants() if isinstance(el.tag, str)]
    # which elements hold a block (a <div> or a content block) below them: marked from each
    # block up, stopping at the first ancestor already marked (each element marked once)
    holds_block: set = set()
    for el in elements:
        tag = el.tag
        if tag in _BLOCKS or tag == "div":
            node = el.getparent()
            while node is not None and node not in holds_block:
                holds_block.add(node)
                if node is body:
                    break
                node = node.getparent()
    chrome = {body: False}
    own: dict = {}  # the words of each leaf block outside chrome
    total = 0
    for el in elements:
        if el not in holds_block and el.tag not in _BLOCKS and el.tag != "div":
            continue  # neither a block nor above one: whether it is chrome changes no count
        inside = chrome.get(el.getparent(), True) or _is_chrome(el)
        chrome[el] = inside
        # leaf blocks only; a <div> counts when it holds text and no block (div-soup pages,
        # PDFs converted to HTML: one positioned div per line)
        if inside or (el.tag not in _BLOCKS and el.tag != "div") or (
                el in holds_block and el.tag not in ("td", "th")):
            continue
        n = _word_count(el.text_content())
        if n:
            own[el] = n
            total += n
    # the words of the leaf blocks below each element, summed from the leaves up (in reverse
    # document order every element comes after all of its descendants)
    weight: dict = {}
    for el in reversed(elements):
        w = weight.get(el, 0) + own.get(el, 0)
        if w:
            parent = el.getparent()
            weight[parent] = weight.get(parent, 0) + w
    if not total:
        return None, 0
    node = body
    while True:
        best = max((c for c in node if isinstance(c.tag, str)), key=lambda c: weight.get(c, 0),
                   default=None)
        if best is None or weight.get(best, 0) < share * total:
            break
        node = best
    # The policy's own heading and date often sit just outside the block holding its body:
    # climb while a parent adds only a few words.
    while node is not body and node.getparent() is not None:
        parent = node.getparent()
        extra = weight.get(parent, total) - weight.get(node, 0)
        if extra > max(_CLIMB_WORDS, 0.03 * weight.get(node, 0)):
            break
        node = parent
    return node, weight.get(node, total)


def _container_cut(doc: lxml.html.HtmlElement, at_least: int = 0, url: str = ""):
    """The coverage container cleaned of chrome, in a wrapper element to render; None when it is
    not worth it (it cannot hold more than ``at_least`` words: its content blocks' words, which
    undercount the rendered text by a few percent, are under 80 % of that)."""
    node, words = coverage_container(doc)
    if node is None or words <= 0.8 * at_least:
        return None
    node = copy.deepcopy(node)
    _strip_chrome(node, url)
    for a in node.iter("a"):  # self-link headings: keep the heading's text, drop the anchor link
        href = a.get("href") or ""
        if href.startswith("#") and any(p.tag in ("h1", "h2", "h3", "h4", "h5", "h6")
                                        for p in a.iterancestors()):
            a.drop_tag()
    return _wrapped(node)


def _rendered_words(root, url: str) -> int:
    """The words html2text will write for ``root``: its text, its link targets and titles
    (written absolute as ``[text](target "title")``, in-page anchors as their text only) and the
    numbers of ordered lists' items."""
    words = _word_count(" ".join(root.itertext()))
    host_words = _word_count("/".join(url.split("/", 3)[:3])) if url else 0
    dir_words = _word_count(url.rsplit("/", 1)[0]) if url else 0
    for ol in root.iter("ol"):
        words += sum(1 for child in ol if child.tag == "li")
    for a in root.iter("a"):
        href = a.get("href")
        if href and not href.startswith("#"):
            words += _word_count(a.get("title") or "") + _word_count(href)
            if not _ABSOLUTE.match(href):  # written joined to the page's URL
                words += host_words if href.startswith("/") else dir_words
    return words


_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


FALLBACK_MAX = 200  # max(20, 0.1 * min(page words, 2000)) is never more


def extract_policy(body: bytes, content_type: str | None, url: str,
                   max_bytes: int = 20_000_000) -> ExtractedText:
    """Extract the policy text of one archived payload into seed-style markdown.

    Returns an ExtractedText whose ``reason`` says why when no text could be extracted.
    """
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime.startswith(PDF_MIMES) or body[:1024].lstrip().startswith(b"%PDF-"):
        return extract_pdf(body, url, max_bytes)
    if mime and not any(mime.startswith(m) for m in HTML_MIMES):
        return ExtractedText("", "", "", 0, None, "", EXTRACTOR_VERSION,
                             reason=f"not HTML ({mime}); skipped")
    truncated = len(body) > max_bytes
    if truncated:
        body = body[:max_bytes]
    html, encoding = decode_html(body, content_type)
    html = decode_cloudflare_emails(html)
    if not html.strip():
        return ExtractedText("", "", "", 0, None, encoding, EXTRACTOR_VERSION,
                             reason="empty page")
    # Readability.js turns runs of <br> into paragraphs before scoring; so do we. Headings that
    # link to themselves (<h3><a href="#terms">Terms</a></h3>) look like link lists to its
    # cleaner and were dropped with their text: the anchor goes, the heading stays.
    html = _SELF_LINK_HEADING.sub(r"\1\2\3", _DOUBLE_BR.sub("\n<p>", html))
    try:
        doc = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError) as exc:
        return ExtractedText("", "", "", 0, None, encoding, EXTRACTOR_VERSION,
                             reason=f"unparseable HTML: {exc}")
    # lxml makes a Python object for an element each time a walk reaches it unless one is
    # alive (and html's class lookup runs in Python for each): holding them for the whole
    # extraction spares a third of those lookups.
    proxies = list(doc.iter())
    title = _page_title(doc)
    extractor = EXTRACTOR_VERSION
    mark_disclosure_bodies(doc)
    remove_dialogs(doc)  # one walk of the tree: cheaper than a case-insensitive scan of the HTML
    # Readability keeps one container; a policy spread over sibling sections loses the rest.
    # The container holding 90 % of the page's content blocks is the second opinion, prepared
    # the same way, and wins when Readability kept much less of the text. Only the one chosen is
    # rendered.
    cut = _readability_cut(doc, url)
    cut_words = 0
    if cut is not None:
        _prepare(cut, title)
        cut_words = _rendered_words(cut, url)
    needed = int(WIDE_RATIO * cut_words) + 20
    try:
        wide = _container_cut(doc, needed, url)
    except Exception as exc:  # odd markup: Readability's answer stands
        logger.debug("coverage container failed on %s: %s", url, exc)
        wide = None
    if wide is not None:
        _prepare(wide, title)
        if _rendered_words(wide, url) > needed:
            cut, extractor = wide, EXTRACTOR_VERSION + "+container"
    body_md = _to_markdown(cut, url) if cut is not None else ""
    words = _word_count(body_md)
    # Too little for the page (under a tenth of its words, 20 to 200): trafilatura's cut is
    # tried. The page's own words are counted only then (the bound is never over 200).
    if words < FALLBACK_MAX and words < max(20, 0.1 * min(_word_count(doc.text_content()), 2000)):
        alt = _trafilatura_body(doc, url, title)
        alt_words = _word_count(alt)
        if alt_words > words:
            body_md, extractor, words = alt, "trafilatura+html2text/4", alt_words
    if words == 0:
        return ExtractedText("", title, "", 0, None, encoding, extractor,
                             reason="no text extracted (empty main content)")
    markdown = f"# {title}\n\n{body_md}" if title else body_md
    reason = f"page larger than {max_bytes} bytes: truncated" if truncated else None
    language = guess_language(doc, body_md)
    del proxies  # held to here
    return ExtractedText(markdown, title, text_hash(markdown), words,
                         language, encoding, extractor, reason)
