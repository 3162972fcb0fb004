"""Where the int8 path loses against fp32: macro-F1 with each group of MatMuls left in fp32 in turn.

    python benchmarks/bench_quantisation.py [--split dev] [--model-dir DIR]

Exports the model once in fp32, then quantises it as the optimised path does
(``analyzer.model.onnx_export.quantize_int8``) with nothing, or one group of MatMuls (Q/K/V, the
attention output, the FFN input, the FFN output), kept in fp32, and scores the split one clause per
run with each (``FastClauseModel``, as ``analyze()`` does). Artifacts go to a temporary cache, not
the user's. Prints macro-F1, fair-clause FPR and seconds per variant.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from analyzer.data import load_clauses  # noqa: E402
from analyzer.evaluate import _gold, model_predictions  # noqa: E402
from analyzer.metrics import multilabel_report  # noqa: E402
from analyzer.model import FAST_MODEL_DIR  # noqa: E402
from analyzer.model import onnx_export as ox  # noqa: E402
from analyzer.taxonomy import LABEL_IDS  # noqa: E402

# patterns over the exported MatMul node names ("/encoder/encoder/layer.0/attention/output/dense/MatMul", ...);
# the FFN output is anchored on the layer so that the attention output's "/output/dense/" does not match it
GROUPS = {
    "Q, K, V": r"/self/(query|key|value)/",
    "attention output": r"/attention/output/dense/",
    "FFN input": r"/intermediate/dense/",
    "FFN output": r"/layer\.\d+/output/dense/",
}


def main(argv: list[str] | None = None) -> int:
    import onnx

    from analyzer.model.fast import FastClauseModel

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="dev")
    ap.add_argument("--model-dir", type=Path, default=FAST_MODEL_DIR)
    args = ap.parse_args(argv)
    clauses = load_clauses(args.split)
    gold = _gold(clauses)
    root = Path(tempfile.mkdtemp(prefix="bench-quant-"))
    try:
        os.environ["TOS_ANALYZER_CACHE"] = str(root / "fp32")
        fp32_dir = ox.build(args.model_dir, quantize=False)
        fp32 = fp32_dir / ox.ONNX_FILE
        matmuls = [n.name for n in onnx.load(str(fp32)).graph.node if n.op_type == "MatMul"]
        variants = {"fp32": None, "int8 (the optimised path)": []}
        variants.update({f"int8, {g} in fp32": [n for n in matmuls if re.search(GROUPS[g], n)] for g in GROUPS})
        print(f"split {args.split}: {len(clauses)} clauses; {len(matmuls)} MatMuls in the graph")
        print(f"{'variant':34s} {'kept in fp32':>12s} {'macro-F1':>9s} {'FPR':>7s} {'seconds':>8s}")
        for k, (name, keep) in enumerate(variants.items()):
            os.environ["TOS_ANALYZER_CACHE"] = str(root / f"v{k}")
            target = ox.onnx_dir(args.model_dir)
            target.parent.mkdir(parents=True)
            shutil.copytree(fp32_dir, target)
            if keep is not None:
                ox.quantize_int8(fp32, target / ox.ONNX_FILE, keep)
            model = FastClauseModel(args.model_dir)
            t = time.perf_counter()
            rep = multilabel_report(gold, model_predictions(clauses, model), LABEL_IDS)
            n_fp32 = len(matmuls) if keep is None else len(keep)
            print(f"{name:34s} {n_fp32:12d} {rep['macro_f1']:9.4f} {rep['fair_fpr']:7.4f} "
                  f"{time.perf_counter() - t:8.1f}", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
