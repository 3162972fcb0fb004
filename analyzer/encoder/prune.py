"""Shrink the 250k-piece XLM-R vocabulary to what Chinese ToS text can use.

A piece can only be produced by the Unigram model if every character of it
appears in the *normalised* input. For input limited to the ranges below, any
piece containing another character can never match, so dropping it leaves
the Viterbi lattice - hence the segmentation and ids (after remapping) and the
model output - unchanged. The Unigram unknown penalty depends on the minimum
piece score, which is checked to be preserved.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass

import torch
from tokenizers import Tokenizer
from transformers import BertModel, PreTrainedTokenizerFast

from .tokenizer import SPECIALS, wrap_tokenizer

# Inclusive code-point ranges of text we expect in Chinese terms of service.
INPUT_RANGES: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00BF),  # Latin-1 punctuation/symbols (·, §, ©, °, «»)
    (0x00D7, 0x00D7),  # ×
    (0x00F7, 0x00F7),  # ÷
    (0x2000, 0x206F),  # general punctuation (—, …, “”, ‘’, ‰, ※)
    (0x2100, 0x218F),  # letterlike (℃, №, ™) and Roman numerals
    (0x2190, 0x21FF),  # arrows
    (0x2460, 0x24FF),  # enclosed numbers ①⑴⒈
    (0x25A0, 0x25FF),  # geometric shapes ■□▲○●
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3000, 0x303F),  # CJK symbols and punctuation (、。《》「」【】〔〕)
    (0x3100, 0x312F),  # Bopomofo
    (0x31C0, 0x31EF),  # CJK strokes
    (0x3200, 0x33FF),  # enclosed CJK, CJK compatibility (㈠, ㎡)
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs (Simplified + Traditional)
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms (︰ ﹏)
    (0xFE50, 0xFE6F),  # small form variants
    (0xFF00, 0xFFEF),  # half-/full-width forms (，！？：；（） and full-width ASCII)
    (0x20000, 0x2FA1F),  # CJK extensions B-F and compatibility supplement
)


@dataclass
class PruneReport:
    pieces_before: int
    pieces_after: int
    params_before: int
    params_after: int

    @property
    def params_removed(self) -> int:
        return self.params_before - self.params_after


def _in_range_text() -> str:
    return "".join(chr(cp) for lo, hi in INPUT_RANGES for cp in range(lo, hi + 1))


def reachable_chars(tok: Tokenizer) -> set[str]:
    """Characters that can appear after normalising in-range input."""
    chars = _in_range_text()
    # "\n" is a hard grapheme boundary, so one call normalises every
    # character on its own (the charsmap works per grapheme cluster).
    out = set(tok.normalizer.normalize_str("\n".join(chars)))
    # A grapheme of a base plus a combining mark (e.g. half-width ｶﾞ) may be
    # rewritten to a composed character that no single character yields; add
    # every composition whose decomposed parts are reachable (a superset).
    parts = out | set(chars)
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        decomposed = unicodedata.normalize("NFD", chr(cp))
        if len(decomposed) > 1 and all(c in parts for c in decomposed):
            out.update(unicodedata.normalize("NFKC", chr(cp)))
    out.add("▁")
    out -= {" ", "\n"}  # spaces become U+2581 in the pre-tokenizer
    return out


def kept_ids(tok: Tokenizer) -> list[int]:
    """Old ids to keep, ascending (so specials 0-3 keep their ids)."""
    chars = reachable_chars(tok)
    vocab = json.loads(tok.model.__getstate__())["vocab"]
    return [
        i for i, (piece, _score) in enumerate(vocab)
        if piece in SPECIALS or set(piece) <= chars
    ]


def prune_encoder(
    model: BertModel, tokenizer: PreTrainedTokenizerFast
) -> tuple[BertModel, PreTrainedTokenizerFast, PruneReport]:
    """Return a model/tokenizer pair restricted to :data:`INPUT_RANGES` pieces.

    The model is modified in place (only its word-embedding matrix changes).
    """
    params_before = sum(p.numel() for p in model.parameters())
    backend = tokenizer.backend_tokenizer
    state = json.loads(backend.to_str())
    old_vocab = state["model"]["vocab"]
    keep = kept_ids(backend)
    new_id = {old: new for new, old in enumerate(keep)}

    new_vocab = [old_vocab[i] for i in keep]
    if min(s for _, s in new_vocab) != min(s for _, s in old_vocab):
        # tokenizers derives the <unk> penalty from the minimum score.
        raise RuntimeError("pruning changed the minimum piece score")
    state["model"]["vocab"] = new_vocab
    state["model"]["unk_id"] = new_id[state["model"]["unk_id"]]
    for added in state["added_tokens"]:
        added["id"] = new_id[added["id"]]
    for special in state["post_processor"]["special_tokens"].values():
        special["ids"] = [new_id[i] for i in special["ids"]]
    pruned_tok = wrap_tokenizer(Tokenizer.from_str(json.dumps(state)))

    old_emb = model.get_input_embeddings().weight.data
    index = torch.tensor(keep, dtype=torch.long)
    pad = new_id[model.config.pad_token_id]
    emb = torch.nn.Embedding(len(keep), old_emb.shape[1], padding_idx=pad)
    emb.weight.data = old_emb.index_select(0, index).contiguous()
    model.set_input_embeddings(emb)
    model.config.vocab_size = len(keep)
    model.config.pad_token_id = pad
    report = PruneReport(
        pieces_before=len(old_vocab),
        pieces_after=len(keep),
        params_before=params_before,
        params_after=sum(p.numel() for p in model.parameters()),
    )
    return model, pruned_tok, report
