"""Does the model judge substance or vocabulary? Scores on minimal pairs (a clause and its twin).

    python benchmarks/bench_contrast.py [--model-dir DIR ...] [--set dev|train]

A twin rewrites a clause by a few words so that its verdict flips (``analyzer/data/twins.py``). A model that
has learnt the substance judges both members of a pair right; one that has learnt the words flags the lawful
rewrite of an unfair clause and misses the unfair rewrite of a lawful one. ``--set dev`` (default): the contrast
set of twins of dev clauses (``datasets/review/contrast/dev.tsv``), never trained on. ``--set train``: the
twins of train clauses (``datasets/pending/twins/``), meaningful only for models not trained with ``--twins``.
Per model: the share of fair twins flagged, of unfair twins caught with a gold label, of pairs whose two
verdicts (unfair or not) are both right, and macro-F1 over the twins, at each model's stored thresholds.
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from analyzer.data import datasets_dir, load_clauses  # noqa: E402
from analyzer.data.twins import source_id, twin_clauses  # noqa: E402
from analyzer.evaluate import load_model, model_predictions  # noqa: E402
from analyzer.metrics import label_matrix, multilabel_report  # noqa: E402
from analyzer.taxonomy import LABEL_IDS  # noqa: E402

SETS = {"dev": ("review/contrast/dev.tsv", "dev"), "train": ("pending/twins", "train")}


def score(model_dirs: list[str | None], which: str) -> str:
    rel, split = SETS[which]
    clauses = load_clauses(split)
    twins = twin_clauses(datasets_dir() / rel, clauses, split)
    by_id = {source_id(c): c for c in clauses}
    sources = [by_id[t["twin_of"]] for t in twins]
    gold = label_matrix([t["labels"] for t in twins])
    sgold = label_matrix([s["labels"] for s in sources])
    fair = ~gold.any(1)
    n_fair = int(fair.sum())
    lines = [f"{which} contrast set: {len(twins)} pairs; {n_fair} twins made fair, {len(twins) - n_fair} made unfair",
             f"\n{'model':40s} {'fair twins flagged':>18s} {'unfair twins caught':>19s} {'pairs both right':>16s} "
             f"{'twins macro-F1':>14s} {'sources right':>13s}"]
    for d in model_dirs:
        model = load_model("onnx", d)
        pred = model_predictions(twins + sources, model)
        tp, sp = pred[: len(twins)], pred[len(twins):]
        twin_right = tp.any(1) == gold.any(1)
        src_right = sp.any(1) == sgold.any(1)
        caught = (tp & gold).any(1)[~fair].mean()
        rep = multilabel_report(gold, tp, LABEL_IDS)
        lines.append(f"{(d or 'committed')[-40:]:40s} {tp[fair].any(1).mean():18.3f} {caught:19.3f} "
                     f"{(twin_right & src_right).mean():16.3f} {rep['macro_f1']:14.3f} {src_right.mean():13.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", action="append", default=None,
                    help="model folder to score (repeatable; default: the one analyze() runs)")
    ap.add_argument("--set", choices=sorted(SETS), default="dev", dest="which")
    args = ap.parse_args(argv)
    print(score(args.model_dir or [None], args.which))
    return 0


if __name__ == "__main__":
    sys.exit(main())
