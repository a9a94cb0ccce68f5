"""The shipped page classifier (pipelines/policy_model.npz) on real pages and on text it was not
trained on. Development checks: the held-out figures are in README (Discovery)."""

from __future__ import annotations

import csv
import gzip
import json
import random

import pytest

from conftest import CITP, SHARED, run_palimpsest
from pipelines.extract import extract_policy
from pipelines.classify.model import KINDS, classify, load_model

REAL = SHARED / "corpus" / "real-pages"


def test_model_loads_with_its_kinds_and_figures():
    model = load_model()
    assert model["kinds"] == KINDS
    figures = model["meta"]["development_figures"]["held_out_real"]
    assert figures["precision"] >= 0.95 and figures["recall"] >= 0.95


def test_real_archived_policies_are_policies():
    if not CITP.exists():
        pytest.skip("needs ../shared/corpus/citp-dev")
    for d in sorted(p for p in CITP.iterdir() if (p / "page.html").exists()):
        got = extract_policy((d / "page.html").read_bytes(), "text/html", "http://x.example/")
        assert classify(got.markdown, got.title).kind == "privacy", d.name


def test_real_articles_in_many_languages_are_not_policies():
    if not REAL.exists():
        pytest.skip("needs ../shared/corpus/real-pages")
    rows = [r for r in csv.DictReader((REAL / "articles" / "manifest.csv").open(encoding="utf-8"))
            if r["label"] == "article"]
    sample = random.Random(3).sample(rows, 60)
    flagged = []
    for r in sample:
        body = gzip.decompress((REAL / "articles" / "html" / f"{r['id']}.html.gz").read_bytes())
        got = extract_policy(body, None, "http://x.example/")
        if got.markdown and classify(got.markdown, got.title).probability >= 0.5:
            flagged.append(r["id"])
    assert len(flagged) <= 1, flagged


# Written for this test (not from the generator's sentence banks).
ZH_POLICY = """# 隐私政策
本政策说明我们在您使用本网站时如何收集、使用、存储和保护您的个人信息。
我们收集的信息包括您注册时提供的手机号码、电子邮箱以及您的设备信息和日志信息。
我们仅在实现本政策所述目的所必需的期限内保留您的个人信息。
未经您的明确同意，我们不会将您的个人信息出售或提供给任何第三方，法律法规另有规定的除外。
您可以通过账户设置访问、更正或删除您的个人信息，也可以撤回您的授权同意。
如对本政策有任何疑问，请联系我们的个人信息保护负责人。"""
ZH_NEWS = """# 城市马拉松周日开跑
本周日，三万名跑者将从市中心广场出发，沿江边大道跑完全程四十二公里。
组委会表示，今年新增了十个补给站，并在终点设立了医疗帐篷。
交通部门提醒市民，比赛期间部分道路将实行临时交通管制，请提前规划出行路线。
去年的男子组冠军将再次参赛，他表示希望打破自己保持的赛会纪录。"""
JA_POLICY = """# 個人情報の取扱いについて
当社は、お客様からお預かりした個人情報を、ご注文の処理および商品の発送のために利用いたします。
お客様の同意なく、個人情報を第三者に開示・提供することはありません。
個人情報の開示、訂正、利用停止をご希望の場合は、お問い合わせ窓口までご連絡ください。
当社は個人情報の漏えい、滅失を防止するため、適切な安全管理措置を講じます。"""
KO_POLICY = """# 개인정보 처리방침
회사는 정보주체의 개인정보를 수집·이용 목적 범위 내에서만 처리하며, 동의 없이 제3자에게 제공하지 않습니다.
수집 항목: 이름, 이메일, 접속 기록, 쿠키. 보유 기간: 회원 탈퇴 시까지.
정보주체는 언제든지 개인정보 열람, 정정, 삭제 및 처리정지를 요구할 수 있습니다."""
CS_POLICY = """# Zásady ochrany osobních údajů
Vaše osobní údaje zpracováváme pouze v rozsahu nezbytném pro vyřízení objednávky.
Údaje nepředáváme třetím stranám bez vašeho souhlasu, s výjimkou dopravců.
Máte právo požadovat přístup ke svým údajům, jejich opravu nebo výmaz a podat stížnost u dozorového úřadu."""


@pytest.mark.parametrize("text", [ZH_POLICY, JA_POLICY, KO_POLICY, CS_POLICY], ids=["zh", "ja", "ko", "cs"])
def test_policies_in_languages_without_real_training_pages(text):
    assert classify(text).kind == "privacy"


def test_news_in_chinese_is_not_a_policy():
    assert classify(ZH_NEWS).probability < 0.5


def test_classify_command(tmp_path):
    (tmp_path / "zh.html").write_text("<html><head><title>隐私政策</title></head><body><div>"
                                      + "".join(f"<p>{line}</p>" for line in ZH_POLICY.splitlines()[1:])
                                      + "</div></body></html>", encoding="utf-8")
    (tmp_path / "news.html.gz").write_bytes(gzip.compress(
        ("<html><head><title>城市马拉松</title></head><body><article>" +
         "".join(f"<p>{line}</p>" for line in ZH_NEWS.splitlines()[1:]) + "</article></body></html>").encode()))
    (tmp_path / "folder").mkdir()
    r = run_palimpsest("classify", "--jsonl", str(tmp_path / "zh.html"), str(tmp_path / "folder"),
                       str(tmp_path / "news.html.gz"))
    assert r.returncode == 1  # one bad input, named, the rest classified
    assert "folder: is a folder" in r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [(o["policy"], o["kind"], o["language"]) for o in out] == [(True, "privacy", "zh"),
                                                                      (False, "other", "zh")]


def test_the_title_and_first_heading_are_read_as_a_name_and_an_older_model_still_loads():
    """The shipped model reads a block of the title and first heading beside the text; a model
    saved before that block (only the text's n-grams) is read as it was fitted."""
    from pipelines.classify.model import N_FEATURES, TITLE_FEATURES, features, heading

    model = load_model()
    assert model["coef"].shape[1] == N_FEATURES + TITLE_FEATURES
    assert heading("intro line\n\n## Cookie Policy\n\ntext") == "Cookie Policy"
    pages = [("# Cookie Policy\n\nWe use cookies.", "Cookies"), ("Some text.", "")]
    both = features(pages)
    assert both.shape == (2, N_FEATURES + TITLE_FEATURES) and both[0, N_FEATURES:].nnz > 0
    older = dict(model, coef=model["coef"][:, :N_FEATURES])
    text = "This privacy policy explains which personal data we collect and why. " * 20
    verdict = classify(text, "Privacy Policy", older)
    assert verdict.kind == "privacy" and set(verdict.probabilities) == set(KINDS)
