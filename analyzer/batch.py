"""The batch engine: saved terms files in, one record per file out.

Files are read one by one (a bad file becomes an error record, never an exception), their
clauses are scored together in shared model batches, and records come back in input order so
that output is identical whatever the number of worker processes.
"""
from __future__ import annotations

import glob
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from analyzer.readers import LIMITS, SUFFIXES, ReadError, read_bytes

CHUNK = 16  # files whose clauses share model batches; also the unit of work of a worker


def expand_inputs(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """Files named by ``args`` (files, directories searched recursively, globs), sorted and unique.

    Returns (paths, missing) where ``missing`` are arguments that matched nothing.
    """
    found: set[str] = set()
    missing: list[str] = []
    for arg in args:
        matches = sorted(glob.glob(arg, recursive=True)) if glob.has_magic(arg) else [arg]
        hit = False
        for m in matches:
            p = Path(m)
            if p.is_dir():
                for root, _dirs, files in os.walk(p):
                    for f in files:
                        if Path(f).suffix.lower() in SUFFIXES:
                            found.add(os.path.normpath(os.path.join(root, f)))
                            hit = True
            elif p.exists() or p.is_symlink():
                found.add(os.path.normpath(m))
                hit = True
        if not hit:
            missing.append(arg)
    return sorted(found), missing


@dataclass
class Loaded:
    path: str
    sha256: str | None
    text: str | None
    error: str | None


def load(path: str) -> Loaded:
    """Read one file; never raises."""
    try:
        p = Path(path)
        size = p.stat().st_size
        if size > LIMITS.max_file_bytes:
            raise ReadError(f"the file has {size:,} bytes, over the limit of {LIMITS.max_file_bytes:,}")
        data = p.read_bytes()
    except ReadError as e:
        return Loaded(path, None, None, str(e))
    except FileNotFoundError:
        return Loaded(path, None, None, "the file does not exist (removed during the run?)")
    except PermissionError:
        return Loaded(path, None, None, "permission denied")
    except IsADirectoryError:
        return Loaded(path, None, None, "a directory, not a file")
    except OSError as e:
        return Loaded(path, None, None, f"cannot read the file: {e.strerror or e}")
    sha = hashlib.sha256(data).hexdigest()
    try:
        return Loaded(path, sha, read_bytes(data, p.name), None)
    except ReadError as e:
        return Loaded(path, sha, None, str(e))
    except Exception as e:  # a reader library failing in a way we did not foresee must not stop the batch
        return Loaded(path, sha, None, f"unexpected error while reading: {type(e).__name__}: {e}")


def record(loaded: Loaded, report=None, error: str | None = None) -> dict[str, Any]:
    """The JSONL record of one input file."""
    rec: dict[str, Any] = {"path": loaded.path, "sha256": loaded.sha256}
    err = error or loaded.error
    if err or report is None:
        rec["error"] = err or "not analysed"
        return rec
    d = report.to_dict()
    rec.update(
        {
            "characters": len(loaded.text or ""),
            "clause_count": d["clause_count"],
            "grade": d["grade"],
            "label_counts": d["label_counts"],
            "findings": d["findings"],
            "error": None,
        }
    )
    return rec


def audit_paths(analyzer, paths: Sequence[str]) -> list[tuple[dict[str, Any], Any]]:
    """Records (and reports, for renderers) for ``paths``, in order, sharing model batches."""
    loaded = [load(p) for p in paths]
    ok = [x for x in loaded if x.error is None]
    reports: dict[str, Any] = {}
    try:
        for x, r in zip(ok, analyzer.analyze_many([x.text for x in ok])):
            reports[x.path] = r
    except Exception:
        # one text breaking a shared batch must not lose the others: fall back to one at a time
        for x in ok:
            try:
                reports[x.path] = analyzer.analyze(x.text)
            except Exception as e:
                x.error = f"analysis failed: {type(e).__name__}: {e}"
    return [(record(x, reports.get(x.path)), reports.get(x.path)) for x in loaded]


def chunks(items: Sequence[str], size: int = CHUNK) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


# -- worker processes (--jobs N) --------------------------------------------------------------
_worker_analyzer = None


_worker_keep = False


def _init_worker(engine: str, threshold: float | None, threads: int, keep: bool, explain: bool | str) -> None:
    global _worker_analyzer, _worker_keep
    _worker_keep = keep
    from analyzer.engine import Analyzer

    _worker_analyzer = Analyzer(engine=engine, threshold=threshold, explain=explain, threads=threads)


def _work(paths: list[str]) -> list[tuple[dict[str, Any], Any]]:
    return [(rec, rep if _worker_keep else None) for rec, rep in audit_paths(_worker_analyzer, paths)]


def audit_local(
    paths: Sequence[str], *, engine: str, threshold: float | None, jobs: int = 1, keep_reports: bool = False,
    explain: bool | str = True, on_progress=None,
) -> Iterable[tuple[dict[str, Any], Any]]:
    """Yield (record, report or None) for every path, in order, with ``jobs`` processes."""
    if jobs <= 1:
        from analyzer.engine import Analyzer

        analyzer = Analyzer(engine=engine, threshold=threshold, explain=explain)
        done = 0
        for chunk in chunks(paths):
            for rec, rep in audit_paths(analyzer, chunk):
                done += 1
                if on_progress:
                    on_progress(done, len(paths))
                yield rec, (rep if keep_reports else None)
        return
    import multiprocessing as mp

    threads = max(1, (os.cpu_count() or 2) // jobs)
    ctx = mp.get_context("spawn")  # threads (ONNX Runtime's, torch's) and fork do not mix
    with ctx.Pool(jobs, initializer=_init_worker, initargs=(engine, threshold, threads, keep_reports, explain)) as pool:
        done = 0
        for pairs in pool.imap(_work, list(chunks(paths))):  # imap keeps input order
            for rec, rep in pairs:
                done += 1
                if on_progress:
                    on_progress(done, len(paths))
                yield rec, rep
