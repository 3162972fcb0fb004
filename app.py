"""Streamlit page: paste or upload a Chinese agreement, see every unfair clause highlighted with its law.

Run with ``make run`` (or ``streamlit run app.py``).
"""
from __future__ import annotations

import hashlib
import time
from importlib import resources

import streamlit as st

from analyzer.engine import MAX_CHARS, Analyzer
from analyzer.readers import LIMITS, SUFFIXES, ReadError, read_bytes
from analyzer.taxonomy import LABEL_IDS, labels
from analyzer.writers import render_csv, render_html, render_markdown

SAMPLES = {
    "声澜音乐会员服务协议": "music_membership.txt",
    "云舟网盘隐私政策": "cloud_privacy.txt",
    "晨曦健身會員卡條款（繁體）": "fitness_card_traditional.txt",
}

st.set_page_config(page_title="用户协议霸王条款分析", page_icon="⚖️", layout="wide")


@st.cache_resource(show_spinner="正在加载模型……")
def get_analyzer(engine: str) -> Analyzer:
    # one per server process: the model is loaded once and shared by every session
    return Analyzer(engine=engine)


@st.cache_data(show_spinner=False, max_entries=64)
def cached_analysis(text: str, engine: str, threshold: float | None, explain: bool = True, _progress=None):
    # results are cached per text and settings; the underscore keeps the callback out of the cache key
    t0 = time.perf_counter()
    report = get_analyzer(engine).analyze(text, threshold=threshold, progress=_progress, explain=explain)
    return report, time.perf_counter() - t0


@st.cache_resource
def explained_texts() -> set:
    """Keys of the texts whose full report (with word evidence) ``cached_analysis`` holds."""
    return set()


def _sample(name: str) -> str:
    return resources.files("analyzer").joinpath("samples", SAMPLES[name]).read_text(encoding="utf-8")


def sidebar() -> tuple[str, float | None, list[str], bool]:
    st.sidebar.header("设置")
    engine = st.sidebar.radio("分析引擎", ["model", "rules"], format_func={"model": "模型（默认）", "rules": "规则（对照）"}.get)
    auto = st.sidebar.checkbox("使用模型在验证集上选定的阈值", value=True)
    threshold = None if auto else st.sidebar.slider("灵敏度阈值（越低越敏感）", 0.05, 0.95, 0.5, 0.05)
    names = labels()
    chosen = st.sidebar.multiselect("只显示这些类型", LABEL_IDS, default=list(LABEL_IDS), format_func=lambda x: names[x].name)
    show_fair = st.sidebar.toggle("显示公平条款（全文）", value=True)
    return engine, threshold, chosen, show_fair


def read_input() -> tuple[str | None, str]:
    """The text to analyse (or None) and where it came from."""
    tab_paste, tab_upload, tab_sample = st.tabs(["粘贴文本", "上传文件", "示例协议"])
    with tab_paste:
        pasted = st.text_area("粘贴用户协议全文", height=220, key="pasted", placeholder="将会员服务协议、自动续费协议、隐私政策等粘贴到这里……")
        if st.button("分析", type="primary", key="analyze_paste"):
            st.session_state["source"] = ("paste", pasted)
    with tab_upload:
        up = st.file_uploader(
            f"上传文件（{'、'.join(SUFFIXES)}，不超过 {LIMITS.max_file_bytes // 1024 // 1024} MB）",
            type=[s.lstrip(".") for s in SUFFIXES],
        )
        if up is not None and st.button("分析上传的文件", key="analyze_upload"):
            st.session_state["source"] = ("upload", up.name, up.getvalue())
    with tab_sample:
        cols = st.columns(len(SAMPLES))
        for col, name in zip(cols, SAMPLES):
            if col.button(name, key=f"sample_{name}"):
                st.session_state["source"] = ("sample", name)
    src = st.session_state.get("source")
    if not src:
        return None, ""
    if src[0] == "paste":
        return src[1], "粘贴的文本"
    if src[0] == "sample":
        return _sample(src[1]), src[1]
    try:
        return read_bytes(src[2], src[1]), src[1]
    except ReadError as e:
        st.error(f"无法读取文件「{src[1]}」：{e}")
        return None, src[1]


def main() -> None:
    st.title("⚖️ 用户协议霸王条款分析")
    st.caption("逐条识别排除退款、自动续费陷阱、最终解释权、单方变更/终止、免责、加重责任、限制救济、个人信息滥用等不公平格式条款，并给出法律依据原文。分析结果仅供参考，不构成法律意见。")
    engine, threshold, chosen, show_fair = sidebar()
    text, source = read_input()
    if text is None:
        return
    if not text.strip():
        st.warning("没有可分析的文字：请粘贴协议全文、上传文件，或选择一份示例协议。")
        return
    if len(text) > MAX_CHARS:
        st.error(f"文本共 {len(text):,} 字，超过单次分析上限 {MAX_CHARS:,} 字，请拆分后分别分析。")
        return
    try:
        get_analyzer(engine)
    except Exception as e:  # ModelUnavailable and friends: say what is missing, no stack trace
        st.error(f"模型无法加载：{e}")
        return
    title = f"分析结果：{source}"
    notice, result = st.empty(), st.empty()
    # With its explainer the model's word evidence comes with the scores. Without one (occlusion, several times
    # the scoring) the findings are shown as soon as they are scored, then again with the words behind them
    # (the second pass reuses the scores). A text already explained (by any session: the cache is the
    # server's) goes straight to its full report.
    key = (hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), engine, threshold)
    explained = explained_texts()
    model = get_analyzer(engine).model
    # long agreements show progress instead of a frozen page
    bar = st.progress(0.0, text="正在分析……") if len(text) > 3000 and engine == "model" and key not in explained else None
    progress = (lambda x: bar.progress(min(1.0, x), text=f"正在分析……{x:.0%}")) if bar else None
    scoring = 0.0
    if model is not None and getattr(model, "explainer", None) is None and key not in explained:
        quick, scoring = cached_analysis(text, engine, threshold, False, _progress=progress)
        progress = None
        if bar is not None:
            bar.empty()
        notice.html('<div class="tos-pending" style="color:#555;padding:4px 0">评分完成，正在定位模型判断所依据的词语……</div>')
        result.html(render_html(quick.filtered(chosen), title=title, standalone=False, show_fair=show_fair, seconds=scoring))
    report, seconds = cached_analysis(text, engine, threshold, True, _progress=progress)
    if bar is not None:
        bar.empty()
    seconds += scoring  # the evidence pass found the scores cached: the user waited for both
    explained.add(key)
    view = report.filtered(chosen)
    notice.empty()
    result.html(render_html(view, title=title, standalone=False, show_fair=show_fair, seconds=seconds))
    st.subheader("下载报告")
    c1, c2, c3, c4 = st.columns(4)
    c1.download_button("JSON", view.to_json(), "report.json", "application/json")
    c2.download_button("CSV", render_csv([(source, view)]), "report.csv", "text/csv")
    c3.download_button("Markdown", render_markdown(view, title), "report.md", "text/markdown")
    c4.download_button("HTML", render_html(view, title=title, seconds=seconds), "report.html", "text/html")


main()
