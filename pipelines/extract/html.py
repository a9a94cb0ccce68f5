"""HTML -> seed-format markdown.

The reference corpus (Princeton-Leuven) was made by a Readability main-content cut followed by
html2text. We do the same with readability-lxml and html2text, and fall back to trafilatura when
Readability finds nothing usable (pages with no content container, odd markup). bench/extraction.py
measures the result against ../shared/corpus/citp-dev.
"""

from __future__ import annotations

import copy
import logging
import re

import html2text
import lxml.html
from readability import Document

from pipelines.extract.decode import decode_cloudflare_emails, decode_html
from pipelines.extract.language import guess_language, word_count as _word_count
from pipelines.extract.pdf import extract_pdf
from pipelines.items import ExtractedText
from pipelines.payloads import HTML_MIMES, PDF_MIMES
from pipelines.seedformat import text_hash

logger = logging.getLogger(__name__)
EXTRACTOR_VERSION = "readability+html2text/3"
WIDE_RATIO = 1.1  # the coverage container replaces Readability's cut when it holds this much more




_DOUBLE_BR = re.compile(r"(?:<br\s*/?>\s*){2,}", re.I)


def _html2text(fragment: str, base_url: str) -> str:
    h = html2text.HTML2Text(baseurl=base_url)
    h.body_width = 0
    h.unicode_snob = True
    h.images_to_alt = False
    h.ignore_images = True
    return h.handle(fragment)


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


def _render(fragment: str, title: str, url: str) -> str:
    """The one way a chosen fragment becomes seed-format markdown: the title heading dropped,
    blocks inside table cells kept apart, html2text, blank lines trimmed."""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    _drop_title_headings(root, title)
    _separate_cell_blocks(root)
    return _clean_markdown(_html2text(lxml.html.tostring(root, encoding="unicode"), url))


_SELF_LINK_HEADING = re.compile(
    r"(?is)(<h[1-6]\b[^>]*>)(\s*)<a\b[^>]*\bhref=[\"']#[^\"']*[\"'][^>]*>(.*?)</a>")


def _readability_body(html: str, url: str, title: str) -> str:
    # Readability.js turns runs of <br> into paragraphs before scoring; so do we. Headings that
    # link to themselves (<h3><a href="#terms">Terms</a></h3>) look like link lists to its
    # cleaner and were dropped with their text: the anchor goes, the heading stays.
    html = _DOUBLE_BR.sub("\n<p>", html)
    html = _SELF_LINK_HEADING.sub(r"\1\2\3", html)
    summary = Document(html, url=url).summary(html_partial=True)
    return _render(summary, title, url)


def _trafilatura_body(html: str, url: str, title: str = "") -> str:
    """trafilatura's selection (favor_recall), rendered by the same html2text path as the rest:
    one markdown style, and no sentence cut around an inline link (its own markdown output
    breaks '[About PDF page](u) to learn more' apart)."""
    import trafilatura

    out = trafilatura.extract(html, url=url, output_format="html", include_links=True,
                              include_formatting=True, include_tables=True, favor_recall=True)
    if not out:
        return ""
    lines = _render(out, title, url).split("\n")
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
    r"(?i)(cookie|consent|gdpr|privacy)[\w-]*[\s_-]*(banner|bar|notice|popup|pop-up|modal|dialog|"
    r"overlay|window|box|prompt|wall|layer|sdk)|onetrust|cookiebot|didomi|usercentrics|truste-|"
    r"cc-window|qc-cmp|cmp-container|sp_message|osano|iubenda-cs|cookie-law-info|(^|\s)cky-|"
    r"cookieyes|tarteaucitron|axeptio|cookiefirst|cmplz-|borlabs|klaro|termly-|CybotCookiebot")


def _is_dialog(el) -> bool:
    """A cookie/consent or modal dialog (never the page's body, main or article)."""
    if el.tag in ("html", "body", "main", "article"):
        return False
    return ((el.get("role") or "").lower() in ("dialog", "alertdialog") or el.tag == "dialog"
            or el.get("aria-modal") == "true"
            or bool(_DIALOG_MARKS.search(f"{el.get('id', '')} {el.get('class', '')}")))


def _is_chrome(el) -> bool:
    if not isinstance(el.tag, str):
        return True
    if el.tag in _CHROME_TAGS or (el.get("role") or "").lower() in _CHROME_ROLES:
        return True
    if el.get("aria-hidden") == "true" or el.get("hidden") is not None:
        return True
    if el.tag in ("body", "main", "article"):
        return False
    return bool(_CHROME_MARKS.search(f"{el.get('id', '')} {el.get('class', '')}")) or _is_dialog(el)


# A dialog named by the markup itself (not a policy that merely mentions cookies).
_DIALOG_HINT = re.compile(r"(?i)(?:\b(?:id|class)\s*=\s*[\"'][^\"'>]*(?:cookie|consent|gdpr|onetrust|"
                          r"cky-|didomi|usercentrics|cmp)|role\s*=\s*[\"']?(?:alert)?dialog|aria-modal|<dialog)")


def remove_dialogs(doc: lxml.html.HtmlElement) -> bool:
    """Drop cookie/consent dialogs and modal dialogs from a page (Readability can pick their
    text over the policy's). True when something was removed."""
    found = [el for el in doc.iter() if isinstance(el.tag, str) and _is_dialog(el)]
    for el in found:
        if el.getparent() is not None:
            el.drop_tree()
    return bool(found)


def _link_density(el) -> tuple[float, int, int]:
    words = _word_count(el.text_content())
    linked = sum(_word_count(a.text_content()) for a in el.iter("a")
                 if not (a.get("href") or "").startswith(("mailto:", "tel:")))
    return (linked / words if words else 0.0), words, sum(1 for _ in el.iter("a"))


def _strip_chrome(root) -> None:
    """Drop page chrome, then link lists (menus, link farms, tables of contents: blocks whose
    words are mostly link texts), which old pages do not mark up as <nav>."""
    for el in list(root.iter()):
        if el is not root and isinstance(el.tag, str) and el.getparent() is not None and _is_chrome(el):
            el.drop_tree()
    for el in list(root.iter("ul", "ol", "div", "table", "tr", "td", "p", "section", "dl")):
        if el is root or el.getparent() is None:
            continue
        density, words, links = _link_density(el)
        if links >= 2 and density >= 0.5 and words < 400:
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
    chrome = {body: False}
    weight: dict = {}
    total = 0
    for el in body.iterdescendants():
        if not isinstance(el.tag, str):
            continue
        parent = el.getparent()
        inside = chrome.get(parent, True) or _is_chrome(el)
        chrome[el] = inside
        if inside or (el.tag not in _BLOCKS and el.tag != "div"):
            continue
        # leaf blocks only; a <div> counts when it holds text and no block (div-soup pages,
        # PDFs converted to HTML: one positioned div per line)
        if el.tag not in ("td", "th") and any(
                isinstance(b.tag, str) and (b.tag in _BLOCKS or b.tag == "div")
                for b in el.iterdescendants()):
            continue
        n = _word_count(el.text_content())
        if not n:
            continue
        total += n
        node = parent
        while node is not None:
            weight[node] = weight.get(node, 0) + n
            if node is body:
                break
            node = node.getparent()
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


def _container_body(doc: lxml.html.HtmlElement, url: str, title: str, at_least: int = 0) -> str:
    """The coverage container rendered like Readability's cut; "" when it is not worth rendering
    (it cannot hold more than ``at_least`` words: its content blocks' words, which undercount the
    rendered text by a few percent, are under 80 % of that)."""
    node, words = coverage_container(doc)
    if node is None or words <= 0.8 * at_least:
        return ""
    node = copy.deepcopy(node)
    _strip_chrome(node)
    for a in node.iter("a"):  # self-link headings: keep the heading's text, drop the anchor link
        href = a.get("href") or ""
        if href.startswith("#") and any(p.tag in ("h1", "h2", "h3", "h4", "h5", "h6")
                                        for p in a.iterancestors()):
            a.drop_tag()
    html = lxml.html.tostring(node, encoding="unicode")
    return _render(html, title, url)


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
    try:
        doc = lxml.html.document_fromstring(html)
    except (lxml.etree.ParserError, ValueError) as exc:
        return ExtractedText("", "", "", 0, None, encoding, EXTRACTOR_VERSION,
                             reason=f"unparseable HTML: {exc}")
    title = _page_title(doc)
    extractor = EXTRACTOR_VERSION
    if _DIALOG_HINT.search(html) and remove_dialogs(doc):
        html = lxml.html.tostring(doc, encoding="unicode")
    try:
        body_md = _readability_body(html, url, title)
    except Exception as exc:  # readability raises bare Exceptions on odd pages
        logger.debug("readability failed on %s: %s", url, exc)
        body_md = ""
    full_words = _word_count(doc.text_content())
    # Readability keeps one container; a policy spread over sibling sections loses the rest.
    # The container holding 90 % of the page's content blocks is the second opinion, rendered the
    # same way, and wins when Readability kept much less of the text.
    needed = int(WIDE_RATIO * _word_count(body_md)) + 20
    try:
        wide = _container_body(doc, url, title, needed)
    except Exception as exc:  # odd markup: Readability's answer stands
        logger.debug("coverage container failed on %s: %s", url, exc)
        wide = ""
    if _word_count(wide) > needed:
        body_md, extractor = wide, EXTRACTOR_VERSION + "+container"
    if _word_count(body_md) < max(20, 0.1 * min(full_words, 2000)):
        alt = _trafilatura_body(html, url, title)
        if _word_count(alt) > _word_count(body_md):
            body_md, extractor = alt, "trafilatura+html2text/3"
    words = _word_count(body_md)
    if words == 0:
        return ExtractedText("", title, "", 0, None, encoding, extractor,
                             reason="no text extracted (empty main content)")
    markdown = f"# {title}\n\n{body_md}" if title else body_md
    reason = f"page larger than {max_bytes} bytes: truncated" if truncated else None
    return ExtractedText(markdown, title, text_hash(markdown), words,
                         guess_language(doc, body_md), encoding, extractor, reason)
