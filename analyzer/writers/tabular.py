"""One CSV row per finding."""
from __future__ import annotations

import csv
import io
from typing import Iterable

from analyzer.report import Report
from analyzer.taxonomy import labels

CSV_FIELDS = ["document", "clause_index", "start", "end", "labels", "label_names", "severity", "score", "evidence",
              "laws", "text"]


def csv_rows(report: Report, document: str = "") -> list[dict[str, str]]:
    names = labels()
    rows = []
    for f in report.findings:
        rows.append(
            {
                "document": document,
                "clause_index": str(f.clause_index),
                "start": str(f.start),
                "end": str(f.end),
                "labels": ";".join(f.labels),
                "label_names": "、".join(names[x].name for x in f.labels),
                "severity": f.severity,
                "score": f"{f.score:.4f}",
                "evidence": " | ".join(e.cue for e in f.evidence),
                "laws": "；".join(c.cite for c in f.laws),
                "text": f.text,
            }
        )
    return rows


def render_csv(reports: Iterable[tuple[str, Report]]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for name, report in reports:
        w.writerows(csv_rows(report, name))
    return buf.getvalue()
