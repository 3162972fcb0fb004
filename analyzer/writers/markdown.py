"""A Markdown report: summary, then each finding with its evidence, laws and fair wording."""
from __future__ import annotations

from analyzer.report import Report
from analyzer.taxonomy import labels


def _quote(text: str) -> str:
    return "\n".join("> " + line for line in text.split("\n"))


def render_markdown(report: Report, title: str = "用户协议分析报告") -> str:
    names = labels()
    out = [f"# {title}", "", f"- 等级：**{report.grade or '—'}**", f"- 分析条款数：{len(report.clauses)}",
           f"- 问题条款数：{len(report.findings)}"]
    for lab, n in report.label_counts().items():
        out.append(f"  - {names[lab].name}（`{lab}`）：{n}")
    out.append("")
    for n, f in enumerate(report.findings, 1):
        tags = "、".join(names[x].name for x in f.labels)
        out += [f"## {n}. {tags}（{f.severity}，置信度 {f.score:.2f}）", ""]
        if f.heading:
            out.append(f"位置：{f.heading}（字符 {f.start}–{f.end}）")
        else:
            out.append(f"位置：字符 {f.start}–{f.end}")
        out += ["", _quote(f.text), ""]
        if f.evidence:
            out.append("证据：" + "；".join(f"「{e.cue}」" for e in f.evidence))
            out.append("")
        out += ["**说明**", "", f.explanation, "", "**法律依据**", ""]
        for c in f.laws:
            out.append(f"- {c.cite}（{c.kind_zh}）：{c.reason}")
            out.append("")
            out.append("  " + _quote(c.text).replace("\n", "\n  "))
            if c.note:
                out.append(f"  *注：{c.note}*")
            out.append("")
        out += ["**建议的公平表述**", "", f.suggestion, ""]
    return "\n".join(out)
