"""FLUX.2 text encoders (spec section 4): Mistral-Small-3.x (Llama-style decoder) and Qwen3 (the same plus per-head
q_norm / k_norm), written from the architecture description, loadable from Hugging Face-format folders
(config.json + *.safetensors [+ index json]) with our own safetensors reader.

The package graph `forward(input_ids i64 [B,L], attention_mask i64 [B,L]) -> f32 [B,L,len(hidden_layers)*H]`
returns HF's `hidden_states[a]`, `[b]`, `[c]` concatenated on the last dim (index 0 = embedding output, index k =
output of decoder layer k; index num_hidden_layers is after the final RMSNorm, as in HF). Only the layers up to
max(hidden_layers) are built and loaded.

Decoder layer (both models): h = x + o_proj(attn(input_layernorm(x))); out = h + down(silu(gate(g)) * up(g)),
g = post_attention_layernorm(h). RMSNorm: float32 x * rsqrt(mean(x^2) + eps), cast back, times weight.
Attention: q/k/v projections (no bias unless config.attention_bias), heads of head_dim, GQA (query head h uses
kv head h // (n_heads / n_kv_heads)), [Qwen3: RMSNorm over head_dim on q and k per head], RoPE in HF's
"rotate_half" form (first and second halves of head_dim pair up, inv_freq_j = theta^(-2j/head_dim), positions
0..L-1 regardless of padding, cos/sin computed in float32 then cast to the model dtype), scale 1/sqrt(head_dim),
softmax in float32. Mask: causal AND key-is-not-padding. A query row with no allowed key (left padding: the pad
positions before the first real token) gets a zero attention output (what torch >= 2.5 SDPA returns for a fully
masked row; UNVERIFIED against the real encoders, see README).
"""
import json
import math
import os
from dataclasses import dataclass, field, asdict
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .safetensors_io import ShardedCheckpoint, save_file

MISTRAL_SYSTEM_MESSAGE = (
    "You are an AI that reasons about image descriptions. You give structured responses focusing on object "
    "relationships, object\nattribution and actions without speculation.")

DEFAULT_HIDDEN_LAYERS = {"mistral": [10, 20, 30], "qwen3": [9, 18, 27]}


def prompt_template(kind: str) -> str:
    """The text the tokenizer sees, with `{prompt}` where the user prompt goes (Java substitutes it verbatim).

    mistral: BOS, the FLUX.2 system message, then the user turn, no generation prompt (Mistral-Small-3.1 chat
    template: `<s>[SYSTEM_PROMPT]...[/SYSTEM_PROMPT][INST]...[/INST]`); the tokenizer must not add BOS again.
    qwen3: single user turn, generation prompt, thinking disabled (empty think block)."""
    if kind == "mistral":
        return "<s>[SYSTEM_PROMPT]" + MISTRAL_SYSTEM_MESSAGE + "[/SYSTEM_PROMPT][INST]{prompt}[/INST]"
    if kind == "qwen3":
        return "<|im_start|>user\n{prompt}<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"
    raise ValueError(f"unknown text encoder kind {kind}")


def format_prompt(kind: str, prompt: str) -> str:
    if kind == "mistral":
        prompt = prompt.replace("[IMG]", "")
    return prompt_template(kind).replace("{prompt}", prompt)


@dataclass
class LLMConfig:
    kind: str = "qwen3"  # "mistral" | "qwen3"
    vocab_size: int = 400
    hidden_size: int = 32
    intermediate_size: int = 64
    num_hidden_layers: int = 4
    num_attention_heads: int = 2
    num_key_value_heads: int = 1
    head_dim: int = 16
    rms_norm_eps: float = 1e-6
    rope_theta: float = 1000000.0
    attention_bias: bool = False
    hidden_layers: List[int] = field(default_factory=lambda: [1, 2, 3])

    @property
    def qk_norm(self) -> bool:
        return self.kind == "qwen3"

    @property
    def output_dim(self) -> int:
        return self.hidden_size * len(self.hidden_layers)

    @property
    def depth(self) -> int:
        """Decoder layers actually built."""
        return max(self.hidden_layers)

    def to_json(self) -> dict:
        return asdict(self)

    def validate(self) -> None:
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")
        if self.head_dim % 2:
            raise ValueError("head_dim must be even")
        if not self.hidden_layers or any(i < 0 or i > self.num_hidden_layers for i in self.hidden_layers):
            raise ValueError("hidden_layers must be in 0..num_hidden_layers")

    @staticmethod
    def from_hf(cfg: dict, hidden_layers: Optional[List[int]] = None) -> "LLMConfig":
        """From a HF config.json dict: Qwen3ForCausalLM / MistralForCausalLM / Mistral3ForConditionalGeneration
        (whose language model sits in `text_config`)."""
        mt = cfg.get("model_type", "")
        if "text_config" in cfg and mt not in ("qwen3", "mistral", "llama"):
            cfg = dict(cfg["text_config"])
            mt = cfg.get("model_type", "mistral")
        if mt == "qwen3":
            kind = "qwen3"
        elif mt in ("mistral", "llama", "ministral"):
            kind = "mistral"
        else:
            raise ValueError(f"unsupported text encoder model_type {mt!r}")
        rs = cfg.get("rope_scaling")
        if rs not in (None, {}) and (rs.get("rope_type") or rs.get("type")) not in ("default", None):
            raise ValueError(f"rope_scaling {rs} is not supported")
        heads = int(cfg["num_attention_heads"])
        hd = cfg.get("head_dim") or int(cfg["hidden_size"]) // heads
        return LLMConfig(
            kind=kind, vocab_size=int(cfg["vocab_size"]), hidden_size=int(cfg["hidden_size"]),
            intermediate_size=int(cfg["intermediate_size"]), num_hidden_layers=int(cfg["num_hidden_layers"]),
            num_attention_heads=heads, num_key_value_heads=int(cfg.get("num_key_value_heads") or heads),
            head_dim=int(hd), rms_norm_eps=float(cfg.get("rms_norm_eps", 1e-6)),
            rope_theta=float(cfg.get("rope_theta", 10000.0)), attention_bias=bool(cfg.get("attention_bias", False)),
            hidden_layers=list(hidden_layers or DEFAULT_HIDDEN_LAYERS[kind]))

    def to_hf(self) -> dict:
        """A minimal HF config.json for this config (tests write tiny checkpoints with it)."""
        d = {"model_type": "qwen3" if self.kind == "qwen3" else "mistral", "vocab_size": self.vocab_size,
             "hidden_size": self.hidden_size, "intermediate_size": self.intermediate_size,
             "num_hidden_layers": self.num_hidden_layers, "num_attention_heads": self.num_attention_heads,
             "num_key_value_heads": self.num_key_value_heads, "head_dim": self.head_dim,
             "rms_norm_eps": self.rms_norm_eps, "rope_theta": self.rope_theta, "hidden_act": "silu",
             "attention_bias": self.attention_bias, "tie_word_embeddings": self.kind == "qwen3",
             "rope_scaling": None, "torch_dtype": "bfloat16"}
        d["architectures"] = ["Qwen3ForCausalLM" if self.kind == "qwen3" else "MistralForCausalLM"]
        return d


class RMSNormHF(nn.Module):
    def __init__(self, dim: int, eps: float, device: Optional[torch.device] = None):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim, device=device))

    def forward(self, x: Tensor) -> Tensor:
        dt = x.dtype
        xf = x.float()
        xf = xf * torch.rsqrt(torch.mean(xf * xf, dim=-1, keepdim=True) + self.eps)
        return self.weight * xf.to(dt)


def rotate_half(x: Tensor) -> Tensor:
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg: LLMConfig, device: Optional[torch.device] = None):
        super().__init__()
        d, hd = cfg.hidden_size, cfg.head_dim
        self.n_heads = cfg.num_attention_heads
        self.n_kv = cfg.num_key_value_heads
        self.head_dim = hd
        self.use_qk_norm = cfg.qk_norm
        b = cfg.attention_bias
        self.q_proj = nn.Linear(d, self.n_heads * hd, bias=b, device=device)
        self.k_proj = nn.Linear(d, self.n_kv * hd, bias=b, device=device)
        self.v_proj = nn.Linear(d, self.n_kv * hd, bias=b, device=device)
        self.o_proj = nn.Linear(self.n_heads * hd, d, bias=False, device=device)
        if cfg.qk_norm:
            self.q_norm = RMSNormHF(hd, cfg.rms_norm_eps, device)
            self.k_norm = RMSNormHF(hd, cfg.rms_norm_eps, device)
        else:
            self.q_norm = nn.Identity()
            self.k_norm = nn.Identity()

    def forward(self, x: Tensor, cos: Tensor, sin: Tensor, bias: Tensor, row_ok: Tensor) -> Tensor:
        b, l = x.shape[0], x.shape[1]
        q = self.q_proj(x).reshape(b, l, self.n_heads, self.head_dim)
        k = self.k_proj(x).reshape(b, l, self.n_kv, self.head_dim)
        v = self.v_proj(x).reshape(b, l, self.n_kv, self.head_dim).transpose(1, 2)
        q = self.q_norm(q).transpose(1, 2)  # [B,H,L,hd]
        k = self.k_norm(k).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.n_heads // self.n_kv
        if rep > 1:
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        s = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))
        w = torch.softmax(s.float() + bias, dim=-1) * row_ok
        o = torch.matmul(w.to(v.dtype), v)
        return self.o_proj(o.transpose(1, 2).reshape(b, l, self.n_heads * self.head_dim))


class MLP(nn.Module):
    def __init__(self, d: int, inter: int, device: Optional[torch.device] = None):
        super().__init__()
        self.gate_proj = nn.Linear(d, inter, bias=False, device=device)
        self.up_proj = nn.Linear(d, inter, bias=False, device=device)
        self.down_proj = nn.Linear(inter, d, bias=False, device=device)

    def forward(self, x: Tensor) -> Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg: LLMConfig, device: Optional[torch.device] = None):
        super().__init__()
        self.input_layernorm = RMSNormHF(cfg.hidden_size, cfg.rms_norm_eps, device)
        self.self_attn = Attention(cfg, device)
        self.post_attention_layernorm = RMSNormHF(cfg.hidden_size, cfg.rms_norm_eps, device)
        self.mlp = MLP(cfg.hidden_size, cfg.intermediate_size, device)

    def forward(self, x: Tensor, cos: Tensor, sin: Tensor, bias: Tensor, row_ok: Tensor) -> Tensor:
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, bias, row_ok)
        return x + self.mlp(self.post_attention_layernorm(x))


class LLMTextEncoder(nn.Module):
    """Truncated decoder; parameter names are HF's without the `model.` prefix (embed_tokens, layers.i.*, norm)."""

    def __init__(self, cfg: LLMConfig, device: Optional[torch.device] = None):
        super().__init__()
        cfg.validate()
        self.hidden_layers: List[int] = list(cfg.hidden_layers)
        self.head_dim = cfg.head_dim
        self.rope_theta = float(cfg.rope_theta)
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size, device=device)
        self.layers = nn.ModuleList([DecoderLayer(cfg, device) for _ in range(cfg.depth)])
        # HF's last hidden state (index num_hidden_layers) is taken after the final norm
        self.apply_final_norm = cfg.depth == cfg.num_hidden_layers
        if self.apply_final_norm:
            self.norm = RMSNormHF(cfg.hidden_size, cfg.rms_norm_eps, device)
        else:
            self.norm = nn.Identity()

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        l = input_ids.shape[1]
        dev = input_ids.device
        x = self.embed_tokens(input_ids)
        dt = x.dtype
        # RoPE tables (HF: inv_freq from an int64 arange in float32, angles in float32, cos/sin cast to dtype)
        inv_freq = 1.0 / torch.pow(self.rope_theta, (torch.arange(0, self.head_dim, 2, dtype=torch.int64,
                                                            device=dev).float() / self.head_dim))
        pos = torch.arange(l, dtype=torch.int64, device=dev).float()
        ang = pos[:, None] * inv_freq[None, :]
        emb = torch.cat([ang, ang], dim=-1)
        cos = emb.cos().to(dt)[None, None]
        sin = emb.sin().to(dt)[None, None]
        causal = torch.ones(l, l, dtype=torch.bool, device=dev).tril()
        allowed = causal[None, None] & (attention_mask[:, None, None, :] != 0)  # [B,1,L,L]
        bias = torch.zeros(allowed.shape, dtype=torch.float32, device=dev).masked_fill(~allowed, -1e30)
        row_ok = allowed.any(dim=-1, keepdim=True).float()
        states: List[Tensor] = [x]
        n = len(self.layers)
        i = 0
        for layer in self.layers:
            x = layer(x, cos, sin, bias, row_ok)
            i += 1
            if i == n and self.apply_final_norm:
                x = self.norm(x)
            states.append(x)
        out: List[Tensor] = []
        for k in self.hidden_layers:
            out.append(states[k])
        return torch.cat(out, dim=-1).float()


def init_random_(model: LLMTextEncoder, generator: torch.Generator) -> None:
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.startswith("embed_tokens"):
                p.copy_(torch.randn(p.shape, generator=generator))
            elif p.dim() == 1 and "norm" in name:
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=generator))
            elif p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=generator) / math.sqrt(p.shape[1]))
            else:
                p.copy_(0.02 * torch.randn(p.shape, generator=generator))


# ---------------------------------------------------------------------------------------------------------------
# loading from / writing to HF-format folders

HF_PREFIXES = ["model.language_model.", "language_model.model.", "model.", ""]


def detect_prefix(keys: List[str]) -> str:
    ks = set(keys)
    for p in HF_PREFIXES:
        if p + "embed_tokens.weight" in ks:
            return p
    raise ValueError("no embed_tokens.weight under any known prefix (model., language_model.model., "
                     "model.language_model.)")


def assign_parameters(module: nn.Module, tensors: Dict[str, Tensor]) -> None:
    """Replace parameters/buffers by the given tensors (no copy into pre-allocated storage: works for modules built
    on the meta device, keeps the given dtype). Every parameter must be supplied."""
    own = dict(module.named_parameters())
    missing = [k for k in own if k not in tensors]
    if missing:
        raise KeyError(f"missing tensors: {missing[:8]}{' ...' if len(missing) > 8 else ''}")
    for name, t in tensors.items():
        path, leaf = name.rsplit(".", 1) if "." in name else ("", name)
        sub = module.get_submodule(path) if path else module
        if leaf in sub._parameters:
            old = sub._parameters[leaf]
            if list(old.shape) != list(t.shape):
                raise ValueError(f"{name}: checkpoint shape {list(t.shape)} != model shape {list(old.shape)}")
            sub._parameters[leaf] = nn.Parameter(t, requires_grad=False)
        elif leaf in sub._buffers:
            sub._buffers[leaf] = t
        else:
            raise KeyError(f"unexpected tensor {name}")


def read_hf_config(folder: str) -> dict:
    with open(os.path.join(folder, "config.json"), encoding="utf-8") as f:
        return json.load(f)


def load_hf_text_encoder(folder: str, hidden_layers: Optional[List[int]] = None,
                         dtype: torch.dtype = torch.float32) -> LLMTextEncoder:
    """Build the truncated encoder from a HF folder, reading only the tensors it needs, tensor by tensor."""
    cfg = LLMConfig.from_hf(read_hf_config(folder), hidden_layers)
    ckpt = ShardedCheckpoint.from_folder(folder)
    prefix = detect_prefix(ckpt.keys())
    model = LLMTextEncoder(cfg, device=torch.device("meta"))
    tensors: Dict[str, Tensor] = {}
    for name, _ in model.named_parameters():
        key = prefix + name
        if key not in ckpt:
            raise KeyError(f"{key} not in the checkpoint")
        tensors[name] = ckpt.get(key, keep_bf16=(dtype == torch.bfloat16)).to(dtype)
    assign_parameters(model, tensors)
    return model.eval()


def write_hf_checkpoint(model: LLMTextEncoder, cfg: LLMConfig, folder: str, prefix: str = "model.",
                        shards: int = 1, extra: Optional[Dict[str, Tensor]] = None,
                        dtype: torch.dtype = torch.float32, config_override: Optional[dict] = None) -> None:
    """Tests: a HF-format folder (config.json, model[-0000i-of-0000n].safetensors, index json when sharded).
    `extra` adds tensors the encoder does not use (later layers, lm_head, vision tower ...)."""
    os.makedirs(folder, exist_ok=True)
    sd = {prefix + k: v.detach().to(dtype).contiguous() for k, v in model.state_dict().items()}
    if extra:
        sd.update({k: v.to(dtype) for k, v in extra.items()})
    hf = config_override if config_override is not None else cfg.to_hf()
    with open(os.path.join(folder, "config.json"), "w", encoding="utf-8") as f:
        json.dump(hf, f, indent=2)
    names = sorted(sd)
    if shards == 1:
        save_file(sd, os.path.join(folder, "model.safetensors"))
        return
    per = (len(names) + shards - 1) // shards
    wm: Dict[str, str] = {}
    for i in range(shards):
        fn = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        part = {k: sd[k] for k in names[i * per:(i + 1) * per]}
        save_file(part, os.path.join(folder, fn))
        wm.update({k: fn for k in part})
    with open(os.path.join(folder, "model.safetensors.index.json"), "w", encoding="utf-8") as f:
        json.dump({"metadata": {}, "weight_map": wm}, f, indent=2)
