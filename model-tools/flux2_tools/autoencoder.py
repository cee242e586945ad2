"""FLUX.2 VAE (spec section 3) at configurable size, plus the two scriptable package graphs.

Key names follow BFL's ae.safetensors: encoder.conv_in, encoder.down.{lvl}.block.{j}.*, encoder.down.{lvl}.downsample.conv,
encoder.mid.{block_1,attn_1,block_2}, encoder.norm_out, encoder.conv_out, encoder.quant_conv, decoder.post_quant_conv,
decoder.conv_in, decoder.mid.*, decoder.up.{lvl}.block.{j}, decoder.up.{lvl}.upsample.conv, decoder.norm_out,
decoder.conv_out, bn.running_mean / bn.running_var.
"""
import math
from dataclasses import dataclass, field, asdict
from typing import List

import torch
import torch.nn.functional as F
from torch import Tensor, nn

Z_CHANNELS = 32  # fixed: 32 * 2 * 2 = 128 packed latent channels


@dataclass
class VAEConfig:
    ch: int = 8
    ch_mult: List[int] = field(default_factory=lambda: [1, 2, 4, 4])
    num_res_blocks: int = 1
    norm_groups: int = 4
    z_channels: int = Z_CHANNELS
    downscale: int = 8
    patch: int = 2

    def to_json(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_json(d: dict) -> "VAEConfig":
        return VAEConfig(**d)

    def validate(self) -> None:
        if self.z_channels != Z_CHANNELS or self.patch != 2:
            raise ValueError("z_channels must be 32 and patch 2 (128 packed channels)")
        if 2 ** (len(self.ch_mult) - 1) != self.downscale:
            raise ValueError("downscale must be 2^(len(ch_mult)-1)")
        for m in self.ch_mult:
            if (self.ch * m) % self.norm_groups:
                raise ValueError("every block width must be divisible by norm_groups")


def swish(x: Tensor) -> Tensor:
    return F.silu(x)


class ResnetBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, groups: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, in_ch, eps=1e-6, affine=True)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, 1, 1)
        self.norm2 = nn.GroupNorm(groups, out_ch, eps=1e-6, affine=True)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1)
        self.nin_shortcut = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv1(swish(self.norm1(x)))
        h = self.conv2(swish(self.norm2(h)))
        return self.nin_shortcut(x) + h


def _plain_matmul(a: Tensor, b: Tensor) -> Tensor:
    return torch.bmm(a, b)


# The attention's batched products. The demo trainer swaps in a faster kernel of the same math while it tunes the
# decoder (Debian's torch runs bmm on the reference BLAS); exported graphs are scripted with this one.
attention_matmul = _plain_matmul


class AttnBlock(nn.Module):
    """Single-head attention over the H*W positions with C channels (1x1 conv projections)."""

    def __init__(self, ch: int, groups: int):
        super().__init__()
        self.norm = nn.GroupNorm(groups, ch, eps=1e-6, affine=True)
        self.q = nn.Conv2d(ch, ch, 1)
        self.k = nn.Conv2d(ch, ch, 1)
        self.v = nn.Conv2d(ch, ch, 1)
        self.proj_out = nn.Conv2d(ch, ch, 1)

    def forward(self, x: Tensor) -> Tensor:
        b, c, h, w = x.shape
        hn = self.norm(x)
        q = self.q(hn).reshape(b, c, h * w).transpose(1, 2)  # [B,HW,C]
        k = self.k(hn).reshape(b, c, h * w)  # [B,C,HW]
        v = self.v(hn).reshape(b, c, h * w).transpose(1, 2)  # [B,HW,C]
        att = torch.softmax(attention_matmul(q, k) * (1.0 / math.sqrt(c)), dim=-1)
        o = attention_matmul(att, v).transpose(1, 2).reshape(b, c, h, w)
        return x + self.proj_out(o)


class Downsample(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, 2, 0)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(F.pad(x, [0, 1, 0, 1], mode="constant", value=0.0))


class Upsample(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class MidBlock(nn.Module):
    def __init__(self, ch: int, groups: int):
        super().__init__()
        self.block_1 = ResnetBlock(ch, ch, groups)
        self.attn_1 = AttnBlock(ch, groups)
        self.block_2 = ResnetBlock(ch, ch, groups)

    def forward(self, x: Tensor) -> Tensor:
        return self.block_2(self.attn_1(self.block_1(x)))


class DownLevel(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, n: int, groups: int, down: bool):
        super().__init__()
        blocks = []
        for j in range(n):
            blocks.append(ResnetBlock(in_ch if j == 0 else out_ch, out_ch, groups))
        self.block = nn.ModuleList(blocks)
        self.downsample = Downsample(out_ch) if down else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        for b in self.block:
            x = b(x)
        return self.downsample(x)


class UpLevel(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, n: int, groups: int, up: bool):
        super().__init__()
        blocks = []
        for j in range(n):
            blocks.append(ResnetBlock(in_ch if j == 0 else out_ch, out_ch, groups))
        self.block = nn.ModuleList(blocks)
        self.upsample = Upsample(out_ch) if up else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        for b in self.block:
            x = b(x)
        return self.upsample(x)


class Encoder(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        g = cfg.norm_groups
        self.conv_in = nn.Conv2d(3, cfg.ch, 3, 1, 1)
        widths = [cfg.ch * m for m in cfg.ch_mult]
        levels = []
        in_ch = cfg.ch
        for i, w in enumerate(widths):
            levels.append(DownLevel(in_ch, w, cfg.num_res_blocks, g, i != len(widths) - 1))
            in_ch = w
        self.down = nn.ModuleList(levels)
        self.mid = MidBlock(in_ch, g)
        self.norm_out = nn.GroupNorm(g, in_ch, eps=1e-6, affine=True)
        self.conv_out = nn.Conv2d(in_ch, 2 * cfg.z_channels, 3, 1, 1)
        self.quant_conv = nn.Conv2d(2 * cfg.z_channels, 2 * cfg.z_channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        """image [B,3,H,W] -> moments [B,64,H/8,W/8] (mean, logvar)."""
        h = self.conv_in(x)
        for lvl in self.down:
            h = lvl(h)
        h = self.mid(h)
        h = self.conv_out(swish(self.norm_out(h)))
        return self.quant_conv(h)


class Decoder(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        g = cfg.norm_groups
        widths = [cfg.ch * m for m in cfg.ch_mult]
        self.post_quant_conv = nn.Conv2d(cfg.z_channels, cfg.z_channels, 1)
        block_in = widths[-1]
        self.conv_in = nn.Conv2d(cfg.z_channels, block_in, 3, 1, 1)
        self.mid = MidBlock(block_in, g)
        # up.{lvl}: lvl = resolution level (0 = full resolution). Registered lowest resolution first, so that
        # iterating the list walks the decoder in execution order while the keys keep BFL's level numbers.
        self.up = nn.ModuleList()
        for i in reversed(range(len(widths))):
            self.up.add_module(str(i), UpLevel(block_in, widths[i], cfg.num_res_blocks + 1, g, i != 0))
            block_in = widths[i]
        self.norm_out = nn.GroupNorm(g, block_in, eps=1e-6, affine=True)
        self.conv_out = nn.Conv2d(block_in, 3, 3, 1, 1)
        self.num_levels = len(widths)

    def forward(self, z: Tensor) -> Tensor:
        h = self.conv_in(self.post_quant_conv(z))
        h = self.mid(h)
        for lvl in self.up:  # registration order: lowest resolution first
            h = lvl(h)
        return self.conv_out(swish(self.norm_out(h)))


def patchify(z: Tensor) -> Tensor:
    """[B,C,2h,2w] -> [B,4C,h,w], channel index c*4 + pi*2 + pj."""
    b, c, hh, ww = z.shape
    h = hh // 2
    w = ww // 2
    return z.reshape(b, c, h, 2, w, 2).permute(0, 1, 3, 5, 2, 4).reshape(b, c * 4, h, w)


def unpatchify(z: Tensor) -> Tensor:
    """[B,4C,h,w] -> [B,C,2h,2w]; inverse of patchify."""
    b, c4, h, w = z.shape
    c = c4 // 4
    return z.reshape(b, c, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3).reshape(b, c, h * 2, w * 2)


class AutoEncoder(nn.Module):
    def __init__(self, cfg: VAEConfig):
        super().__init__()
        cfg.validate()
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.bn = nn.BatchNorm2d(4 * cfg.z_channels, eps=1e-4, momentum=0.1, affine=False)
        self.eval()


class VAEEncoderGraph(nn.Module):
    """forward(image f32 [B,3,H,W] in [-1,1]) -> f32 [B,128,H/16,W/16]: mean, patchify, BatchNorm normalise."""

    def __init__(self, ae: AutoEncoder):
        super().__init__()
        self.encoder = ae.encoder
        self.bn = ae.bn
        self.z_channels = Z_CHANNELS

    def forward(self, image: Tensor) -> Tensor:
        dt = self.encoder.conv_in.weight.dtype
        moments = self.encoder(image.to(dt)).float()
        z = patchify(moments[:, : self.z_channels])
        mean = self.bn.running_mean
        var = self.bn.running_var
        assert mean is not None and var is not None
        return (z - mean.float()[None, :, None, None]) / torch.sqrt(var.float()[None, :, None, None] + 1e-4)


class VAEDecoderGraph(nn.Module):
    """forward(latent f32 [B,128,H/16,W/16]) -> f32 [B,3,H,W]: de-normalise, un-patchify, decode."""

    def __init__(self, ae: AutoEncoder):
        super().__init__()
        self.decoder = ae.decoder
        self.bn = ae.bn

    def forward(self, latent: Tensor) -> Tensor:
        mean = self.bn.running_mean
        var = self.bn.running_var
        assert mean is not None and var is not None
        z = latent.float() * torch.sqrt(var.float()[None, :, None, None] + 1e-4) + mean.float()[None, :, None, None]
        dt = self.decoder.conv_in.weight.dtype
        return self.decoder(unpatchify(z).to(dt)).float()


def init_random_(ae: AutoEncoder, generator: torch.Generator) -> None:
    """Deterministic random weights; BN stats random (positive variance) so normalisation is not an identity."""
    with torch.no_grad():
        for name, p in ae.named_parameters():
            if isinstance(p, Tensor) and p.dim() == 4:
                fan_in = p.shape[1] * p.shape[2] * p.shape[3]
                std = 1.0 / math.sqrt(fan_in)
                if name == "decoder.conv_out.weight":
                    std *= 0.5  # keep the decoded image roughly inside [-1, 1]
                p.copy_(torch.randn(p.shape, generator=generator) * std)
            elif name.endswith("norm1.weight") or name.endswith("norm2.weight") or name.endswith("norm.weight") \
                    or name.endswith("norm_out.weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=generator))
            else:  # biases
                p.copy_(0.05 * torch.randn(p.shape, generator=generator))
        ae.bn.running_mean.copy_(0.1 * torch.randn(ae.bn.running_mean.shape, generator=generator))
        ae.bn.running_var.copy_(torch.rand(ae.bn.running_var.shape, generator=generator) * 1.5 + 0.5)
