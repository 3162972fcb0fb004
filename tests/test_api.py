from __future__ import annotations

import json
import threading

import pytest

import analyzer
from analyzer import Analyzer
from analyzer.engine import MAX_CHARS
from analyzer.laws import catalog

# The rule engine's behaviour is fixed by its YAML data, so the API contract is tested on it;
# tests/test_model.py covers the default (model) engine.
RULES = Analyzer(engine="rules")
analyze = RULES.analyze

EXAMPLE = "第八条 本平台保留对本协议的最终解释权。会员服务一经开通概不退款。"


def test_readme_example_two_findings_with_offsets_and_verbatim_law():
    report = analyze(EXAMPLE)
    assert [f.labels for f in report.findings] == [["final_interpretation"], ["no_refund"]]
    first, second = report.findings
    assert (first.start, first.end) == (0, 20)
    assert (second.start, second.end) == (20, 33)
    for f in report.findings:
        assert EXAMPLE[f.start : f.end] == f.text
        for e in f.evidence:
            assert f.start <= e.start < e.end <= f.end
            assert EXAMPLE[e.start : e.end] == e.cue
        for c in f.laws:
            assert c.text == catalog()[c.article_id].text
    assert first.evidence[0].cue == "最终解释权"
    cites = [c.cite for c in first.laws]
    assert "《合同行政监督管理办法》第八条（七）" in cites and "《网络消费纠纷规定（一）》第一条（三）" in cites
    assert second.laws[0].cite == "《民法典》第四百九十七条（三）"
    d = json.loads(report.to_json())
    assert d["findings"][0]["laws"][0]["text"].startswith("第一条")
    assert d["grade"] == "C"


def test_report_lists_every_clause():
    report = analyze("声澜音乐会员服务协议\n一、总则\n1.1 本协议适用于会员。\n1.2 会员费不予退还。")
    assert [c.text for c in report.clauses] == ["声澜音乐会员服务协议", "一、总则", "1.1 本协议适用于会员。", "1.2 会员费不予退还。"]
    assert report.clauses[3].labels == ["no_refund"] and report.clauses[3].heading == "一、总则"
    assert report.clauses[2].labels == [] and report.clauses[2].scores == {}


def test_traditional_script_offsets_point_into_the_original():
    text = "第十條　本公司保留對本協議的最終解釋權。"
    f = analyze(text).findings[0]
    assert f.labels == ["final_interpretation"]
    assert f.evidence[0].cue == "最終解釋權" and text[f.evidence[0].start : f.evidence[0].end] == "最終解釋權"


def test_fullwidth_text_evidence_maps_back():
    text = "ＶＩＰ會員自動續費扣款成功後，一律不予退還！"
    f = analyze(text).findings[0]
    assert set(f.labels) == {"no_refund", "auto_renewal"}
    for e in f.evidence:
        assert text[e.start : e.end] == e.cue


@pytest.mark.parametrize("bad", [None, 42, b"\xe4\xbd\xa0", ["a"]])
def test_non_str_raises_type_error(bad):
    with pytest.raises(TypeError, match="expects the agreement as str"):
        analyze(bad)


@pytest.mark.parametrize("empty", ["", "   ", "\n\n\t\u3000\n"])
def test_empty_gives_an_empty_report(empty):
    r = analyze(empty)
    assert r.clauses == [] and r.findings == [] and r.grade is None
    assert json.loads(r.to_json())["clause_count"] == 0


def test_size_limit_names_the_limit():
    with pytest.raises(ValueError, match=f"{MAX_CHARS:,}"):
        analyze("条" * (MAX_CHARS + 1))
    small = Analyzer(engine="rules", max_chars=10)
    with pytest.raises(ValueError, match="10"):
        small.analyze("x" * 11)


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x01\x02本平台\x00保留最终解释权\x7f",
        "<script>alert(1)</script>本平台保留最终解释权<img src=x onerror=alert(1)>",
        "Mixed 中英 text, ①②③ ㈠㈡, emoji 😀, Ελληνικά, العربية。会员费概不退款",
        "\ud800 lone surrogate 会员费概不退款",
        "。。。！！！？？？；；；",
    ],
)
def test_odd_input_never_crashes(text):
    r = analyze(text)
    shown = text.replace("\ud800", "\ufffd")  # lone surrogates are replaced one for one
    for c in r.clauses:
        assert shown[c.start : c.end] == c.text
    r.to_json().encode("utf-8")


def test_html_is_kept_as_text_and_offsets_still_exact():
    text = "<p>本平台保留最终解释权</p>"
    f = analyze(text).findings[0]
    assert text[f.start : f.end] == f.text


def test_output_is_deterministic():
    from analyzer.demo import _sample

    text = _sample()
    assert analyze(text).to_json() == analyze(text).to_json() == Analyzer(engine="rules").analyze(text).to_json()


def test_threshold_and_validation():
    assert analyze(EXAMPLE, threshold=0.95).findings == []
    assert len(analyze(EXAMPLE, threshold=0.9).findings) == 2
    for bad in (0, -1, 1.5, "0.5"):
        with pytest.raises(ValueError):
            analyze(EXAMPLE, threshold=bad)


def test_label_filter_allow_list_and_engine_validation():
    only = Analyzer(engine="rules", labels=["no_refund"]).analyze(EXAMPLE)
    assert [f.labels for f in only.findings] == [["no_refund"]]
    allowed = Analyzer(engine="rules", allow_list=["最終解釋權"]).analyze(EXAMPLE)
    assert [f.labels for f in allowed.findings] == [["no_refund"]]
    with pytest.raises(ValueError, match="unknown label"):
        Analyzer(engine="rules", labels=["bogus"])
    with pytest.raises(ValueError, match="unknown engine"):
        Analyzer(engine="gpt")


def test_analyze_many_keeps_order():
    texts = ["会员费概不退款。", "", "本平台保留最终解释权。"]
    reports = RULES.analyze_many(texts)
    assert [[f.labels for f in r.findings] for r in reports] == [[["no_refund"]], [], [["final_interpretation"]]]


def test_analyzer_is_safe_to_share_between_threads():
    from analyzer.demo import _sample

    shared = RULES
    text = _sample()
    expected = shared.analyze(text).to_json()
    results, errors = [], []

    def work():
        try:
            for _ in range(5):
                results.append(shared.analyze(text).to_json())
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results and all(r == expected for r in results)


def test_severity_and_grades():
    from analyzer.report import grade

    assert analyze("本协议自公布之日起生效。").grade == "A"
    assert analyze("我们可根据运营需要调整会员价格，恕不另行通知。").grade == "B"  # one 中 finding
    assert analyze(EXAMPLE).grade == "C"  # two 高 findings
    assert grade([], 0) is None


def test_demo_prints_findings(capsys):
    from analyzer.demo import main

    assert main(["--engine", "rules"]) == 0
    out = capsys.readouterr().out
    assert "最终解释权" in out and "《民法典》第四百九十七条" in out
