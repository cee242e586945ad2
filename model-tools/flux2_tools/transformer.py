"""FLUX.2 flow transformer (spec section 2), written to be torch.jit.script-able under torch 1.13.

Parameter names follow BFL's single-file checkpoint keys (img_in, txt_in, time_in.in_layer, guidance_in.*,
double_stream_modulation_img.lin, double_blocks.i.img_attn.qkv, single_blocks.j.linear1,
final_layer.adaLN_modulation.1, ...), so real checkpoints can be loaded with load_state_dict.
"""
import math
from dataclasses import dataclass, field, asdict
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn


@dataclass
class TransformerConfig:
    hidden_size: int = 64
    num_heads: int = 2
    head_dim: int = 32
    axes_dim: List[int] = field(default_factory=lambda: [8, 8, 8, 8])
    depth_double: int = 1
    depth_single: int = 2
    in_channels: int = 128
    context_dim: int = 96
    mlp_ratio: float = 3.0
    rope_theta: int = 2000
    guidance_embed: bool = True

    def to_json(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_json(d: dict) -> "TransformerConfig":
        return TransformerConfig(**d)

    def validate(self) -> None:
        if self.num_heads * self.head_dim != self.hidden_size:
            raise ValueError("num_heads * head_dim must equal hidden_size")
        if sum(self.axes_dim) != self.head_dim or len(self.axes_dim) != 4:
            raise ValueError("axes_dim must have 4 entries summing to head_dim")
        if any(a % 2 for a in self.axes_dim):
            raise ValueError("every axes_dim entry must be even")


# ---------------------------------------------------------------------------------------------------------------
# helpers (free functions are compiled by torch.jit.script on first use)

def timestep_embedding(t: Tensor, dim: int = 256, time_factor: float = 1000.0) -> Tensor:
    """Sinusoid of time_factor*t: [cos(s*f_0..f_{half-1}), sin(...)], f_k = exp(-ln(10000) k / half). float32."""
    t = t.float() * time_factor
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(0, half, dtype=torch.float32, device=t.device) / half)
    args = t[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def rope_tables(ids: Tensor, axes_dim: List[int], theta: int) -> Tuple[Tensor, Tensor]:
    """ids [B,S,A] int -> (cos, sin) each float32 [B,1,S,sum(axes_dim)/2]; axis slices in order of ids' last dim."""
    parts: List[Tensor] = []
    for a in range(len(axes_dim)):
        d = axes_dim[a]
        j = torch.arange(0, d, 2, dtype=torch.float64, device=ids.device) / d
        omega = 1.0 / (float(theta) ** j)  # theta^(-2j/d)
        pos = ids[:, :, a].to(torch.float64)
        parts.append(pos[:, :, None] * omega[None, None, :])
    ang = torch.cat(parts, dim=-1)
    return torch.cos(ang).float()[:, None], torch.sin(ang).float()[:, None]


def apply_rope(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate ADJACENT pairs (x_2j, x_2j+1) of the last dim by the angles; computed in float32, cast back."""
    dt = x.dtype
    xf = x.float().reshape(x.shape[0], x.shape[1], x.shape[2], -1, 2)
    x0, x1 = xf.unbind(-1)
    out = torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], dim=-1)
    return out.reshape(x.shape).to(dt)


def _plain_attention(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    scale = 1.0 / math.sqrt(q.shape[-1])
    w = torch.softmax(torch.matmul(q, k.transpose(-2, -1)) * scale, dim=-1)
    return torch.matmul(w, v)


def _sdpa_attention(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    return F.scaled_dot_product_attention(q, k, v)


HAS_SDPA = hasattr(F, "scaled_dot_product_attention")
attention_core = _sdpa_attention if HAS_SDPA else _plain_attention


def attention(q: Tensor, k: Tensor, v: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """q,k,v [B,H,S,hd] (already QK-normed) -> [B,S,H*hd]; RoPE on q and k, no mask."""
    q = apply_rope(q, cos, sin)
    k = apply_rope(k, cos, sin)
    o = attention_core(q, k, v)
    return o.permute(0, 2, 1, 3).reshape(o.shape[0], o.shape[2], -1)


def layer_norm(x: Tensor) -> Tensor:
    return F.layer_norm(x, [x.shape[-1]], None, None, 1e-6)


# ---------------------------------------------------------------------------------------------------------------
# modules

# Device the constructors allocate parameters on. The checkpoint loader builds on "meta" (no memory) and then
# assigns the checkpoint tensors, so a 32B model is never materialised in float32.
_BUILD_DEVICE: Optional[torch.device] = None


class build_on:
    """with build_on(torch.device("meta")): Flux2Transformer(cfg)"""

    def __init__(self, device: Optional[torch.device]):
        self.device = device

    def __enter__(self):
        global _BUILD_DEVICE
        self.prev = _BUILD_DEVICE
        _BUILD_DEVICE = self.device

    def __exit__(self, *exc):
        global _BUILD_DEVICE
        _BUILD_DEVICE = self.prev
        return False


def _linear(i: int, o: int) -> nn.Linear:
    return nn.Linear(i, o, bias=False, device=_BUILD_DEVICE)

class MLPEmbedder(nn.Module):
    def __init__(self, in_dim: int, hidden: int):
        super().__init__()
        self.in_layer = _linear(in_dim, hidden)
        self.out_layer = _linear(hidden, hidden)

    def forward(self, x: Tensor) -> Tensor:
        return self.out_layer(F.silu(self.in_layer(x)))


class RMSNorm(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(dim, device=_BUILD_DEVICE))

    def forward(self, x: Tensor) -> Tensor:
        dt = x.dtype
        xf = x.float()
        rrms = torch.rsqrt(torch.mean(xf * xf, dim=-1, keepdim=True) + 1e-6)
        return (xf * rrms).to(dt) * self.scale.to(dt)


class QKNorm(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.query_norm = RMSNorm(dim)
        self.key_norm = RMSNorm(dim)

    def forward(self, q: Tensor, k: Tensor) -> Tuple[Tensor, Tensor]:
        return self.query_norm(q), self.key_norm(k)


class SwiGLU(nn.Module):
    """out = SiLU(first half) * second half."""

    def forward(self, x: Tensor) -> Tensor:
        a, b = x.chunk(2, dim=-1)
        return F.silu(a) * b


class SelfAttention(nn.Module):
    def __init__(self, dim: int, num_heads: int, head_dim: int):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = head_dim
        self.qkv = _linear(dim, 3 * dim)
        self.norm = QKNorm(head_dim)
        self.proj = _linear(dim, dim)

    def qkv_heads(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        b, s = x.shape[0], x.shape[1]
        qkv = self.qkv(x).reshape(b, s, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        q, k = self.norm(q, k)
        return q, k, v


class Modulation(nn.Module):
    def __init__(self, dim: int, n: int):
        super().__init__()
        self.n = n
        self.lin = _linear(dim, n * dim)

    def forward(self, vec: Tensor) -> List[Tensor]:
        return self.lin(F.silu(vec))[:, None, :].chunk(self.n, dim=-1)


class DoubleStreamBlock(nn.Module):
    def __init__(self, dim: int, num_heads: int, head_dim: int, mlp_hidden: int):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = head_dim
        self.img_attn = SelfAttention(dim, num_heads, head_dim)
        self.img_mlp = nn.Sequential(_linear(dim, 2 * mlp_hidden), SwiGLU(),
                                     _linear(mlp_hidden, dim))
        self.txt_attn = SelfAttention(dim, num_heads, head_dim)
        self.txt_mlp = nn.Sequential(_linear(dim, 2 * mlp_hidden), SwiGLU(),
                                     _linear(mlp_hidden, dim))

    def forward(self, img: Tensor, txt: Tensor, mod_img: List[Tensor], mod_txt: List[Tensor],
                cos: Tensor, sin: Tensor) -> Tuple[Tensor, Tensor]:
        i_shift1, i_scale1, i_gate1, i_shift2, i_scale2, i_gate2 = mod_img[0], mod_img[1], mod_img[2], \
            mod_img[3], mod_img[4], mod_img[5]
        t_shift1, t_scale1, t_gate1, t_shift2, t_scale2, t_gate2 = mod_txt[0], mod_txt[1], mod_txt[2], \
            mod_txt[3], mod_txt[4], mod_txt[5]
        iq, ik, iv = self.img_attn.qkv_heads((1 + i_scale1) * layer_norm(img) + i_shift1)
        tq, tk, tv = self.txt_attn.qkv_heads((1 + t_scale1) * layer_norm(txt) + t_shift1)
        q = torch.cat([tq, iq], dim=2)
        k = torch.cat([tk, ik], dim=2)
        v = torch.cat([tv, iv], dim=2)
        o = attention(q, k, v, cos, sin)
        lt = txt.shape[1]
        t_o, i_o = o.split([lt, o.shape[1] - lt], dim=1)
        img = img + i_gate1 * self.img_attn.proj(i_o)
        img = img + i_gate2 * self.img_mlp((1 + i_scale2) * layer_norm(img) + i_shift2)
        txt = txt + t_gate1 * self.txt_attn.proj(t_o)
        txt = txt + t_gate2 * self.txt_mlp((1 + t_scale2) * layer_norm(txt) + t_shift2)
        return img, txt


class SingleStreamBlock(nn.Module):
    def __init__(self, dim: int, num_heads: int, head_dim: int, mlp_hidden: int):
        super().__init__()
        self.dim = dim
        self.num_heads = num_heads
        self.head_dim = head_dim
        self.mlp_hidden = mlp_hidden
        self.linear1 = _linear(dim, 3 * dim + 2 * mlp_hidden)
        self.linear2 = _linear(dim + mlp_hidden, dim)
        self.norm = QKNorm(head_dim)

    def forward(self, h: Tensor, mod: List[Tensor], cos: Tensor, sin: Tensor) -> Tensor:
        shift, scale, gate = mod[0], mod[1], mod[2]
        p = self.linear1((1 + scale) * layer_norm(h) + shift)
        b, s = h.shape[0], h.shape[1]
        # split/unbind rather than slicing: the same views, but their backward joins the parts' gradients
        # once, where each slice's would fill a zero tensor of the whole input (a fifth of the demo trainer's
        # forward and backward on the CPU)
        qkv_p, gate_p, up_p = p.split([3 * self.dim, self.mlp_hidden, self.mlp_hidden], dim=-1)
        q, k, v = qkv_p.reshape(b, s, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        q, k = self.norm(q, k)
        a = attention(q, k, v, cos, sin)
        g = F.silu(gate_p) * up_p
        return h + gate * self.linear2(torch.cat([a, g], dim=-1))


class LastLayer(nn.Module):
    def __init__(self, dim: int, out_channels: int):
        super().__init__()
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), _linear(dim, 2 * dim))
        self.linear = _linear(dim, out_channels)

    def forward(self, x: Tensor, vec: Tensor) -> Tensor:
        shift, scale = self.adaLN_modulation(vec)[:, None, :].chunk(2, dim=-1)
        return self.linear((1 + scale) * layer_norm(x) + shift)


class Flux2Transformer(nn.Module):
    """forward(x [B,N,128], x_ids i64 [B,N,4], timesteps [B] (sigma), ctx [B,L,C], ctx_ids i64 [B,L,4],
    guidance [B]) -> [B,N,128] float32. Weights may be float32 or bfloat16; I/O stays float32."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        cfg.validate()
        d = cfg.hidden_size
        mlp_hidden = int(d * cfg.mlp_ratio)
        self.hidden_size = d
        self.axes_dim: List[int] = list(cfg.axes_dim)
        self.rope_theta = int(cfg.rope_theta)
        self.img_in = _linear(cfg.in_channels, d)
        self.txt_in = _linear(cfg.context_dim, d)
        self.time_in = MLPEmbedder(256, d)
        self.guidance_in: Optional[MLPEmbedder] = MLPEmbedder(256, d) if cfg.guidance_embed else None
        self.double_stream_modulation_img = Modulation(d, 6)
        self.double_stream_modulation_txt = Modulation(d, 6)
        self.single_stream_modulation = Modulation(d, 3)
        self.double_blocks = nn.ModuleList(
            [DoubleStreamBlock(d, cfg.num_heads, cfg.head_dim, mlp_hidden) for _ in range(cfg.depth_double)])
        self.single_blocks = nn.ModuleList(
            [SingleStreamBlock(d, cfg.num_heads, cfg.head_dim, mlp_hidden) for _ in range(cfg.depth_single)])
        self.final_layer = LastLayer(d, cfg.in_channels)

    def forward(self, x: Tensor, x_ids: Tensor, timesteps: Tensor, ctx: Tensor, ctx_ids: Tensor,
                guidance: Tensor) -> Tensor:
        dt = self.img_in.weight.dtype
        # 1000*sigma is formed in the model dtype (bf16 rounding as in the reference code; exact in float32),
        # the sinusoid itself is float32.
        vec = self.time_in(timestep_embedding((timesteps.to(dt) * 1000.0).float(), 256, 1.0).to(dt))
        g_in = self.guidance_in
        if g_in is not None:
            vec = vec + g_in(timestep_embedding((guidance.to(dt) * 1000.0).float(), 256, 1.0).to(dt))
        mod_img = self.double_stream_modulation_img(vec)
        mod_txt = self.double_stream_modulation_txt(vec)
        mod_single = self.single_stream_modulation(vec)

        img = self.img_in(x.to(dt))
        txt = self.txt_in(ctx.to(dt))
        cos, sin = rope_tables(torch.cat([ctx_ids, x_ids], dim=1), self.axes_dim, self.rope_theta)

        for block in self.double_blocks:
            img, txt = block(img, txt, mod_img, mod_txt, cos, sin)
        lt = txt.shape[1]
        h = torch.cat([txt, img], dim=1)
        for block in self.single_blocks:
            h = block(h, mod_single, cos, sin)
        return self.final_layer(h[:, lt:], vec).float()


def init_random_(model: Flux2Transformer, generator: torch.Generator) -> None:
    """Deterministic, non-degenerate random weights: fan-in scaled normals, small modulation / output weights."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith(".scale"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=generator))
                continue
            fan_in = p.shape[1]
            std = 1.0 / math.sqrt(fan_in)
            if "modulation" in name:
                std *= 0.3
            if name == "final_layer.linear.weight":
                std *= 0.5
            p.copy_(torch.randn(p.shape, generator=generator) * std)
