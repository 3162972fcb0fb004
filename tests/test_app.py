"""The Streamlit page, driven by streamlit.testing (no browser): tests/test_e2e.py drives a real one."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analyzer.laws import catalog

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    return app


def _html(at: AppTest) -> str:
    return "".join(e.proto.body for e in at.get("html"))


def test_sample_shows_findings_and_law_texts(at):
    at.button(key="sample_声澜音乐会员服务协议").click().run()
    assert not at.exception
    page = _html(at)
    assert page.count("<mark") >= 5
    # verbatim article texts are on the page (escaped only where the text needs it)
    assert catalog()["civil_code.497"].text.split("\n")[0] in page
    assert "最终解释权" in page and "第八条" in page
    assert [b.label for b in at.get("download_button")] == ["JSON", "CSV", "Markdown", "HTML"]


def test_paste_then_analyse(at):
    at.text_area(key="pasted").input("第八条 本平台保留对本协议的最终解释权。会员服务一经开通概不退款。")
    at.button(key="analyze_paste").click().run()
    page = _html(at)
    assert page.count("<mark") == 2
    assert "《合同行政监督管理办法》第八条（七）" in page


def test_model_only_finding_shows_the_words_behind_it(at, monkeypatch):
    # no rule cue matches the first clause: its evidence can only come from the model
    import streamlit as st

    from analyzer.engine import Analyzer

    st.cache_data.clear()  # analysed afresh, not served from an earlier test's cache
    calls, analyze = [], Analyzer.analyze
    monkeypatch.setattr(Analyzer, "analyze", lambda self, text, **kw: calls.append(kw.get("explain")) or analyze(self, text, **kw))
    at.text_area(key="pasted").input("运营方认为你的账号存在异常的，可以先行冻结全部功能，冻结期间会员天数照常扣减。")
    at.button(key="analyze_paste").click().run()
    assert calls == [True]  # the explainer's evidence comes with the scores: one pass
    page = _html(at)
    assert "tos-pending" not in page  # the notice of the first render is gone once the evidence is in
    assert page.count("<mark") == 1 and 'class="tos-cue"' in page
    # the same text again, with other settings on the page: straight to the full report
    at.sidebar.toggle[0].set_value(False).run()
    assert "tos-pending" not in _html(at) and 'class="tos-cue"' in _html(at)


def test_without_an_explainer_findings_come_first_then_the_words_behind_them(monkeypatch):
    """A model with no explainer pays occlusion: the page scores first, then explains (the second pass)."""
    import streamlit as st

    from analyzer.engine import Analyzer
    from analyzer.model.explainer import Explainer

    monkeypatch.setattr(Explainer, "load", classmethod(lambda cls, *a, **k: None))
    calls, analyze = [], Analyzer.analyze

    def spy(self, text, **kw):
        calls.append(kw.get("explain"))
        return analyze(self, text, **kw)

    monkeypatch.setattr(Analyzer, "analyze", spy)
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        app = AppTest.from_file(APP, default_timeout=120)
        app.run()
        app.text_area(key="pasted").input("运营方认为你的账号存在异常的，可以先行冻结全部功能，冻结期间会员天数照常扣减。")
        app.button(key="analyze_paste").click().run()
        assert not app.exception
        page = _html(app)
        assert "tos-pending" not in page and page.count("<mark") == 1 and 'class="tos-cue"' in page
        assert [c for c in calls if c is not None] == [False, True]  # scores first, then the evidence
    finally:
        st.cache_resource.clear()  # the next tests get an analyzer with its explainer again
        st.cache_data.clear()


def test_empty_input_shows_a_message(at):
    at.text_area(key="pasted").input("   \n  ")
    at.button(key="analyze_paste").click().run()
    assert not at.exception
    assert any("没有可分析的文字" in w.value for w in at.warning)
    assert not at.get("html")


def test_hostile_html_is_escaped(at):
    hostile = '<script>alert(1)</script><img src=x onerror="alert(2)">本平台保留对本协议的最终解释权。'
    at.text_area(key="pasted").input(hostile)
    at.button(key="analyze_paste").click().run()
    page = _html(at)
    assert "<script>alert" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<mark") == 1


def test_unreadable_upload_shows_the_reason(at):
    at.session_state["source"] = ("upload", "broken.docx", b"PK\x03\x04 not really a docx")
    at.run()
    assert not at.exception
    assert any("无法读取文件" in e.value and "zip" in e.value for e in at.error)


def test_sidebar_filter_and_threshold(at):
    at.sidebar.multiselect[0].set_value(["no_refund"])
    at.button(key="sample_声澜音乐会员服务协议").click().run()
    page = _html(at)
    assert "排除退款" in page and "最终解释权</span>" not in page.split("问题条款（")[1]


def test_the_served_page_does_not_watch_the_source_tree():
    """With Streamlit's file watcher on, changes under the repository (the .venv included) made it
    re-walk the whole tree during analyses, halving the page's speed (measured with py-spy)."""
    import tomllib

    config = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["fileWatcherType"] == "none"
