"""Chinese terms-of-service clause analyzer.

>>> from analyzer import analyze
>>> report = analyze("本平台保留对本协议的最终解释权。")
>>> [f.labels for f in report.findings]
[['final_interpretation']]
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["analyze", "Analyzer", "Report", "Finding", "segment"]

if TYPE_CHECKING:  # pragma: no cover
    from analyzer.engine import Analyzer, analyze
    from analyzer.report import Finding, Report
    from analyzer.segment import segment


def __getattr__(name: str) -> Any:
    # Imported lazily so that light tools (the corpus linter, the law builder) start fast.
    if name in ("analyze", "Analyzer"):
        from analyzer import engine

        return getattr(engine, name)
    if name in ("Report", "Finding"):
        from analyzer import report

        return getattr(report, name)
    if name == "segment":
        from analyzer.segment import segment

        return segment
    raise AttributeError(f"module 'analyzer' has no attribute {name!r}")
