"""A small stand-in for the FLUX.2 text encoder LLM (spec section 4): token + position embedding, pre-norm causal
transformer layers honouring the padding mask, returning the hidden states of the configured layers concatenated on
the last dim (index 0 = embedding output, index k = output of layer k, like HF's hidden_states)."""
import math
from dataclasses import dataclass, field, asdict
from typing import List

import torch
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass
class TextEncoderConfig:
    vocab_size: int = 512
    hidden_size: int = 32
    num_layers: int = 3
    num_heads: int = 2
    mlp_ratio: float = 4.0
    max_length: int = 512
    hidden_layers: List[int] = field(default_factory=lambda: [1, 2, 3])

    @property
    def output_dim(self) -> int:
        return self.hidden_size * len(self.hidden_layers)

    def validate(self) -> None:
        if self.hidden_size % self.num_heads:
            raise ValueError("hidden_size must be divisible by num_heads")
        if any(i < 0 or i > self.num_layers for i in self.hidden_layers):
            raise ValueError("hidden_layers must be in 0..num_layers")


class EncoderLayer(nn.Module):
    def __init__(self, d: int, heads: int, mlp_hidden: int):
        super().__init__()
        self.heads = heads
        self.head_dim = d // heads
        self.input_layernorm = nn.LayerNorm(d, eps=1e-6)
        self.q_proj = nn.Linear(d, d)
        self.k_proj = nn.Linear(d, d)
        self.v_proj = nn.Linear(d, d)
        self.o_proj = nn.Linear(d, d)
        self.post_attention_layernorm = nn.LayerNorm(d, eps=1e-6)
        self.mlp_in = nn.Linear(d, mlp_hidden)
        self.mlp_out = nn.Linear(mlp_hidden, d)

    def forward(self, x: Tensor, bias: Tensor) -> Tensor:
        b, l, d = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).reshape(b, l, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(h).reshape(b, l, self.heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(h).reshape(b, l, self.heads, self.head_dim).transpose(1, 2)
        s = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim)) + bias
        o = torch.matmul(torch.softmax(s, dim=-1), v).transpose(1, 2).reshape(b, l, d)
        x = x + self.o_proj(o)
        return x + self.mlp_out(F.gelu(self.mlp_in(self.post_attention_layernorm(x))))


class TextEncoder(nn.Module):
    """forward(input_ids i64 [B,L], attention_mask i64 [B,L]) -> f32 [B,L,len(hidden_layers)*H].

    Attention is causal and masks padded keys (mask 0) with an additive -1e9, so an all-padding row still yields a
    finite (uniform) attention instead of NaN."""

    def __init__(self, cfg: TextEncoderConfig):
        super().__init__()
        cfg.validate()
        d = cfg.hidden_size
        self.hidden_layers: List[int] = list(cfg.hidden_layers)
        self.num_layers = cfg.num_layers
        self.embed_tokens = nn.Embedding(cfg.vocab_size, d)
        self.embed_positions = nn.Embedding(cfg.max_length, d)
        self.layers = nn.ModuleList([EncoderLayer(d, cfg.num_heads, int(d * cfg.mlp_ratio))
                                     for _ in range(cfg.num_layers)])

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        l = input_ids.shape[1]
        pos = torch.arange(l, dtype=torch.long, device=input_ids.device)
        x = self.embed_tokens(input_ids) + self.embed_positions(pos)[None]
        causal = torch.ones(l, l, dtype=torch.bool, device=input_ids.device).tril()
        allowed = causal[None, None] & (attention_mask[:, None, None, :] != 0)
        bias = torch.zeros(allowed.shape, dtype=x.dtype, device=x.device).masked_fill(~allowed, -1e9)
        states: List[Tensor] = [x]
        for layer in self.layers:
            x = layer(x, bias)
            states.append(x)
        out: List[Tensor] = []
        for i in self.hidden_layers:
            out.append(states[i])
        return torch.cat(out, dim=-1).float()


def init_random_(model: TextEncoder, generator: torch.Generator) -> None:
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.startswith("embed_tokens"):
                p.copy_(torch.randn(p.shape, generator=generator))
            elif name.startswith("embed_positions"):
                p.copy_(0.3 * torch.randn(p.shape, generator=generator))
            elif "layernorm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=generator))
            elif p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=generator) / math.sqrt(p.shape[1]))
            else:
                p.copy_(0.02 * torch.randn(p.shape, generator=generator))
