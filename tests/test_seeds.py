"""Seed files: CSV site,url or a list of URLs; bad lines are named and skipped."""

from __future__ import annotations

from pipelines.seeds import parse_seeds, read_seeds


def test_csv_with_errors_named_by_line():
    text = ("site,url\n"
            "allsales.guru,https://allsales.guru/privacy-policy\n"
            "hasin.wordpress.com,https://en.wikipedia.org/wiki/Privacy_policy\n"
            "\n"
            "# a comment\n"
            "nourl.example\n"
            "bad,ftp://x.example/privacy\n"
            "../../etc,http://evil.example/p\n"
            "allbuy.com,www.allbuy.com/policy\n")
    seeds, errors = parse_seeds(text, "s.csv")
    assert [(s.site, s.url) for s in seeds] == [
        ("allsales.guru", "https://allsales.guru/privacy-policy"),
        ("hasin.wordpress.com", "https://en.wikipedia.org/wiki/Privacy_policy"),
        ("allbuy.com", "http://www.allbuy.com/policy")]
    assert [e.line for e in errors] == [6, 7, 8]
    assert "s.csv:7" in str(errors[1]) and "scheme" in str(errors[1])
    assert "'../../etc'" in str(errors[2])


def test_plain_list_site_is_host_without_www():
    seeds, errors = parse_seeds("https://www.quibi.com/privacy\nhttp://b\xfccher.example/datenschutz\n"
                                "javascript:alert(1)\nnot a url\n")
    assert [(s.site, s.url) for s in seeds] == [
        ("quibi.com", "https://www.quibi.com/privacy"),
        ("xn--bcher-kva.example", "http://xn--bcher-kva.example/datenschutz")]
    assert len(errors) == 2


def test_missing_file_is_a_clear_error(tmp_path):
    import pytest

    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_seeds(tmp_path / "nope.csv")
