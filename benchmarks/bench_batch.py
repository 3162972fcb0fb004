"""Batch audit throughput: 1,000 generated agreement files through tos-audit, three ways, in one run.

    python benchmarks/bench_batch.py [--files 1000]

The files are made from the corpus's train agreements: each takes one agreement's heading
structure and a random mix of clauses from others (seeded), saved as UTF-8 .txt. Prints files/s,
clauses/s and peak resident memory for the local engine with --jobs 1 (with and without the score
cache), --jobs 2, and the Ray engine with 2 CPUs, and checks that all four JSONL outputs are identical.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.data import load_agreements  # noqa: E402


def generate(folder: Path, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    docs = load_agreements("train")
    lines = [ln for d in docs for ln in d["text"].split("\n") if ln.strip()]
    for i in range(n):
        base = docs[i % len(docs)]["text"].split("\n")
        body = base[:8] + rng.sample(lines, 24)
        (folder / f"agreement-{i:04d}.txt").write_text("\n".join(body) + "\n", encoding="utf-8")


def run(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(seconds, peak MB of the process tree) for one tos-audit run."""
    wrapper = (
        "import resource, subprocess, sys, time; t=time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True); dt=time.perf_counter()-t; "
        "self_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024; "
        "kids_mb=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024; "
        "print(dt, max(self_mb, kids_mb))"
    )
    out = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-m", "analyzer", *args],
                         capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})})
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    dt, mb = out.stdout.split()
    return float(dt), float(mb)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--explain", action="store_true",
                    help="also compute word-level evidence for model-only findings (default: --no-explain, the bulk setting)")
    args = ap.parse_args()
    mode = [] if args.explain else ["--no-explain"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "terms"
        folder.mkdir()
        generate(folder, args.files)
        print(f"{args.files} files, {sum(f.stat().st_size for f in folder.iterdir()) / 1e6:.1f} MB, {os.cpu_count()} CPUs, "
              f"tos-audit {' '.join(mode) or '(with explanations)'}")
        from analyzer.segment import segment

        inputs = [(c.text, c.heading) for f in folder.iterdir()
                  for c in segment(f.read_text(encoding="utf-8")) if not c.is_heading]
        print(f"{len(set(inputs)):,} distinct (clause, heading) inputs among {len(inputs):,} clauses: "
              "the score cache spares the model the repeats")
        outputs = {}
        print(f"{'engine':26s} {'seconds':>8s} {'files/s':>8s} {'clauses/s':>10s} {'peak MB*':>8s}")
        for name, extra, env in (("local --jobs 1", ["--jobs", "1"], None),
                                 ("local --jobs 1, no cache", ["--jobs", "1"], {"TOS_SCORE_CACHE": "0"}),
                                 ("local --jobs 2", ["--jobs", "2"], None),
                                 ("ray (2 CPUs)", ["--engine", "ray", "--jobs", "2"], None)):
            out = Path(tmp) / f"{len(outputs)}.jsonl"
            dt, mb = run([str(folder), "--quiet", "-o", str(out), *mode, *extra], env)
            recs = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
            clauses = sum(r.get("clause_count", 0) for r in recs)
            outputs[name] = out.read_bytes()
            print(f"{name:26s} {dt:8.1f} {len(recs) / dt:8.2f} {clauses / dt:10.1f} {mb:8.0f}")
        same = len(set(outputs.values())) == 1
        print(f"identical JSONL from all four: {same}\n* the largest single process of the run (main process or a worker)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
