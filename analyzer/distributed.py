"""Scale-out on Ray Data: the same records as the local engine, from a Ray cluster.

``tos-audit --engine ray`` runs here. Each Ray actor loads one ``Analyzer`` and audits chunks of
files with ``analyzer.batch.audit_paths``, so readers, limits and error records are exactly the
local engine's; rows carry their input position and are put back in input order, so the JSONL is
byte-identical to a local run. Without ``--ray-address`` (or ``RAY_ADDRESS``) a local Ray
instance is started with ``--jobs`` CPUs. Install with ``pip install '.[distributed]'``.
"""
from __future__ import annotations

import json
import logging
import os
import pickle
from typing import Any, Iterable, Sequence

from analyzer.batch import CHUNK


class _Auditor:
    """A Ray Data callable class: one Analyzer per actor, loaded once."""

    def __init__(self, engine: str, threshold: float | None, keep: bool, explain: bool | str) -> None:
        from analyzer.engine import Analyzer

        self.analyzer = Analyzer(engine=engine, threshold=threshold, explain=explain, threads=1)
        self.keep = keep

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        from analyzer.batch import audit_paths

        pairs = audit_paths(self.analyzer, [str(p) for p in batch["path"]])
        return {
            "i": list(batch["i"]),
            "record": [json.dumps(rec, ensure_ascii=False) for rec, _ in pairs],
            "report": [pickle.dumps(rep) if self.keep and rep is not None else b"" for _, rep in pairs],
        }


def audit_ray(
    paths: Sequence[str],
    *,
    engine: str,
    threshold: float | None,
    jobs: int = 2,
    address: str | None = None,
    keep_reports: bool = False,
    explain: bool | str = True,
    on_progress=None,
) -> Iterable[tuple[dict[str, Any], Any]]:
    try:
        import ray
    except ImportError as e:
        raise ImportError("the Ray engine needs the optional extra: pip install '.[distributed]'") from e
    if not paths:
        return
    for name in ("ray", "ray.data", "ray._private"):
        logging.getLogger(name).setLevel(logging.ERROR)
    started = False
    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS")
        quiet = {"log_to_driver": False, "logging_level": logging.ERROR}
        if address:
            ray.init(address=address, **quiet)
        else:
            ray.init(num_cpus=jobs, include_dashboard=False, **quiet)
        started = True
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ds = ray.data.from_items([{"i": i, "path": p} for i, p in enumerate(paths)],
                                 override_num_blocks=max(1, -(-len(paths) // CHUNK)))
        out = ds.map_batches(
            _Auditor,
            fn_constructor_args=(engine, threshold, keep_reports, explain),
            batch_size=CHUNK,
            compute=ray.data.ActorPoolStrategy(size=jobs),
            num_cpus=1,
        )
        rows = sorted(out.take_all(), key=lambda r: r["i"])
        for n, row in enumerate(rows, 1):
            if on_progress:
                on_progress(n, len(paths))
            yield json.loads(row["record"]), (pickle.loads(row["report"]) if row["report"] else None)
    finally:
        if started:
            ray.shutdown()
