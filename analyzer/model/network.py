"""The classifier: the e5-small encoder, mean pooling, and one multi-label linear head."""
from __future__ import annotations

import copy

import torch
from torch import nn
from transformers import BertModel


class ClauseClassifier(nn.Module):
    def __init__(self, encoder: BertModel, n_labels: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, n_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        # mean pooling, as e5 was trained with; padding does not count
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(self.dropout(pooled))

    def trainable_state(self) -> dict[str, torch.Tensor]:
        """The weights fine-tuning changed: everything but the frozen word embeddings."""
        return {k: v for k, v in self.state_dict().items() if "word_embeddings" not in k}


def cut(net: ClauseClassifier, keep: list[int]) -> ClauseClassifier:
    """A copy of ``net`` whose encoder keeps only the layers ``keep`` (renumbered from 0)."""
    out = copy.deepcopy(net)
    out.encoder.encoder.layer = torch.nn.ModuleList([out.encoder.encoder.layer[i] for i in keep])
    out.encoder.config.num_hidden_layers = len(keep)
    return out
