"""Policy discovery on synthetic multi-year sites served by pywb: link text changing language and
wording, the policy moving URL and host, a parked year, years without a homepage capture, a
homepage redirect, and a blog tag page titled "Privacy" that is not a policy."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, UNLIMITED, change_text, citp, last_run, run_palimpsest
from crawler.discovery import find_policy_links
from crawler.demo.pywb import PywbServer, make_collection
from crawler.demo.warcs import Capture, write_warc


def home(links: list[tuple[str, str]], extra: str = "", lang: str = "en") -> bytes:
    footer = " | ".join(f'<a href="{h}">{t}</a>' for t, h in links)
    return (f'<html lang="{lang}"><head><title>Home</title></head><body><div id="nav"><a href="/">Home</a> '
            f'<a href="/blog">Blog</a><a href="javascript:void(0)">Privacy settings</a></div>'
            f"<h1>Welcome</h1><p>We make things. {extra}</p>"
            f'<div class="site-footer">{footer}</div></body></html>').encode()


GERMAN = ("<html lang='de'><head><title>Datenschutzerklärung</title></head><body><div class='content'>"
          "<h1>Datenschutzerklärung</h1>" + "".join(f"<p>{s}</p>" for s in [
              "Diese Datenschutzerklärung informiert Sie über die Verarbeitung Ihrer personenbezogenen Daten auf unserer Website.",
              "Verantwortlicher im Sinne der Datenschutz-Grundverordnung ist die Alpha GmbH.",
              "Wir erheben Daten, wenn Sie ein Kundenkonto anlegen oder uns kontaktieren.",
              "Wir verwenden Cookies, um unsere Website nutzerfreundlich zu gestalten.",
              "Sie haben das Recht auf Auskunft, Berichtigung und Löschung Ihrer Daten.",
              "Sie können Ihre Einwilligung jederzeit mit Wirkung für die Zukunft widerrufen.",
              "Wir speichern Ihre Daten nur so lange, wie es für die Zwecke erforderlich ist."]) +
          "</div></body></html>").encode()
SPANISH = ("<html lang='es'><head><title>Política de privacidad</title></head><body><div class='content'>"
           "<h1>Política de privacidad</h1>" + "".join(f"<p>{s}</p>" for s in [
               "Esta política de privacidad explica cómo recopilamos y utilizamos sus datos personales.",
               "Recopilamos su nombre y correo electrónico cuando se registra en nuestro sitio.",
               "Utilizamos cookies para mejorar su experiencia de navegación y analizar el tráfico.",
               "No compartimos su información personal con terceros sin su consentimiento.",
               "Usted tiene derecho a acceder, rectificar y suprimir sus datos personales.",
               "Conservamos sus datos durante el tiempo necesario para prestar el servicio."]) +
           "</div></body></html>").encode()
TAG_PAGE = (b"<html><head><title>Privacy</title></head><body><h1>Posts tagged: Privacy</h1>"
            b"<ul><li><a href='/2015/why-vpn'>Why I finally started using a VPN</a> - Read more</li>"
            b"<li><a href='/2015/phone'>Five things I changed on my new phone</a> - 3 comments</li>"
            b"<li><a href='/2014/browser'>Trying a new browser for a month</a> - Read more</li></ul>"
            b"<p>Older posts</p></body></html>")
PARKED = (b"<html><head><title>beta.test</title></head><body><h1>beta.test</h1><p>This domain is for "
          b"sale! Buy this domain today.</p><p>Related searches: insurance, loans</p>"
          b"<a href='https://parking.example/privacy'>Privacy Policy</a></body></html>")


@pytest.fixture(scope="module")
def sites(wayback_bin, tmp_path_factory):
    _, welcome, _ = citp("welcomegateapp.com")
    _, joyent, _ = citp("joyentcloud.com")
    caps = [
        # alpha.test: English footer link, then German, then a policy on another host
        Capture("http://www.alpha.test/", "20150310000000", home([
            ("About", "/about"), ("Privacy Policy", "/privacy"),
            ("Privacy", "https://web.archive.org/web/2015/http://www.alpha.test/privacy")])),
        Capture("http://www.alpha.test/privacy", "20150420000000", welcome),
        Capture("http://www.alpha.test/privacy", "20151220000000", change_text(
            welcome, "We do not provide services or sell products to children.",
            "We do not knowingly collect information from children under 13.")),
        Capture("http://www.alpha.test/", "20170210000000", home([
            ("Impressum", "/impressum"), ("Datenschutzerklärung", "/datenschutz")], lang="de")),
        Capture("http://www.alpha.test/datenschutz", "20170301000000", GERMAN),
        Capture("http://www.alpha.test/", "20190505000000", home([
            ("Terms", "/terms"), ("Privacy notice", "https://legal.alpha-group.test/privacy")])),
        Capture("https://legal.alpha-group.test/privacy", "20190601000000", joyent),
        # beta.test: "Privacy" leads to a page listing blog posts; later the domain is parked
        Capture("http://beta.test/", "20150515000000", home([("Privacy", "/privacy")])),
        Capture("http://beta.test/privacy", "20150516000000", TAG_PAGE),
        Capture("http://beta.test/", "20180202000000", PARKED),
        # gamma.test: the homepage redirects to a new domain, whose policy link is Spanish
        Capture("http://www.gamma.test/", "20160301000000", b"", status=301,
                headers=[("Location", "http://www.gamma-new.test/")]),
        Capture("http://www.gamma-new.test/", "20160301000005", home([
            ("Aviso legal", "/aviso"), ("Política de privacidad", "/privacidad")], lang="es")),
        Capture("http://www.gamma-new.test/privacidad", "20160410000000", SPANISH),
    ]
    root = tmp_path_factory.mktemp("discovery")
    warc = write_warc(root / "d.warc.gz", caps)
    make_collection(root, "sites", [warc], wayback_bin)
    seeds = root / "domains.txt"
    seeds.write_text("alpha.test\nbeta.test\nwww.gamma.test\n")
    with PywbServer(root, wayback_bin) as server:
        yield f"{server.url}/sites", seeds


def test_link_scoring_multilingual():
    html = ('<html><body><a href="/p1">Datenschutz</a><a href="/p2">プライバシーポリシー</a>'
            '<a href="/p3">Политика конфиденциальности</a><a href="javascript:x()">Privacy</a>'
            '<a href="mailto:a@b.c">privacy</a><a href="/web/20150101000000/http://x/privacy">Privacy</a>'
            '<a href="/blog/privacy-tips">Read more</a><a href="/about">About us</a></body></html>')
    links = find_policy_links(html, "http://x.example/")
    hrefs = [c.href for c in links]
    assert {"http://x.example/p1", "http://x.example/p2", "http://x.example/p3"} <= set(hrefs)
    # never javascript/mailto; a link rewritten into the archive counts as its original URL
    assert not any(h.startswith(("javascript", "mailto")) or "/web/2015" in h for h in hrefs)
    assert "http://x/privacy" in hrefs
    assert "http://x.example/about" not in hrefs


def _links(anchors: list[tuple[str, str]], footer: str = "") -> list[str]:
    body = "".join(f'<a href="{h}">{t}</a>' for t, h in anchors)
    html = f"<html><body><div>{body}</div><footer>{footer}</footer></body></html>"
    return [c.href.replace("http://x.example", "") for c in find_policy_links(html, "http://x.example/")]


def test_link_finder_languages_beyond_the_big_ones():
    for text in ("Ochrana osobních údajů", "Tietosuoja", "Adatvédelem", "Personvern", "Privatlivspolitik",
                 "Integritetspolicy", "Politica de confidențialitate", "Πολιτική απορρήτου",
                 "Політика конфіденційності", "سياسة الخصوصية", "מדיניות פרטיות", "حریم خصوصی",
                 "गोपनीयता नीति", "Kebijakan Privasi", "Chính sách bảo mật", "นโยบายความเป็นส่วนตัว",
                 "Privātuma politika", "Privatumo politika", "Politika zasebnosti", "Privaatsuspoliitika",
                 "Политика за поверителност", "Ochrana osobných údajov", "Politika privatnosti"):
        assert _links([("Home", "/"), (text, "/legal/p1"), ("Kontakt", "/contact")]) == ["/legal/p1"], text


def test_link_finder_prefers_privacy_and_reads_hrefs():
    # privacy over cookie policy over settings, whatever the order on the page
    assert _links([("Cookie Policy", "/cookies"), ("Cookie settings", "/cookie-settings"),
                   ("Privacy", "/privacy")])[0] == "/privacy"
    assert _links([("Cookie Policy", "/cookies"), ("Manage cookie settings", "/prefs")])[0] == "/cookies"
    # tag, category and search pages are never candidates; an article about privacy is not a policy
    assert _links([("Datenschutz", "/tags/datenschutz/"), ("Privacy", "/category/privacy"),
                   ("Privacy", "/?s=privacy")]) == []
    assert _links([("Why privacy matters", "/2019/05/why-privacy-matters/")]) == []
    # "Your privacy choices" (an opt-out page) ranks below the policy
    assert _links([("Your Privacy Choices", "/choices"), ("Privacy Notice", "/notice")])[0] == "/notice"
    assert _links([("Community Standards", "/standards"), ("Data Policy", "/policy")]) == ["/policy"]


def test_link_finder_on_real_markup_quirks():
    # soft hyphens inside the word, an XHTML page with an XML declaration, a malformed href
    assert _links([("Da\u00adten\u00adschutz", "/ds")]) == ["/ds"]
    xhtml = ('<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><body>'
             '<a href="http://[ccpa-preferences]/">Privacy choices</a><a href="/privacy">Privacy</a></body></html>')
    assert [c.href for c in find_policy_links(xhtml, "http://x.example/")] == ["http://x.example/privacy"]
    # a saved replay page: links rewritten into the archive count as their original URL
    replay = '<a href="/web/20160820205919/http://www.m.test/datenschutz">Datenschutz</a><a href="/about">Privacy</a>'
    found = find_policy_links(f"<html><body>{replay}</body></html>",
                              "https://web.archive.org/web/20160820205919/http://www.m.test/")
    assert [c.href for c in found] == ["http://www.m.test/datenschutz"]


def test_discovered_table(sites, tmp_path):
    archive, seeds = sites
    out = tmp_path / "out"
    r = run_palimpsest("discover", str(seeds), "--out", str(out), "--archive", archive,
                       "--from", "2015", "--to", "2019", "--every", "1y", *UNLIMITED)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = list(csv.DictReader((out / "discovered.csv").open(encoding="utf-8")))
    assert rows, r.stderr[-3000:]
    got = [(r["site"], r["interval"], r["status"], r["link_text"], r["policy_url"], r["reason"]) for r in rows]
    expect = [
        ("alpha.test", "2015", "found", "privacy policy", "http://www.alpha.test/privacy", ""),
        ("alpha.test", "2016", "none", "", "", "no homepage capture in this interval"),
        ("alpha.test", "2017", "found", "datenschutzerklärung", "http://www.alpha.test/datenschutz", ""),
        ("alpha.test", "2018", "none", "", "", "no homepage capture in this interval"),
        ("alpha.test", "2019", "found", "privacy notice", "https://legal.alpha-group.test/privacy", ""),
        ("beta.test", "2015", "rejected", "privacy", "http://beta.test/privacy", "not a privacy policy"),
        ("beta.test", "2016", "none", "", "", "no homepage capture in this interval"),
        ("beta.test", "2017", "none", "", "", "no homepage capture in this interval"),
        ("beta.test", "2018", "none", "", "", "parked domain"),
        ("beta.test", "2019", "none", "", "", "no homepage capture in this interval"),
    ]
    gamma = [g for g in got if g[0] == "gamma.test"]
    got = [g for g in got if g[0] != "gamma.test"]
    assert [g[:5] for g in got] == [e[:5] for e in expect]
    for g, e in zip(got, expect):
        assert g[5].startswith(e[5]), (g, e)
    assert ("gamma.test", "2016", "found", "política de privacidad", "http://www.gamma-new.test/privacidad") in \
        [g[:5] for g in gamma]
    by = {(r["site"], r["interval"]): r for r in rows}
    assert by[("gamma.test", "2016")]["homepage_url"] == "http://www.gamma-new.test/"
    assert float(by[("alpha.test", "2015")]["probability"]) >= 0.5
    assert float(by[("beta.test", "2015")]["probability"]) < 0.5
    assert by[("alpha.test", "2015")]["homepage_capture"] == "20150310000000"
    assert by[("alpha.test", "2015")]["policy_capture"] == "20150420000000"
    # CDX cost: one query per homepage over the whole range, one per policy URL
    figures = json.loads((out / "discover_run.json").read_text())
    assert figures["cdx_requests"] == 3 + 5  # alpha 3 policy URLs, beta 1, gamma 1
    # each distinct payload once: homepages alpha 3, beta 2, gamma 1 (+1 to follow its redirect);
    # policies alpha 3, beta 1 (the tag page), gamma 1
    assert figures["snapshot_requests"] == (3 + 2 + 1 + 1) + (3 + 1 + 1)


@pytest.fixture(scope="module")
def second_links(wayback_bin, tmp_path_factory):
    """Sites whose best policy link is not the policy: a blog listing under "Privacy Policy"
    (delta.test), a link with no capture in the interval (epsilon.test); their next link is. And
    homepages that link only a legal page, which links the policy (zeta.test) or not (eta.test)."""
    caps = [
        Capture("http://delta.test/", "20150310000000", home([
            ("Privacy Policy", "/privacy-policy"), ("Datenschutz", "/datenschutz")])),
        Capture("http://delta.test/privacy-policy", "20150320000000", TAG_PAGE),
        Capture("http://delta.test/datenschutz", "20150401000000", GERMAN),
        Capture("http://epsilon.test/", "20150310000000", home([
            ("Privacy Policy", "/privacy-policy"), ("Política de privacidad", "/privacidad")])),
        Capture("http://epsilon.test/privacy-policy", "20190101000000", TAG_PAGE),  # another year
        Capture("http://epsilon.test/privacidad", "20150401000000", SPANISH),
        # zeta.test: the homepage links only its legal page, which links the policy
        Capture("http://zeta.test/", "20150310000000", home([("About", "/about"), ("Legal", "/legal")])),
        Capture("http://zeta.test/legal", "20150311000000", home([
            ("Terms of Service", "/legal/terms"), ("Privacy Policy", "/legal/privacy-policy")])),
        Capture("http://zeta.test/legal/privacy-policy", "20150401000000", GERMAN),
        # eta.test: a legal page that links no policy
        Capture("http://eta.test/", "20150310000000", home([("Legal", "/legal")])),
        Capture("http://eta.test/legal", "20150311000000", home([("Imprint", "/imprint")])),
    ]
    root = tmp_path_factory.mktemp("second-links")
    make_collection(root, "sites", [write_warc(root / "s.warc.gz", caps)], wayback_bin)
    seeds = root / "domains.txt"
    seeds.write_text("delta.test\nepsilon.test\nzeta.test\neta.test\n")
    with PywbServer(root, wayback_bin) as server:
        yield f"{server.url}/sites", seeds


def test_the_next_link_is_tried_when_the_best_is_not_the_policy(second_links, tmp_path):
    """A policy that is there is not lost because the best-scored link led elsewhere: when the
    best link's page is not a policy, or it has no capture in the interval, the next links (up to
    three in all) are tried, and the row names the link that led to the policy; a homepage that
    links only its legal page ("Legal") has the policy links of that page."""
    archive, seeds = second_links
    out = tmp_path / "out"
    r = run_palimpsest("discover", str(seeds), "--out", str(out), "--archive", archive,
                       "--from", "2015", "--to", "2015", "--every", "1y", *UNLIMITED)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = {row["site"]: row for row in csv.DictReader((out / "discovered.csv").open(encoding="utf-8"))}
    assert (rows["delta.test"]["status"], rows["delta.test"]["link_text"], rows["delta.test"]["policy_url"]) == \
        ("found", "datenschutz", "http://delta.test/datenschutz")
    assert rows["delta.test"]["policy_capture"] == "20150401000000"
    assert float(rows["delta.test"]["probability"]) >= 0.5 and rows["delta.test"]["reason"] == ""
    assert (rows["epsilon.test"]["status"], rows["epsilon.test"]["policy_url"]) == \
        ("found", "http://epsilon.test/privacidad")
    assert "trying http://delta.test/datenschutz next" in r.stderr
    # a homepage that links only its legal page: the policy is found through it
    assert (rows["zeta.test"]["status"], rows["zeta.test"]["policy_url"]) == \
        ("found", "http://zeta.test/legal/privacy-policy")
    assert rows["eta.test"]["status"] == "none"
    assert rows["eta.test"]["reason"] == "no policy link on the homepage or its legal page http://eta.test/legal"


def test_crawl_with_discovery(sites, tmp_path):
    archive, seeds = sites
    out = tmp_path / "out"
    # with Scrapy's JOBDIR, which only the history crawl uses (discovery keeps its work in memory)
    r = run_palimpsest("crawl", str(seeds), "--discover", "--out", str(out), "--archive", archive,
                       "--from", "2015", "--to", "2019", *UNLIMITED, "-s", f"JOBDIR={tmp_path / 'job'}")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "discovery does not use JOBDIR" in r.stderr
    assert (tmp_path / "job" / "spider.state").exists()  # the history crawl's
    files = sorted(str(p.relative_to(out / "policies")) for p in (out / "policies").rglob("*.md"))
    assert files == ["alpha.test/20150420000000.md", "alpha.test/20151220000000.md",
                     "alpha.test/20170301000000.md", "alpha.test/20190601000000.md",
                     "gamma.test/20160410000000.md"]
    # one pass: discovery's CDX listings and policy payloads are handed to the history crawl,
    # which asks no CDX query again and fetches only the capture discovery did not
    discovery = json.loads((out / "discover_run.json").read_text())
    history = last_run(out)
    assert discovery["cdx_requests"] == 3 + 5  # homepages + policy URLs, once each
    assert discovery["handed_to_history"] == {"urls": 4, "captures": 5, "payloads": 4}
    assert history["cdx_requests"] == 0 and history["snapshot_requests"] == 1
    assert "Datenschutzerklärung" in (out / "policies" / "alpha.test" / "20170301000000.md").read_text()


def test_discovery_on_the_internet_archive_dialect(tmp_path):
    """IA dialect: one capture a day is asked (archived 4xx/5xx filtered out before collapsing),
    and every resumeKey page is read before an interval's capture is chosen."""
    from urllib.parse import parse_qs, urlsplit

    from ia_fixture import FixtureCapture, IAFixture

    _, welcome, _ = citp("welcomegateapp.com")
    home_url, policy_url = "http://www.delta.test/", "http://www.delta.test/privacy"
    home_2015 = home([("Privacy Policy", "/privacy")])
    home_2016 = home([("Privacy Policy", "/privacy")], extra="Now with a shop.")
    policy_2016 = welcome.replace(b"</body>", b"<p>We added a section on our shop.</p></body>", 1)
    caps = [FixtureCapture(home_url, ts, home_2015) for ts in (
        "20150105000000", "20150105120000", "20150210000000", "20150311000000", "20150311090000")]
    # the day nearest mid-2015 opens with an archived 503: the filter must drop it before collapsing
    caps += [FixtureCapture(home_url, "20150405000000", b"Service Unavailable", status=503),
             FixtureCapture(home_url, "20150405060000", home_2015),
             FixtureCapture(home_url, "20150405120000", home_2015)]
    caps += [FixtureCapture(home_url, ts, home_2016) for ts in (
        "20160110000000", "20160310000000", "20160310230000", "20161101000000")]
    caps += [FixtureCapture(policy_url, "20150301000000", welcome),
             FixtureCapture(policy_url, "20150601000000", welcome),
             FixtureCapture(policy_url, "20160301000000", policy_2016),
             FixtureCapture(policy_url, "20160401000000", policy_2016)]
    seeds = tmp_path / "sites.txt"
    seeds.write_text("http://www.delta.test/\n")
    fixture = IAFixture(caps).start()
    try:
        out = tmp_path / "out"
        r = run_palimpsest("discover", str(seeds), "--out", str(out), "--archive", fixture.url,
                           "--dialect", "ia", "--from", "2015", "--to", "2016", "--every", "1y",
                           "-s", "PALIMPSEST_CDX_PAGE_SIZE=2", *UNLIMITED)
        assert r.returncode == 0, r.stderr[-3000:]
        cdx = [parse_qs(urlsplit(path).query) for _, _, path, _ in fixture.requests("cdx")]
    finally:
        fixture.stop()
    rows = {row["interval"]: row for row in csv.DictReader((out / "discovered.csv").open(encoding="utf-8"))}
    assert set(rows) == {"2015", "2016"}, (rows, r.stderr[-3000:])
    assert rows["2015"]["status"] == "found" and rows["2016"]["status"] == "found", rows
    assert rows["2015"]["homepage_capture"] == "20150405060000"  # not the 503, not March
    assert rows["2016"]["homepage_capture"] == "20160310000000"  # on the homepage's 3rd page
    assert rows["2015"]["policy_capture"] == "20150601000000"
    assert rows["2016"]["policy_capture"] == "20160401000000"  # on the policy's 2nd page
    assert all(q["filter"] == ["!statuscode:[45].."] and q["collapse"] == ["timestamp:8"] for q in cdx)
    # homepage: 7 usable days at 2 rows a page = 4 pages; policy: 4 days = 2 full pages, and (as
    # on IA) a full page carries a resumeKey even when the next page is empty: 3 requests
    assert [q["url"][0] for q in cdx].count(home_url) == 4
    assert [q["url"][0] for q in cdx].count(policy_url) == 3


def test_installed_wheel_classifies_and_discovers(sites, tmp_path):
    """What `pip install .` gives users (and scrapyd eggs): the built wheel, installed into a
    fresh venv, must carry every data file the code loads (the classifier model above all)."""
    import sysconfig

    archive, seeds = sites
    dist, fresh = tmp_path / "dist", tmp_path / "fresh"
    # from a copy of the tracked files: a stale build/ folder must not hide a missing data file
    src = tmp_path / "src"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True).stdout
    for rel in filter(None, tracked.decode().split("\0")):
        if (REPO / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, src / rel)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "-q", "-w", str(dist), str(src)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(dist.glob("palimpsest-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True)
    inst = subprocess.run([sys.executable, "-m", "pip", "--python", str(fresh / "bin" / "python"),
                           "install", "-q", "--no-deps", str(wheel)], capture_output=True, text=True)
    assert inst.returncode == 0, inst.stderr[-2000:]
    # dependencies come from the test environment; palimpsest itself only from the wheel
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    where = subprocess.run([str(fresh / "bin" / "python"), "-c", "import pipelines; print(pipelines.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True)
    assert str(fresh) in where.stdout, where.stdout + where.stderr
    _, page, _ = citp("welcomegateapp.com")
    (tmp_path / "page.html").write_bytes(page)
    cl = subprocess.run([str(fresh / "bin" / "palimpsest"), "classify", "--jsonl", "page.html"],
                        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert cl.returncode == 0, cl.stderr[-2000:]
    verdict = json.loads(cl.stdout)
    assert verdict["policy"] is True and verdict["kind"] == "privacy"
    out = tmp_path / "out"
    dv = subprocess.run([str(fresh / "bin" / "palimpsest"), "discover", str(seeds), "--out", str(out),
                         "--archive", archive, "--from", "2015", "--to", "2019", "--every", "1y", *UNLIMITED],
                        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert dv.returncode == 0, dv.stderr[-3000:]
    rows = list(csv.DictReader((out / "discovered.csv").open(encoding="utf-8")))
    assert sum(r["status"] == "found" for r in rows) >= 4


def test_a_nav_link_to_a_blog_post_never_outranks_the_footers_policy_link():
    """A navigation link whose text names privacy but which points to a blog post (its slug
    holds the word) loses to the footer's policy link, even one whose URL does not say privacy."""
    html = ('<html><body><nav><a href="/blog/2018/05/gdpr-privacy-update">Privacy</a>'
            '<a href="/news/why-privacy-matters-to-us">Your privacy</a><a href="/shop">Shop</a></nav>'
            '<p>Welcome.</p><footer><a href="/legal/notice">Privacy Policy</a> <a href="/terms">Terms'
            '</a></footer></body></html>')
    links = find_policy_links(html, "http://x.example/")
    assert links[0].href == "http://x.example/legal/notice"
    # a policy page under /blog/ that is named so keeps its points
    named = find_policy_links('<html><body><a href="/blog/privacy-policy.html">Privacy Policy</a>'
                              '</body></html>', "http://x.example/")
    assert named and "blog/news" not in named[0].why


def test_a_policy_is_not_dropped_for_a_wrong_guess_of_its_kind():
    from crawler.discovery import LinkCandidate, accept_policy

    strong = LinkCandidate("privacy policy", "http://x.example/privacy", 14, "exact text+href+footer")
    weak = LinkCandidate("legal", "http://x.example/legal", 6, "privacy word")
    body = "# Privacy Policy\n\nEffective May 25, 2018. This policy explains what we collect."
    # the classifier read a real 2018 policy as terms (p 0.37): the link and the title say privacy
    ok, note = accept_policy(0.37, 0.5, strong, "Privacy Policy | Example", body)
    assert ok and "p 0.37" in note
    assert accept_policy(0.9, 0.5, weak, "", "")[0]  # the classifier alone, as before
    assert not accept_policy(0.37, 0.5, weak, "Privacy Policy", body)[0]  # a weak link does not
    assert not accept_policy(0.37, 0.5, strong, "Terms of Use", "# Terms of Use\n\nYou agree...")[0]
    assert not accept_policy(0.1, 0.5, strong, "Privacy Policy", body)[0]  # too unlike a policy
    assert not accept_policy(0.37, 0.5, strong, "Privacy settings", "# Privacy settings")[0]


def test_the_sites_own_policy_beats_an_embedded_platform_notice_and_another_host():
    """reCAPTCHA's "Google Privacy Policy" link in a footer form loses to the site's own
    policy link in the header; of two equal links the site's own comes before another host's;
    "Privacy Policy" comes before a privacy hub's "Privacy Center"."""
    from crawler.discovery import is_platform_policy, site_domain

    recaptcha = ('<html><body><nav><a href="/legal/privacy">Privacy</a><a href="/shop">Shop</a></nav>'
                 '<p>Welcome.</p><footer><form><input name="email"><p>This site is protected by '
                 'reCAPTCHA and the Google <a href="https://policies.google.com/privacy">Privacy '
                 'Policy</a> and <a href="https://policies.google.com/terms">Terms of Service</a> '
                 'apply.</p></form></footer></body></html>')
    links = find_policy_links(recaptcha, "https://www.shop.example.co.uk/")
    assert links[0].href == "https://www.shop.example.co.uk/legal/privacy"
    assert "platform" in links[1].why
    # alone, the platform's policy is still a candidate (a Google-hosted site's own)
    assert find_policy_links('<a href="https://policies.google.com/privacy">Privacy Policy</a>',
                             "https://blog.example.org/")
    # equal scores: the site's own page before a shorter URL on another host
    assert _links([("Privacy Policy", "https://grp.com/privacy"),
                   ("Privacy Policy", "/legal/privacy-policy")])[0] == "/legal/privacy-policy"
    assert _links([("Privacy Center", "/privacy"), ("Privacy Policy", "/privacy/policy")])[0] == \
        "/privacy/policy"
    assert site_domain("https://www.bbc.co.uk/x") == "bbc.co.uk"
    assert site_domain("http://127.0.0.1:8080/x") == "127.0.0.1"
    assert site_domain("http://www.alpha.test/") == "alpha.test"
    assert not is_platform_policy("https://policies.google.com/privacy", "youtube.com")
    assert is_platform_policy("https://www.google.com/intl/de/policies/privacy/", "example.de")


def test_the_link_finder_reads_image_buttons_image_maps_pop_ups_and_rel():
    """2000-era homepages: footer links as images (their alt text), image maps, the policy
    opened in a pop-up window (a javascript: href, an onclick); modern ones mark the link
    rel="privacy-policy" (RFC 6903; WordPress writes it)."""
    page = ('<html><body><table><tr><td><a href="../Impressum/agb.html"><img src="agb.gif" '
            'alt="AGB"></a></td><td><a href="../Impressum/agb_datenschutz.html"><img src="r.gif" '
            'alt="AGB &amp; Datenschutz"></a></td></tr></table></body></html>')
    assert [c.href for c in find_policy_links(page, "http://www.s.example/Reise/abc.html")] == \
        ["http://www.s.example/Impressum/agb_datenschutz.html"]
    mapped = ('<html><body><img usemap="#m" src="nav.gif"><map name="m"><area href="/home" '
              'alt="Home"><area shape="rect" href="/privacy.html" alt="Privacy"></map></body></html>')
    assert [c.href for c in find_policy_links(mapped, "http://x.example/")] == ["http://x.example/privacy.html"]
    assert _links([("Privacy", "javascript:popUp('legal/privacy.html')")]) == ["/legal/privacy.html"]
    assert _links([("Privacy", "javascript:void(0)")]) == []
    onclick = ('<html><body><a href="#" onclick="window.open(\'/privacy.htm\',\'p\',\'width=400\'); '
               'return false">Privacy Statement</a></body></html>')
    assert [c.href for c in find_policy_links(onclick, "http://x.example/")] == ["http://x.example/privacy.htm"]
    rel = ('<html><body><a href="/info">Privacy</a><footer><a href="/legal/notice" '
           'rel="privacy-policy">Legal notice</a></footer></body></html>')
    links = find_policy_links(rel, "http://x.example/")
    assert links[0].href == "http://x.example/legal/notice" and "rel=privacy-policy" in links[0].why


def test_links_resolve_against_the_pages_base_and_read_line_breaks_as_spaces():
    page = ('<html><head><base href="http://www.x.example/en/"></head><body><a href="about.html">'
            'About</a><a href="legal/privacy.html">Privacy<br>Policy</a></body></html>')
    links = find_policy_links(page, "http://x.example/index.html")
    assert [c.href for c in links] == ["http://www.x.example/en/legal/privacy.html"]
    assert links[0].text == "privacy policy" and "exact text" in links[0].why


def test_a_link_whose_address_names_the_policy_is_a_candidate_and_comment_notices_are_not_the_site():
    """A footer's "Legal" or "Legal information" leading to /legal/privacy-policy.html has no
    privacy word in its text, but its address names the policy page: a candidate, before a cookie
    policy's link and after any link whose text names privacy. An address that only holds the
    word (/privacy/choices) is not enough. Akismet's "Learn how your comment data is processed"
    under WordPress comment forms and hCaptcha's notice are the platforms' policies, not the
    site's."""
    assert _links([("Legal", "/legal/privacy-policy.html"), ("Terms", "/legal/terms")]) == \
        ["/legal/privacy-policy.html"]
    assert _links([("Cookie Policy", "/cookies"), ("Legal information", "/privacy.html")])[0] == \
        "/privacy.html"
    assert _links([("Legal", "/legal/privacy-policy"), ("Privacy", "/legal")])[0] == "/legal"
    assert _links([("Manage", "/privacy/choices"), ("Our team", "/privacy/settings")]) == []
    akismet = ('<form id="commentform"><p class="akismet_comment_form_privacy_notice">This site uses '
               'Akismet to reduce spam. <a href="https://akismet.com/privacy/">Learn how your comment '
               'data is processed</a>.</p></form>')
    blog = f'<html><body><p>A post.</p><a href="/cookie-policy">Cookie Policy</a>{akismet}</body></html>'
    links = find_policy_links(blog, "https://blog.example.net/2020/01/post")
    assert [c.href for c in links] == ["https://blog.example.net/cookie-policy"]
    hcaptcha = ('<html><body><a href="/legal">Privacy</a><form><p>This site is protected by hCaptcha '
                'and its <a href="https://www.hcaptcha.com/privacy">Privacy Policy</a> apply.</p></form>'
                '</body></html>')
    links = find_policy_links(hcaptcha, "https://shop.example.net/")
    assert links[0].href == "https://shop.example.net/legal" and "platform" in links[1].why
