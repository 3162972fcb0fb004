"""``python -m analyzer.demo [FILE]``: analyse an agreement (a bundled sample by default) and print the findings."""
from __future__ import annotations

import argparse
import sys
import textwrap
import time
from importlib import resources
from pathlib import Path

from analyzer.engine import Analyzer
from analyzer.taxonomy import labels


def _sample() -> str:
    return resources.files("analyzer").joinpath("samples/music_membership.txt").read_text(encoding="utf-8")


def render_text(report, *, laws: bool = True) -> str:
    """A plain-text view of a report for the terminal."""
    names = labels()
    lines = [
        f"等级 {report.grade}  ·  条款 {len(report.clauses)}  ·  问题条款 {len(report.findings)}  ·  引擎 {report.engine}",
        "",
    ]
    for n, f in enumerate(report.findings, 1):
        tags = "、".join(names[x].name for x in f.labels)
        lines.append(f"[{n}] {tags}（{f.severity}，{f.score:.2f}）  位置 {f.start}-{f.end}  {f.heading}")
        lines.append(textwrap.indent(f.text, "    "))
        for e in f.evidence:
            lines.append(f"    证据：「{e.cue}」（{e.source}）")
        if laws:
            for c in f.laws:
                lines.append(f"    依据：{c.cite}［{c.kind_zh}］{c.reason}")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m analyzer.demo", description=__doc__)
    ap.add_argument("file", nargs="?", help="a UTF-8 text file (default: the bundled sample agreement)")
    ap.add_argument("--threshold", type=float, default=None)
    ap.add_argument("--engine", choices=["model", "rules"], default="model")
    args = ap.parse_args(argv)
    text = Path(args.file).read_text(encoding="utf-8") if args.file else _sample()
    t0 = time.perf_counter()
    report = Analyzer(engine=args.engine).analyze(text, threshold=args.threshold)
    print(render_text(report))
    print(f"用时 {1000 * (time.perf_counter() - t0):.0f} ms", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
