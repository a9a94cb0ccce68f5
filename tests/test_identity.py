"""Pure decisions of issue #10: payload planning, the identity of a text version, and page
preprocessing (Cloudflare e-mail, XML declarations, PDFs). No servers: milliseconds."""

from __future__ import annotations

from crawler.archive.client import edge_second
from pipelines.payloads import fetchable, is_textual_mime, plan_keys
from pipelines.captures import CdxRecord
from pipelines.extract import (cloudflare_email, decode_cloudflare_emails, extract_policy, strip_xml_declaration)
from pipelines.seedformat import canonical_link, normalize_text, text_hash


def rec(ts, url, mime="text/html", status=200, digest="D1"):
    return CdxRecord("", ts, url, mime, status, digest, 1)


def test_revisit_takes_key_and_mimetype_of_its_original_in_the_answer():
    rows = [rec("20150101000000", "http://www.x.com:80/p.pdf", "application/pdf"),
            rec("20160101000000", "https://x.com/p.pdf", "warc/revisit", None)]
    planned = plan_keys(rows)
    assert planned[1].payload_key == planned[0].payload_key
    assert planned[1].mimetype == "application/pdf"


def test_revisit_resolved_from_the_corpus_when_the_answer_lacks_the_original():
    known = {("D1", "com,x)/p.pdf"): ("200:D1:com,x)/p.pdf", "application/pdf")}
    planned = plan_keys([rec("20160101000000", "http://x.com/p.pdf", "warc/revisit", None)],
                        lambda d, k: known.get((d, k)))
    assert (planned[0].payload_key, planned[0].mimetype) == ("200:D1:com,x)/p.pdf", "application/pdf")
    unresolved = plan_keys([rec("20160101000000", "http://y.com/p", "warc/revisit", None)])[0]
    assert unresolved.payload_key.startswith("revisit:") and unresolved.is_textual
    # never downloaded to be discarded: an unresolved revisit whose URL names an image is skipped
    logo = plan_keys([rec("20160101000000", "http://y.com/logo.PNG", "warc/revisit", None)])[0]
    assert not logo.is_textual
    pdf = plan_keys([rec("20160101000000", "http://y.com/privacy.pdf", "warc/revisit", None)])[0]
    assert pdf.is_textual  # PDFs are extracted


def test_what_is_fetched():
    assert is_textual_mime("text/html; charset=utf-8") and is_textual_mime("application/pdf")
    assert is_textual_mime("unk") and not is_textual_mime("image/png")
    rows = plan_keys([rec("20150101000000", "http://x.com/p", status=404),
                      rec("20150101000001", "http://x.com/p", status=301, digest="E"),
                      rec("20150101000002", "http://x.com/p", "warc/revisit", None)])
    assert [p.record.timestamp for p in fetchable(rows)] == ["20150101000001", "20150101000002"]


def test_edge_second_only_for_full_pages():
    rows = [rec("20010507180421", "http://cnn.com:80/"), rec("20010507180422", "http://cnn.com:80/")]
    assert edge_second(rows, "com%2Ccnn%29%2F+20010507180423") == "20010507180422"
    assert edge_second(rows, None) is None and edge_second([], "k") is None


def test_identity_folds_spellings_session_ids_and_cloudflare_hex():
    a = "See our [terms](http://www.shop.test:80/terms.php?osCsid=a1b2c3d4) and [mail](https://shop.test/cdn-cgi/l/email-protection#4b3b)."
    b = "See our [terms](https://shop.test/terms.php?osCsid=99ffee00) and [mail](http://www.shop.test/cdn-cgi/l/email-protection#12aa)."
    assert text_hash(a) == text_hash(b)
    # a real change of target or of words still counts
    assert text_hash(a) != text_hash(a.replace("terms.php", "conditions.php"))
    assert text_hash(a) != text_hash(a.replace("See our", "Read our"))
    assert canonical_link("http://x.com/a;jsessionid=0A1B2C?id=7&PHPSESSID=ab12") == "//x.com/a?id=7"
    assert canonical_link("http://x.com/s.php?zenid=5&CFID=1&CFTOKEN=2&main_page=p") == "//x.com/s.php?main_page=p"
    assert canonical_link("http://x.com/p?v=1612345678&lang=en") == "//x.com/p?lang=en"
    assert canonical_link("http://x.com/p?page=2") == "//x.com/p?page=2"  # a real parameter
    assert canonical_link("mailto:a@x.com") == "mailto:a@x.com"
    assert normalize_text("“Quoted”\u00a0 text") == '"Quoted" text'


def test_cloudflare_email_decoding():
    email = "privacy@shop.test"
    hexed = "4b" + "".join(f"{ord(c) ^ 0x4b:02x}" for c in email)
    assert cloudflare_email(hexed) == email
    html = (f'<p>Mail <a href="/cdn-cgi/l/email-protection#{hexed}">[email&#160;protected]</a> or '
            f'<span class="__cf_email__" data-cfemail="{hexed}">[email&#160;protected]</span></p>')
    out = decode_cloudflare_emails(html)
    assert "[email" not in out and out.count(email) >= 2 and "mailto:" + email in out


def test_xml_declaration_does_not_empty_the_page():
    body = ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 '
            'Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html xmlns="http://www.w3.org/1999/xhtml">'
            '<head><title>Privacy Policy</title></head><body><div id="c"><h2>Data we collect</h2>'
            + "<p>We collect the e-mail address you give us and the pages you read on this site.</p>" * 8
            + "</div></body></html>").encode()
    result = extract_policy(body, "application/xhtml+xml; charset=utf-8", "http://x.com/privacy")
    assert result.words > 50 and result.reason is None, result.reason
    assert strip_xml_declaration('<?xml version="1.0"?><html/>') == "<html/>"
