"""The HTML view of a report: the whole agreement with unfair clauses highlighted, then each finding.

One renderer for the Streamlit page and for the downloadable, self-contained report. Every piece
of user text passes through ``html.escape`` before it is placed in markup; nothing in the
output runs scripts.
"""
from __future__ import annotations

from html import escape

from analyzer.report import Finding, Report
from analyzer.taxonomy import labels

GRADE_COLOURS = {"A": "#2e7d32", "B": "#7cb342", "C": "#f9a825", "D": "#ef6c00", "E": "#c62828", None: "#757575"}
GRADE_WORDS = {"A": "良好", "B": "基本公平", "C": "存在问题", "D": "问题较多", "E": "问题严重", None: "无内容"}

CSS = """
.tos-report{font-family:-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;line-height:1.7;color:#222;max-width:1100px}
.tos-report h1{font-size:1.5em;margin:.2em 0}.tos-report h2{font-size:1.2em;margin:1.2em 0 .4em}
.tos-summary{display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap;border:1px solid #ddd;border-radius:8px;padding:12px 16px}
.tos-grade{font-size:2.6em;font-weight:700;color:#fff;border-radius:8px;width:1.6em;text-align:center}
.tos-stats div{margin:2px 0}.tos-bars{min-width:320px}
.tos-bar{display:flex;align-items:center;gap:6px;font-size:.9em}.tos-bar span.fill{display:inline-block;height:10px;border-radius:3px}
.tos-legend{margin:10px 0;display:flex;flex-wrap:wrap;gap:6px}
.tos-chip{display:inline-block;padding:0 8px;border-radius:10px;font-size:.85em;color:#fff;white-space:nowrap}
.tos-doc{white-space:pre-wrap;border:1px solid #eee;border-radius:8px;padding:12px 16px;background:#fcfcfc}
.tos-doc mark{border-radius:3px;padding:1px 0;color:inherit}
.tos-doc mark strong.tos-cue{text-decoration:underline 2px;font-weight:700}
.tos-doc a.tos-ref{font-size:.75em;vertical-align:super;text-decoration:none;margin-left:2px}
.tos-doc .tos-heading{font-weight:700}.tos-doc .tos-gap{color:#999}
.tos-finding{border:1px solid #ddd;border-left-width:6px;border-radius:6px;margin:10px 0;padding:6px 12px}
.tos-finding summary{cursor:pointer;font-weight:600}
.tos-clause{background:#f6f6f6;padding:6px 10px;border-radius:4px;margin:6px 0}
.tos-law{margin:8px 0 8px 4px}.tos-law blockquote{margin:4px 0 4px 0;padding:4px 10px;border-left:3px solid #bbb;background:#fafafa;white-space:pre-wrap;font-size:.92em}
.tos-kind{font-size:.8em;border:1px solid #999;border-radius:4px;padding:0 4px;margin-left:4px}
.tos-kind.civil_void,.tos-kind.judicial,.tos-kind.civil_notice{border-color:#c62828;color:#c62828}
.tos-kind.administrative{border-color:#1565c0;color:#1565c0}
.tos-note{font-size:.85em;color:#8d6e00}.tos-suggest{background:#eef7ee;padding:6px 10px;border-radius:4px;white-space:pre-wrap}
.tos-sev-高{color:#c62828;font-weight:700}.tos-sev-中{color:#ef6c00;font-weight:700}
table.tos-index{border-collapse:collapse}table.tos-index td,table.tos-index th{border:1px solid #ddd;padding:4px 8px}
"""


def _chip(label: str) -> str:
    lab = labels()[label]
    return f'<span class="tos-chip" style="background:{lab.colour}">{escape(lab.name)}</span>'


def _clause_html(text: str, start: int, finding: Finding | None, number: int) -> str:
    if finding is None:
        return escape(text)
    # evidence spans may overlap (two rules, two labels): merge them into disjoint intervals
    spans = sorted((e.start - start, e.end - start) for e in finding.evidence if start <= e.start < e.end)
    merged: list[list[int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    parts, pos = [], 0
    for a, b in merged:
        parts.append(escape(text[pos:a]))
        parts.append(f'<strong class="tos-cue">{escape(text[a:b])}</strong>')
        pos = b
    parts.append(escape(text[pos:]))
    colour = labels()[finding.labels[0]].colour
    title = "、".join(labels()[x].name for x in finding.labels)
    return (
        f'<mark id="tos-c{finding.clause_index}" style="background:{colour}33;border-bottom:3px solid {colour}" '
        f'title="{escape(title)}">{"".join(parts)}</mark><a class="tos-ref" href="#tos-f{number}">[{number}]</a>'
    )


def _document_html(report: Report, show_fair: bool) -> str:
    by_clause = {f.clause_index: (n, f) for n, f in enumerate(report.findings, 1)}
    text = report.text
    out, pos = [], 0
    for c in report.clauses:
        hit = by_clause.get(c.index)
        if show_fair:
            out.append(escape(text[pos : c.start]))
        elif hit is None and not c.is_heading:
            continue
        elif out:
            out.append("\n")
        body = _clause_html(c.text, c.start, hit[1] if hit else None, hit[0] if hit else 0)
        out.append(f'<span class="tos-heading">{body}</span>' if c.is_heading else body)
        pos = c.end
    if show_fair:
        out.append(escape(text[pos:]))
    return "".join(out)


def _finding_html(n: int, f: Finding, *, open_: bool) -> str:
    colour = labels()[f.labels[0]].colour
    chips = "".join(_chip(x) for x in f.labels)
    evidence = "；".join(f"「{escape(e.cue)}」" for e in f.evidence) or "—"
    laws = []
    for c in f.laws:
        note = f'<div class="tos-note">注：{escape(c.note)}</div>' if c.note else ""
        laws.append(
            f'<div class="tos-law"><b>{escape(c.cite)}</b><span class="tos-kind {escape(c.kind)}">{escape(c.kind_zh)}</span>'
            f"<div>{escape(c.reason)}</div><blockquote>{escape(c.text)}</blockquote>{note}</div>"
        )
    where = escape(f.heading) + "，" if f.heading else ""
    return (
        f'<details class="tos-finding" id="tos-f{n}" style="border-left-color:{colour}"{" open" if open_ else ""}>'
        f"<summary>[{n}] {chips} <span class=\"tos-sev-{escape(f.severity)}\">{escape(f.severity)}</span> "
        f"置信度 {f.score:.2f}</summary>"
        f'<div class="tos-clause">{escape(f.text)}</div>'
        f"<div>位置：{where}字符 {f.start}–{f.end}；证据：{evidence}</div>"
        f"<h4>说明</h4><div style=\"white-space:pre-wrap\">{escape(f.explanation)}</div>"
        f"<h4>法律依据（先列民事效力依据，后列行政监管规定）</h4>{''.join(laws)}"
        f'<h4>建议的公平表述</h4><div class="tos-suggest">{escape(f.suggestion)}</div>'
        "</details>"
    )


def render_html(
    report: Report,
    *,
    title: str = "用户协议分析报告",
    standalone: bool = True,
    show_fair: bool = True,
    seconds: float | None = None,
    open_findings: bool = False,
) -> str:
    """The report as HTML: a complete page (``standalone``) or a fragment for embedding."""
    table = labels()
    counts = report.label_counts()
    top = max(counts.values(), default=1)
    bars = "".join(
        f'<div class="tos-bar"><span style="width:7em">{escape(table[lab].name)}</span>'
        f'<span class="fill" style="width:{max(4, 160 * counts.get(lab, 0) // top)}px;background:{table[lab].colour}"></span>'
        f"<span>{counts.get(lab, 0)}</span></div>"
        for lab in table
        if counts.get(lab)
    ) or "<div>未发现问题条款</div>"
    timing = f"<div>用时：{seconds:.2f} 秒</div>" if seconds is not None else ""
    summary = (
        '<div class="tos-summary">'
        f'<div class="tos-grade" style="background:{GRADE_COLOURS[report.grade]}">{report.grade or "—"}</div>'
        f'<div class="tos-stats"><div><b>{GRADE_WORDS[report.grade]}</b></div>'
        f"<div>分析条款：{len(report.clauses)}</div><div>问题条款：{len(report.findings)}</div>{timing}</div>"
        f'<div class="tos-bars">{bars}</div></div>'
    )
    legend = '<div class="tos-legend">' + "".join(_chip(lab) for lab in table) + "</div>"
    findings = "".join(_finding_html(n, f, open_=open_findings) for n, f in enumerate(report.findings, 1))
    body = (
        f'<div class="tos-report"><h1>{escape(title)}</h1>{summary}{legend}'
        f'<h2>协议全文</h2><div class="tos-doc">{_document_html(report, show_fair)}</div>'
        f"<h2>问题条款（{len(report.findings)}）</h2>{findings or '<p>未发现问题条款。</p>'}</div>"
    )
    if not standalone:
        return f"<style>{CSS}</style>{body}"
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>{body}</body></html>\n"
    )


def render_index(rows: list[dict], title: str = "批量审查结果") -> str:
    """An index page ranking documents by grade, linking to one page per document.

    ``rows``: dicts with ``path``, ``href`` (or None when the file failed), ``grade``, ``findings``, ``error``.
    """
    order = {g: i for i, g in enumerate("EDCBA")}
    rows = sorted(rows, key=lambda r: (r.get("error") is not None, order.get(r.get("grade"), 9), -r.get("findings", 0), r["path"]))
    trs = []
    for r in rows:
        name = escape(r["path"])
        link = f'<a href="{escape(r["href"])}">{name}</a>' if r.get("href") else name
        grade = r.get("grade")
        cell = (f'<span class="tos-chip" style="background:{GRADE_COLOURS.get(grade, "#757575")}">{escape(grade or "—")}</span>'
                if not r.get("error") else "错误")
        detail = escape(r["error"]) if r.get("error") else str(r.get("findings", 0))
        trs.append(f"<tr><td>{cell}</td><td>{link}</td><td>{detail}</td></tr>")
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><div class=\"tos-report\">"
        f"<h1>{escape(title)}</h1><table class=\"tos-index\"><tr><th>等级</th><th>文件</th><th>问题条款 / 错误</th></tr>"
        f"{''.join(trs)}</table></div></body></html>\n"
    )
