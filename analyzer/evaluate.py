"""``python -m analyzer.evaluate --split test``: the model and the rules-only engine side by side.

Clause level: per-label precision, recall and F1, micro and macro F1, and the false-positive rate
on fair clauses (a fair clause with any label flagged). Document level, on the full agreements
through ``Analyzer.analyze``: a gold unfair clause is found when a finding overlaps it with a
shared label; precision counts findings that overlap a gold clause with a shared label.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from analyzer.data import load_agreements, load_clauses
from analyzer.metrics import label_matrix, multilabel_report
from analyzer.model.features import model_input
from analyzer.normalize import normalize_text
from analyzer.rules import RuleSet
from analyzer.taxonomy import LABEL_IDS


def _gold(clauses: list[dict]) -> np.ndarray:
    return label_matrix([c["labels"] for c in clauses])


def rules_predictions(clauses: list[dict]) -> np.ndarray:
    rules = RuleSet.load()
    return label_matrix([[h.rule.label for h in rules.match(normalize_text(c["text"]))] for c in clauses])


def load_model(backend: str = "onnx", model_dir: str | None = None):
    """The model ``analyze()`` would use with this backend (or the one in ``model_dir``)."""
    if backend == "torch":
        from analyzer.model import ClauseModel

        return ClauseModel(model_dir)
    from analyzer.model.fast import FastClauseModel

    return FastClauseModel(model_dir)


def model_predictions(clauses: list[dict], model=None) -> np.ndarray:
    model = model or load_model()
    probs = model.predict([model_input(c["text"], c["heading"]) for c in clauses])
    return probs >= model.thresholds


def document_level(split: str, engine: str, backend: str = "onnx", model_dir: str | None = None) -> dict:
    from analyzer.engine import Analyzer

    analyzer = Analyzer(engine=engine, explain=False, backend=backend, model_dir=model_dir)
    found = gold_total = hits = n_findings = 0
    for doc in load_agreements(split):
        report = analyzer.analyze(doc["text"])
        gold = [s for s in doc["spans"] if s["labels"]]
        gold_total += len(gold)
        for g in gold:
            if any(f.start < g["end"] and g["start"] < f.end and set(f.labels) & set(g["labels"]) for f in report.findings):
                found += 1
        for f in report.findings:
            n_findings += 1
            if any(f.start < g["end"] and g["start"] < f.end and set(f.labels) & set(g["labels"]) for g in gold):
                hits += 1
    p = hits / n_findings if n_findings else 0.0
    r = found / gold_total if gold_total else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"gold_unfair_clauses": gold_total, "found": found, "recall": r, "findings": n_findings, "precision": p, "f1": f1}


def evaluate(split: str = "test", *, documents: bool = True, backend: str = "onnx", model_dir: str | None = None) -> dict:
    clauses = load_clauses(split)
    gold = _gold(clauses)
    t0 = time.perf_counter()
    model = load_model(backend, model_dir)
    model_rep = multilabel_report(gold, model_predictions(clauses, model), LABEL_IDS)
    model_s = time.perf_counter() - t0
    rules_rep = multilabel_report(gold, rules_predictions(clauses), LABEL_IDS)
    layers = getattr(model, "layers", None)
    out = {"split": split, "backend": backend, "model_dir": str(model_dir or ""), "layers": layers, "clauses": len(clauses),
           "model": model_rep, "rules": rules_rep, "model_seconds": round(model_s, 1)}
    if documents:
        out["documents"] = {"model": document_level(split, "model", backend, model_dir), "rules": document_level(split, "rules")}
    return out


def format_side_by_side(res: dict) -> str:
    m, r = res["model"], res["rules"]
    lines = [
        f"split {res['split']}: {res['clauses']} clauses; model backend {res['backend']}, {res['layers']} layers"
        + (f" ({res['model_dir']})" if res["model_dir"] else ""),
        f"{'label':24s} {'rules P':>8s} {'R':>6s} {'F1':>6s} | {'model P':>8s} {'R':>6s} {'F1':>6s} | {'n':>4s}",
    ]
    for lab in LABEL_IDS:
        a, b = r["per_label"][lab], m["per_label"][lab]
        lines.append(
            f"{lab:24s} {a['precision']:8.3f} {a['recall']:6.3f} {a['f1']:6.3f} | "
            f"{b['precision']:8.3f} {b['recall']:6.3f} {b['f1']:6.3f} | {b['support']:4d}"
        )
    lines.append(f"{'micro-F1':24s} {r['micro_f1']:>22.4f} | {m['micro_f1']:>22.4f}")
    lines.append(f"{'macro-F1':24s} {r['macro_f1']:>22.4f} | {m['macro_f1']:>22.4f}")
    lines.append(f"{'fair-clause FPR':24s} {r['fair_fpr']:>22.4f} | {m['fair_fpr']:>22.4f}")
    if "documents" in res:
        lines.append("document level (full agreements through analyze()):")
        for name in ("rules", "model"):
            d = res["documents"][name]
            lines.append(
                f"  {name:6s} found {d['found']}/{d['gold_unfair_clauses']} gold unfair clauses (recall {d['recall']:.3f}); "
                f"{d['findings']} findings, precision {d['precision']:.3f}, F1 {d['f1']:.3f}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m analyzer.evaluate", description=__doc__)
    ap.add_argument("--split", choices=["dev", "test", "check"], default="test",
                    help="dev, test, or the independent check set of datasets/check/ (default: test)")
    ap.add_argument("--no-documents", action="store_true", help="skip the document-level evaluation")
    ap.add_argument("--backend", choices=["onnx", "torch"], default="onnx",
                    help="the optimised path analyze() uses (default: the 6-layer student, int8) or the "
                         "fine-tuned 12-layer model in plain fp32 PyTorch")
    ap.add_argument("--model-dir", default=None,
                    help="score another model folder with the chosen backend (e.g. models/clause-classifier with onnx)")
    ap.add_argument("--json", action="store_true", help="print the full results as JSON")
    args = ap.parse_args(argv)
    res = evaluate(args.split, documents=not args.no_documents, backend=args.backend, model_dir=args.model_dir)
    print(json.dumps(res, ensure_ascii=False, indent=2) if args.json else format_side_by_side(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
