"""``tos-audit``: audit saved terms files in bulk, or compare two versions of an agreement.

    tos-audit PATH... [--format jsonl|json|csv|md|html] [-o FILE|DIR] [--jobs N] [--resume]
    tos-audit diff OLD NEW [--format text|json]

Exit codes: 0 done; 1 a finding at or above ``--fail-on``; 2 usage error or nothing readable.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from analyzer.taxonomy import LABEL_IDS, labels

FORMATS = ("jsonl", "json", "csv", "md", "html")
SEVERITY_RANK = {"中": 1, "高": 2}


class UsageError(Exception):
    pass


def _atomic_write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(content, encoding="utf-8")
    os.replace(tmp, path)


def _jsonl(records: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    out = []
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short by a crash is simply redone
    return out


def _csv(records: list[dict[str, Any]]) -> str:
    from analyzer.writers.tabular import CSV_FIELDS

    names = labels()
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS + ["error"], lineterminator="\n")
    w.writeheader()
    for r in records:
        if r.get("error"):
            w.writerow({"document": r["path"], "error": r["error"]})
            continue
        for f in r["findings"]:
            w.writerow(
                {
                    "document": r["path"],
                    "clause_index": f["clause_index"],
                    "start": f["start"],
                    "end": f["end"],
                    "labels": ";".join(f["labels"]),
                    "label_names": "、".join(names[x].name for x in f["labels"]),
                    "severity": f["severity"],
                    "score": f"{f['score']:.4f}",
                    "evidence": " | ".join(e["cue"] for e in f["evidence"]),
                    "laws": "；".join(c["cite"] for c in f["laws"]),
                    "text": f["text"],
                    "error": "",
                }
            )
    return buf.getvalue()


def _page_name(i: int, path: str) -> str:
    stem = re.sub(r"[^\w\u4e00-\u9fff.-]+", "_", Path(path).stem)[:60]
    return f"{i:05d}-{stem}.html"


def summary(records: list[dict[str, Any]]) -> str:
    names = labels()
    ok = [r for r in records if not r.get("error")]
    failed = [r for r in records if r.get("error")]
    counts = {lab: sum(r["label_counts"].get(lab, 0) for r in ok) for lab in LABEL_IDS}
    lines = [f"文件 {len(records)}  成功 {len(ok)}  失败 {len(failed)}  问题条款 {sum(len(r['findings']) for r in ok)}"]
    for lab in LABEL_IDS:
        if counts[lab]:
            lines.append(f"  {names[lab].name:8s} {lab:24s} {counts[lab]}")
    order = {g: i for i, g in enumerate("EDCBA")}
    worst = sorted(ok, key=lambda r: (order.get(r["grade"], 9), -len(r["findings"]), r["path"]))[:5]
    if worst:
        lines.append("问题最严重的文件：")
        lines += [f"  {r['grade']}  {len(r['findings']):3d} 条  {r['path']}" for r in worst]
    for r in failed[:10]:
        lines.append(f"  失败：{r['path']}：{r['error']}")
    if len(failed) > 10:
        lines.append(f"  …另有 {len(failed) - 10} 个文件失败")
    return "\n".join(lines)


class _Progress:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, done: int, total: int) -> None:
        if self.enabled:
            width = 30
            filled = width * done // max(1, total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            sys.stderr.flush()
            if done == total:
                sys.stderr.write("\n")


def audit(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="tos-audit", description="Audit saved Chinese terms files for unfair clauses.")
    ap.add_argument("paths", nargs="+", metavar="PATH", help="files, directories (searched recursively) or globs")
    ap.add_argument("--format", choices=FORMATS, default="jsonl")
    ap.add_argument("-o", "--output", help="output file (a directory for --format html); default: standard output")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (local) or Ray actors (default 1; Ray: at least 2)")
    ap.add_argument("--engine", choices=["local", "ray"], default="local", help="local processes or a Ray cluster")
    ap.add_argument("--ray-address", help="address of a running Ray cluster (default: $RAY_ADDRESS, else a local one)")
    ap.add_argument("--analyzer", choices=["model", "rules"], default="model", help="classifier (default: the model)")
    ap.add_argument("--threshold", type=float, default=None, help="one threshold for every label (default: per-label)")
    ap.add_argument("--fail-on", choices=["中", "高"], help="exit 1 when a finding of this severity or higher exists")
    ap.add_argument("--resume", action="store_true", help="skip inputs already recorded (by sha256) in the JSONL output")
    ap.add_argument("--quiet", action="store_true", help="no progress bar and no summary on stderr")
    ap.add_argument("--no-explain", action="store_true",
                    help="skip the word-level evidence of model-only findings")
    ap.add_argument("--occlusion", action="store_true",
                    help="measure the word-level evidence by deleting words and scoring again, instead of the "
                         "model's explainer (about eleven model runs per finding; see benchmarks/bench_evidence.py)")
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    if args.jobs < 1:
        ap.error("--jobs must be at least 1")
    if args.format == "html" and not args.output:
        print("tos-audit: --format html writes a folder: give it with -o DIR", file=sys.stderr)
        return 2
    if args.resume and (args.format != "jsonl" or not args.output):
        print("tos-audit: --resume needs --format jsonl and -o FILE", file=sys.stderr)
        return 2

    from analyzer.batch import expand_inputs, load, record

    paths, missing = expand_inputs(args.paths)
    for m in missing:
        print(f"tos-audit: {m}: no such file, directory or match", file=sys.stderr)
    if not paths:
        print("tos-audit: nothing to audit", file=sys.stderr)
        return 2

    out = Path(args.output) if args.output else None
    previous: dict[str, dict[str, Any]] = {}
    partial = out.with_name(out.name + ".partial") if out and args.format == "jsonl" else None
    if args.resume:
        for r in _read_jsonl(out) + _read_jsonl(partial):
            if r.get("sha256") and not r.get("error"):
                previous[r["sha256"]] = r

    records: dict[str, dict[str, Any]] = {}
    todo = []
    for p in paths:
        if previous:
            x = load(p)
            if x.sha256 in previous:
                records[p] = {**previous[x.sha256], "path": p}
                continue
        todo.append(p)

    keep = args.format in ("html", "md")
    explain = False if args.no_explain else "occlusion" if args.occlusion else True
    reports: dict[str, Any] = {}
    progress = _Progress(sys.stderr.isatty() and not args.quiet)
    try:
        if args.engine == "ray":
            from analyzer.distributed import audit_ray

            stream = audit_ray(todo, engine=args.analyzer, threshold=args.threshold, jobs=max(2, args.jobs),
                               address=args.ray_address, keep_reports=keep, explain=explain, on_progress=progress)
        else:
            from analyzer.batch import audit_local

            stream = audit_local(todo, engine=args.analyzer, threshold=args.threshold, jobs=args.jobs,
                                 keep_reports=keep, explain=explain, on_progress=progress)
        sink = partial.open("a", encoding="utf-8") if partial else None
        try:
            for rec, rep in stream:
                records[rec["path"]] = rec
                if rep is not None:
                    reports[rec["path"]] = rep
                if sink:
                    sink.write(json.dumps(rec, ensure_ascii=False) + "\n")
                    sink.flush()
        finally:
            if sink:
                sink.close()
    except ImportError as e:
        print(f"tos-audit: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # the model could not be loaded, a worker died: say so, keep what was done
        print(f"tos-audit: {type(e).__name__}: {e}", file=sys.stderr)
        if not records:
            return 2

    ordered = [records[p] for p in paths if p in records]
    _write(args.format, out, ordered, reports)
    if partial and partial.exists():
        partial.unlink()
    if not args.quiet:
        print(summary(ordered), file=sys.stderr)
    if not any(not r.get("error") for r in ordered):
        return 2
    if args.fail_on:
        level = SEVERITY_RANK[args.fail_on]
        if any(SEVERITY_RANK[f["severity"]] >= level for r in ordered if not r.get("error") for f in r["findings"]):
            return 1
    return 0


def _write(fmt: str, out: Path | None, records: list[dict[str, Any]], reports: dict[str, Any]) -> None:
    from analyzer.writers import render_html, render_index, render_markdown

    if fmt == "html":
        rows = []
        for i, r in enumerate(records, 1):
            href = None
            if not r.get("error") and r["path"] in reports:
                href = f"docs/{_page_name(i, r['path'])}"
                _atomic_write(out / href, render_html(reports[r["path"]], title=r["path"]))
            rows.append({"path": r["path"], "href": href, "grade": r.get("grade"),
                         "findings": len(r.get("findings") or []), "error": r.get("error")})
        _atomic_write(out / "index.html", render_index(rows))
        return
    if fmt == "jsonl":
        content = _jsonl(records)
    elif fmt == "json":
        content = json.dumps({"files": records}, ensure_ascii=False, indent=2) + "\n"
    elif fmt == "csv":
        content = _csv(records)
    else:
        parts = []
        for r in records:
            if r.get("error"):
                parts.append(f"# {r['path']}\n\n读取或分析失败：{r['error']}\n")
            else:
                parts.append(render_markdown(reports[r["path"]], title=r["path"]))
        content = "\n\n".join(parts) + "\n"
    if out is None:
        sys.stdout.write(content)
    else:
        _atomic_write(out, content)


def diff_main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="tos-audit diff", description="Which unfair clauses a new version adds, removes or keeps.")
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--format", choices=["text", "json"], default="text")
    ap.add_argument("--analyzer", choices=["model", "rules"], default="model")
    ap.add_argument("--threshold", type=float, default=None)
    try:
        args = ap.parse_args(argv)
    except SystemExit as e:
        return 2 if e.code else 0
    from analyzer.diff import diff_reports, format_diff
    from analyzer.engine import Analyzer
    from analyzer.readers import ReadError, read_file

    texts = []
    for p in (args.old, args.new):
        try:
            texts.append(read_file(p))
        except ReadError as e:
            print(f"tos-audit diff: {p}: {e}", file=sys.stderr)
            return 2
    analyzer = Analyzer(engine=args.analyzer, threshold=args.threshold, explain=False)
    old, new = analyzer.analyze_many(texts)
    result = diff_reports(old, new)
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(format_diff(result, args.old, args.new))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "diff":
        return diff_main(argv[1:])
    return audit(argv)


if __name__ == "__main__":
    sys.exit(main())
