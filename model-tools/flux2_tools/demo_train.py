"""Trains the demo model (packages/demo) on CPU from procedurally drawn data (demo_data.py) and writes the package.

One command (run from model-tools/, about 53 minutes on 2 idle cores):

    /usr/bin/python3 -m flux2_tools.demo_train --out packages/demo --log training-logs/demo-train.log

Stages (all seeded from --seed; every stage logs its time):
  1. VAE (autoencoder.AutoEncoder, z 32): L1 + L2 reconstruction (shape pixels and, more, their outlines weigh
     extra) + a small KL on random 48x48 crops of rendered scenes (the VAE is fully convolutional, so it runs at
     128x128 and other sizes afterwards).
  2. BatchNorm statistics of the patchified latent means over rendered scenes (the package's latent normaliser).
  3. Latent pools: text-to-image scenes and editing pairs, encoded once with the trained encoder (the exact
     VAEEncoderGraph computation the pipelines run).
  4. Flow transformer (transformer.Flux2Transformer, no guidance embedding) and the stand-in text encoder
     (text_encoder.TextEncoder over a word-level tokenizer of the caption vocabulary), jointly, rectified flow:
     x_t = t*eps + (1-t)*x0, target eps - x0, t from the sampling schedule's shift; every step has a
     text-to-image batch and an editing batch whose source latents are appended after the target tokens with
     ids (10, row, col, 0), as the reference pipeline does. 10% of the captions are dropped (empty prompt), so
     the model can also be sampled with true CFG (variant klein-base). A frozen MLP fitted on the pool latents
     reads each token's shape class from the clean latent each step points at (x_t - t*v); its cross-entropy is
     added to the flow loss (--out-class-weight). At the target tokens an edit keeps, a copy loss teaches one
     attention head to look at the reference token at the same place, and the flow loss weighs more
     (--copy-weight, --kept-weight). The editing batch's loss counts twice its share of the step's samples
     (--edit-loss-weight). EMA weights are exported.
  4b. After the guidance is chosen on a validation set: the VAE decoder is tuned on latents the trained flow
     samples (from partially noised encodings of fresh scenes, so each is paired with its picture), so that it
     draws the flow's soft shapes with their corners (tune_decoder). The encoder is unchanged.
  5. Export with export.write_package (TorchScript graphs, tokenizer.json, model.json, checksums), then
     optionally the held-out benchmark (demo_eval.bench) through the reference pipeline.

The flow stage runs torch's own ops on Debian's OpenMP build of OpenBLAS (package libopenblas0-openmp; the
command starts itself again on it when it is installed but libblas.so.3 points elsewhere). With --kernels onednn
it uses mathematically identical kernels for nn.Linear and the transformer's attention instead (oneDNN through
1x1 / grouped convolutions), the faster choice on the reference BLAS. The exported graphs are scripted from
fresh, unpatched modules."""
import os

# Whether the caller chose a wait policy: the training command runs on ACTIVE unless told otherwise (see
# TRAINING_WAIT_POLICY); everything else importing this module (tests, the exporter) on PASSIVE, set before torch
# loads libgomp, which is far faster on a busy machine.
WAIT_POLICY_GIVEN = "OMP_WAIT_POLICY" in os.environ
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse
import copy
import json
import math
import random
import sys
import tempfile
import time
import types
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import autoencoder as ae_mod
from . import demo_data as D
from . import demo_eval as E
from . import export as ex_mod
from . import text_encoder as te_mod
from . import transformer as tr_mod
from .sampling import empirical_mu, get_schedule, image_ids, pack, reference_ids, text_ids, unpack
from .tokenizer import PAD, PUNCT, SPECIAL, UNK, WordLevelTokenizer, tokenizer_json

# ---------------------------------------------------------------------------------------------------------------
# configuration

MAX_LENGTH = 24  # longest caption is 21 tokens
# hidden 192 (6 heads of 32): GPU trials of 2026-11-29 (model card, "A wider transformer") scored class 95.5 / 91.8 and
# edits 56.2 / 57.3 % (seeds 0 / 1) against 88.1 / 92.5 and 55.2 / 47.9 at 128, for 1.4 times the CPU time a step
TRANSFORMER = dict(hidden_size=192, num_heads=6, head_dim=32, axes_dim=[4, 12, 12, 4], depth_double=2,
                   depth_single=2, in_channels=128, context_dim=192, mlp_ratio=3.0, rope_theta=16,
                   guidance_embed=False)
TEXT_ENCODER = dict(hidden_size=64, num_layers=3, num_heads=2, mlp_ratio=4.0, max_length=MAX_LENGTH,
                    hidden_layers=[1, 2, 3])


def demo_vocab() -> Dict[str, int]:
    vocab: Dict[str, int] = {}
    for tok in SPECIAL + D.vocabulary() + D.PUNCTUATION:
        vocab.setdefault(tok, len(vocab))
    return vocab


# ---------------------------------------------------------------------------------------------------------------
# faster training kernels (same math): oneDNN linear and grouped-convolution batched matmul

_mkl_linear = torch._C._nn.mkldnn_linear


# A training step calls each linear twice (captions, then edits) and its weight changes only at the optimizer's step,
# so the oneDNN copies of a weight and of its transpose are made once per version of the weight (an in-place
# update moves the tensor's version counter) instead of at every forward and backward. The same copies, the same
# products: only fewer conversions.
_weight_copies: Dict[int, Tuple[int, int, Optional[Tensor], Optional[Tensor]]] = {}


def _weight_copy(w: Tensor, transposed: bool) -> Tensor:
    key = id(w)
    version, ptr, plain, trans = _weight_copies.get(key, (-1, 0, None, None))
    if version != w._version or ptr != w.data_ptr():
        version, ptr, plain, trans = w._version, w.data_ptr(), None, None
    if transposed and trans is None:
        trans = w.t().contiguous().to_mkldnn()
    if not transposed and plain is None:
        plain = w.contiguous().to_mkldnn()
    _weight_copies[key] = (version, ptr, plain, trans)
    return trans if transposed else plain


class _DnnlLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, w: Tensor) -> Tensor:
        ctx.save_for_backward(x, w)
        x2 = x.reshape(-1, x.shape[-1]).contiguous()
        y = _mkl_linear(x2.to_mkldnn(), _weight_copy(w, transposed=False)).to_dense()
        return y.reshape(x.shape[:-1] + (w.shape[0],))

    @staticmethod
    def backward(ctx, g: Tensor):
        x, w = ctx.saved_tensors
        x2 = x.reshape(-1, x.shape[-1])
        g2 = g.reshape(-1, g.shape[-1]).contiguous()
        gx = _mkl_linear(g2.to_mkldnn(), _weight_copy(w, transposed=True)).to_dense().reshape(x.shape)
        gw = _mkl_linear(g2.t().contiguous().to_mkldnn(), x2.t().contiguous().to_mkldnn()).to_dense()
        return gx, gw


def _fast_linear_forward(self: nn.Linear, x: Tensor) -> Tensor:
    y = _DnnlLinear.apply(x, self.weight)
    return y if self.bias is None else y + self.bias


def _gbmm(a: Tensor, b: Tensor) -> Tensor:
    """a [G,M,K] @ b [G,K,N] as a grouped 1x1 convolution (oneDNN)."""
    g, m, k = a.shape
    n = b.shape[2]
    out = F.conv1d(a.transpose(1, 2).reshape(1, g * k, m), b.transpose(1, 2).reshape(g * n, k, 1), groups=g)
    return out.reshape(g, n, m).transpose(1, 2)


def _fast_attention_core(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
    b, h, s, d = q.shape
    scale = 1.0 / math.sqrt(d)
    w = torch.softmax(_gbmm(q.reshape(b * h, s, d), k.reshape(b * h, s, d).transpose(1, 2)) * scale, dim=-1)
    return _gbmm(w, v.reshape(b * h, s, d)).reshape(b, h, s, d)


class fast_kernels:
    """with fast_kernels(modules...): nn.Linear of the modules and the transformer's attention run on oneDNN."""

    def __init__(self, *modules: nn.Module, enabled: bool = True):
        self.enabled = enabled
        self.linears = [m for mod in modules for m in mod.modules() if isinstance(m, nn.Linear)] if enabled else []

    def __enter__(self):
        self.prev = tr_mod.attention_core
        if not self.enabled:
            return self
        tr_mod.attention_core = _fast_attention_core
        for m in self.linears:
            m.forward = types.MethodType(_fast_linear_forward, m)
        return self

    def __exit__(self, *exc):
        _weight_copies.clear()
        tr_mod.attention_core = self.prev
        for m in self.linears:
            del m.forward
        return False


class fast_vae_attention:
    """with fast_vae_attention(): the VAE's attention products run as grouped oneDNN convolutions (_gbmm). Used
    around the decoder tuning's steps, where bmm on the reference BLAS took about a third of a step, and with
    --vae-fast-attention around the VAE stage and the latent pools."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled

    def __enter__(self):
        self.prev = ae_mod.attention_matmul
        if self.enabled:
            ae_mod.attention_matmul = _gbmm
        return self

    def __exit__(self, *exc):
        ae_mod.attention_matmul = self.prev
        return False


# ---------------------------------------------------------------------------------------------------------------
# logging

class Log:
    def __init__(self, path: Optional[str]):
        self.t0 = time.time()
        self.f = None
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self.f = open(path, "w", encoding="utf-8")

    def __call__(self, msg: str) -> None:
        line = f"[{time.time() - self.t0:7.1f}s] {msg}"
        print(line, flush=True)
        if self.f:
            self.f.write(line + "\n")
            self.f.flush()


# ---------------------------------------------------------------------------------------------------------------
# data

DEVICE = torch.device("cpu")
# --kernels: the linear layers and the transformer's attention on oneDNN (fast_kernels) or on torch's own ops, that is
# on whichever BLAS library the system's libblas.so.3 points to
ONEDNN_KERNELS = True


def onednn_kernels() -> bool:
    return DEVICE.type == "cpu" and ONEDNN_KERNELS


def blas_library() -> List[str]:
    """The BLAS files this process loaded, links resolved (Debian switches them with update-alternatives)."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            paths = {line.split()[-1] for line in f if "blas" in line and "/" in line}
    except OSError:
        return []
    return sorted({os.path.realpath(p) for p in paths})


# Debian's OpenBLAS built on OpenMP (package libopenblas0-openmp) installs here whichever BLAS update-alternatives
# made libblas.so.3; --kernels blas runs on it when it is there (see --kernels for the measurements).
OPENBLAS_OPENMP_DIR = "/usr/lib/x86_64-linux-gnu/openblas-openmp"


def libblas_files(blas: List[str]) -> List[str]:
    """The libblas.so files among blas_library()'s: those serve the products. liblapack.so.3 has an alternative of
    its own and may come from OpenBLAS while libblas.so.3 is still the reference BLAS."""
    return [p for p in blas if os.path.basename(p).startswith("libblas.so")]


def env_for_openblas_openmp(blas: List[str], env: Dict[str, str], openmp_dir: Optional[str] = None
                            ) -> Optional[Dict[str, str]]:
    """The environment to run again with, so that libblas.so.3 resolves to the OpenMP OpenBLAS; None when this
    process already runs on it, when it is not installed, or when a run with that environment got here."""
    openmp_dir = openmp_dir or OPENBLAS_OPENMP_DIR
    on_it = any(p.startswith(openmp_dir + os.sep) for p in libblas_files(blas))
    if on_it or not os.path.exists(os.path.join(openmp_dir, "libblas.so.3")):
        return None
    path = env.get("LD_LIBRARY_PATH", "")
    if openmp_dir in path.split(":"):
        return None
    return dict(env, LD_LIBRARY_PATH=openmp_dir + (":" + path if path else ""))


# The kernels a run's arithmetic goes through, fixed so that the same command rounds the same way on the machines
# it runs on. OpenBLAS (DYNAMIC_ARCH) and ATen each pick kernels by the CPU: on an AVX-512 machine (AMD EPYC,
# family 25 model 17, 2026-11-29) OpenBLAS 0.3.21 took its Cooperlake kernels and the VAE stage's losses parted
# from those of the AVX2 machine of the earlier runs by step 50; with these two settings the same command printed
# that machine's lines to the digit (OPENBLAS_CORETYPE: OpenBLAS's README, "Runtime CPU detection";
# ATEN_CPU_CAPABILITY: PyTorch's CPU dispatch, aten/src/ATen/native/DispatchStub.cpp). A value already in the
# environment is kept.
PINNED_KERNELS = {"OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2"}


def env_with_pinned_kernels(env: Dict[str, str]) -> Optional[Dict[str, str]]:
    """env with PINNED_KERNELS' settings where it has none; None when it has them all."""
    missing = {k: v for k, v in PINNED_KERNELS.items() if k not in env}
    return dict(env, **missing) if missing else None


# libgomp's threads spin between parallel regions instead of sleeping. On the idle 2-core VM (2026-11-29, the
# same commands one after another, equal losses) the VAE stage's first 100 steps took 0.15 s a step on ACTIVE
# against 0.20 on PASSIVE, and the flow stage's first 100 0.34 against 0.48 (the wake-ups cost most where the
# ops are small). On a machine busy with other work spinning threads take the cores from it: set
# OMP_WAIT_POLICY=PASSIVE there, which the command then keeps.
TRAINING_WAIT_POLICY = "ACTIVE"


def env_with_training_wait_policy(env: Dict[str, str], given: bool) -> Optional[Dict[str, str]]:
    """env with OMP_WAIT_POLICY=TRAINING_WAIT_POLICY unless the caller chose one; None when nothing changes."""
    if given or env.get("OMP_WAIT_POLICY") == TRAINING_WAIT_POLICY:
        return None
    return dict(env, OMP_WAIT_POLICY=TRAINING_WAIT_POLICY)


def render_batch(scenes: List[D.Scene]) -> Tensor:
    return torch.from_numpy(np.stack([D.to_tensor_array(D.render(s)) for s in scenes])).to(DEVICE)


def random_crops(x: Tensor, size: int, rng: random.Random) -> Tensor:
    if size >= x.shape[-1]:
        return x
    out = []
    for img in x:
        top = rng.randrange(0, x.shape[2] - size + 1)
        left = rng.randrange(0, x.shape[3] - size + 1)
        out.append(img[:, top:top + size, left:left + size])
    return torch.stack(out)


def shape_tokens(scene: D.Scene, side: int = D.SIDE) -> np.ndarray:
    """bool [(side/16)^2]: the 16x16-pixel tokens that a shape's bounding box touches (row-major)."""
    n = side // 16
    m = np.zeros((n, n), dtype=bool)
    for s in scene.shapes:
        row, col = D.POSITION_CELL[s.position]
        cx = (col + 0.5) * side / 3 + s.dx
        cy = (row + 0.5) * side / 3 + s.dy
        half = D.SIZES[s.size] / 2
        x0, x1 = int(max(0, cx - half) // 16), int(min(side - 1, cx + half) // 16)
        y0, y1 = int(max(0, cy - half) // 16), int(min(side - 1, cy + half) // 16)
        m[y0:y1 + 1, x0:x1 + 1] = True
    return m.reshape(-1)


def token_labels(scene: D.Scene, side: int = D.SIDE) -> np.ndarray:
    """int64 [(side/16)^2, 2]: per 16x16 token, the majority colour (index into COLOUR_NAMES) and what covers it
    (0 background, 1 + index into CLASSES), for the training-only content probe."""
    n = side // 16
    colour = np.full((side, side), D.COLOUR_NAMES.index(scene.background), dtype=np.int64)
    cls = np.zeros((side, side), dtype=np.int64)
    for s in scene.shapes:
        m = D.shape_mask(s, side, supersample=1) > 0.5
        colour[m] = D.COLOUR_NAMES.index(s.colour)
        cls[m] = 1 + D.CLASSES.index(s.cls)
    out = np.zeros((n * n, 2), dtype=np.int64)
    for k, a in enumerate((colour, cls)):
        blocks = a.reshape(n, 16, n, 16).transpose(0, 2, 1, 3).reshape(n * n, 256)
        out[:, k] = [np.bincount(b).argmax() for b in blocks]
    return out


def token_classes(scene: D.Scene, side: int = D.SIDE, min_cover: float = 0.1) -> np.ndarray:
    """int64 [side/16, side/16]: per 16x16 token, 1 + the class index of the shape covering most of it, if that
    shape covers at least min_cover of the token (small shapes are the majority of no token), else 0."""
    n = side // 16
    best = np.zeros((n, n), dtype=np.float64)
    out = np.zeros((n, n), dtype=np.int64)
    for s in scene.shapes:
        cover = (D.shape_mask(s, side, supersample=1) > 0.5).reshape(n, 16, n, 16).mean(axis=(1, 3))
        take = (cover >= min_cover) & (cover > best)
        out[take] = 1 + D.CLASSES.index(s.cls)
        best = np.maximum(best, cover)
    return out


# a shape token's weight against a background token's in the class readers' cross-entropies (few tokens are shape)
SHAPE_TOKEN_WEIGHT = 5.0


def vae_scene(rng: random.Random) -> D.Scene:
    """VAE data: 0, 1 or 2 shapes (editing sources/targets and the t2i scenes are all of this kind)."""
    n = rng.choices([0, 1, 2], weights=[1, 5, 4])[0]
    return D.random_scene(rng, n_shapes=n)


# ---------------------------------------------------------------------------------------------------------------
# stage 1: VAE

def vae_config(args) -> ae_mod.VAEConfig:
    return ae_mod.VAEConfig(ch=args.vae_ch, ch_mult=[int(m) for m in args.vae_mult.split(",")], num_res_blocks=1,
                            norm_groups=4)


def shape_masks(u8: Tensor, bg: Tensor) -> Tuple[Tensor, Tensor]:
    """Pictures uint8 [N,3,H,W] and their background colours [N,3,1,1] -> bool masks [N,1,H,W]: the shape pixels,
    and the pixels within 2 px of a shape's outline. Corners and edges are what tells a square or a triangle from
    a circle, and they are a small part even of the shape pixels, so plain reconstruction rounds them off."""
    fg = (u8 != bg).any(dim=1, keepdim=True)
    fgf = fg.float()
    return fg, (F.max_pool2d(fgf, 5, 1, 2) - (-F.max_pool2d(-fgf, 5, 1, 2))) > 0


def unit_range(u8: Tensor) -> Tensor:
    """uint8 pictures [N,3,H,W] -> float32 in [-1, 1] on DEVICE."""
    return (u8.float() / 255.0 * 2.0 - 1.0).to(DEVICE)


def context_pairs(n: int, rng: random.Random) -> Tuple[Tensor, Tensor, Tensor]:
    """n editing pairs (source, target) other than background changes, rendered uint8 [n,3,H,W] each, and a mask
    [n, H/16 * W/16] of the tokens whose pixels and one token around them are the same in both: what a token there
    encodes should not depend on the change elsewhere."""
    kinds = [k for k in D.EDIT_KINDS if k != "background"]
    pairs = [D.random_edit(rng, rng.choice(kinds)) for _ in range(n)]
    src = torch.from_numpy(np.stack([D.render(e[0]) for e in pairs])).permute(0, 3, 1, 2).contiguous()
    tgt = torch.from_numpy(np.stack([D.render(e[2]) for e in pairs])).permute(0, 3, 1, 2).contiguous()
    changed = (src != tgt).any(dim=1, keepdim=True).float()
    changed = F.max_pool2d(changed, 16, 16)  # [n,1,H/16,W/16]
    near = F.max_pool2d(changed, 3, 1, 1)
    return src, tgt, (near == 0).reshape(n, -1)


def context_crops(src: Tensor, tgt: Tensor, mask: Tensor, jj: List[int], side: int,
                  rng: random.Random) -> Tuple[Tensor, Tensor, Tensor]:
    """Pairs jj of context_pairs, each cut to a random token-aligned window of side x side pixels (0: the whole
    picture) at the same place in its source and target: pictures [len(jj),3,side,side] each and the mask of their
    tokens [len(jj), (side/16)^2]."""
    if not side or side >= D.SIDE:
        return src[jj], tgt[jj], mask[jj]
    g, k = D.SIDE // 16, side // 16
    win = [(rng.randrange(0, g - k + 1), rng.randrange(0, g - k + 1)) for _ in jj]
    c_src = torch.stack([src[j, :, 16 * t:16 * (t + k), 16 * l:16 * (l + k)] for j, (t, l) in zip(jj, win)])
    c_tgt = torch.stack([tgt[j, :, 16 * t:16 * (t + k), 16 * l:16 * (l + k)] for j, (t, l) in zip(jj, win)])
    c_mask = torch.stack([mask[j].reshape(g, g)[t:t + k, l:l + k].reshape(-1) for j, (t, l) in zip(jj, win)])
    return c_src, c_tgt, c_mask


def train_vae(args, log: Log) -> ae_mod.AutoEncoder:
    """Reconstruction of random crops of a pre-rendered pool; pixels of the shapes weigh 1 + vae_fg_weight (they
    are a small part of the image, and their colours are what the evaluator reads). The log-variance half of
    quant_conv starts at -6 (sigma 0.05), a small KL keeps it and the scale of the means in check."""
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed + 1)
    ae = ae_mod.AutoEncoder(vae_config(args))
    with torch.no_grad():
        ae.encoder.quant_conv.bias[ae_mod.Z_CHANNELS:].fill_(-6.0)
    ae.to(DEVICE).train()
    scenes = [vae_scene(rng) for _ in range(args.vae_pool)]
    pool = torch.from_numpy(np.stack([D.render(s) for s in scenes])).permute(0, 3, 1, 2).contiguous()  # uint8
    bg = torch.tensor([D.COLOURS[s.background] for s in scenes], dtype=torch.uint8)[:, :, None, None]
    fg_pool, edge_pool = shape_masks(pool, bg)
    log(f"vae: {sum(p.numel() for p in ae.parameters())} params, pool of {len(scenes)} images")
    if args.vae_context_weight > 0:
        # GroupNorm normalises with statistics of the whole picture, so without this a shape that an edit keeps
        # is encoded differently once anything else changes, and the flow cannot copy it from the reference
        ctx_rng = random.Random(args.seed + 5)
        ctx_src, ctx_tgt, ctx_mask = context_pairs(args.vae_context_pool, ctx_rng)
        ctx_mask = ctx_mask.to(DEVICE)
    # A linear probe reads each latent token's shape class (training only): colour and position are coarse
    # features the flow transformer learns early, while a class left to the fine detail of the latent is not
    # learned in a CPU-sized run (the decoded shapes stay round blobs); the probe makes the encoder spell it out.
    cls_pool = torch.from_numpy(np.stack([token_classes(sc) for sc in scenes]))  # [N, 8, 8]
    probe = nn.Linear(4 * ae_mod.Z_CHANNELS, 1 + len(D.CLASSES)).to(DEVICE)
    params = list(ae.encoder.parameters()) + list(ae.decoder.parameters()) + list(probe.parameters())
    opt = torch.optim.Adam(params, lr=args.vae_lr, betas=(0.9, 0.99), foreach=True)
    # all 32 latent channels for the first vae_prune_at of the steps (learns fastest), then only the z_used most
    # varied ones, moved to the front (the flow transformer models only those)
    zmask = torch.ones(1, ae_mod.Z_CHANNELS, 1, 1, device=DEVICE)
    prune_step = int(args.vae_prune_at * args.vae_steps)
    t0 = time.time()
    c = args.vae_crop
    for step in range(args.vae_steps):
        if step == prune_step:
            keep = select_channels(ae, pool, args.z_used, rng)
            log(f"vae step {step}: keeping latent channels {keep} (most varied), moved to 0..{args.z_used - 1}")
            zmask = torch.zeros(1, ae_mod.Z_CHANNELS, 1, 1, device=DEVICE)
            zmask[:, : args.z_used] = 1.0
            opt = torch.optim.Adam(params, lr=args.vae_lr, betas=(0.9, 0.99), foreach=True)
        lr = args.vae_lr * min(1.0, (step + 1) / 50) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * step / args.vae_steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        idx = [rng.randrange(len(scenes)) for _ in range(args.vae_batch)]
        # crops on the 16-pixel token grid, as full images are
        tops = [16 * rng.randrange(0, (D.SIDE - c) // 16 + 1) for _ in idx]
        lefts = [16 * rng.randrange(0, (D.SIDE - c) // 16 + 1) for _ in idx]
        x = torch.stack([pool[i, :, t:t + c, l:l + c] for i, t, l in zip(idx, tops, lefts)])
        fg = torch.stack([fg_pool[i, :, t:t + c, l:l + c] for i, t, l in zip(idx, tops, lefts)])
        edge = torch.stack([edge_pool[i, :, t:t + c, l:l + c] for i, t, l in zip(idx, tops, lefts)])
        cls = torch.stack([cls_pool[i, t // 16:(t + c) // 16, l // 16:(l + c) // 16]
                           for i, t, l in zip(idx, tops, lefts)]).to(DEVICE)
        x = unit_range(x)
        wgt = (1.0 + args.vae_fg_weight * fg.float() + args.vae_edge_weight * edge.float()).to(DEVICE)
        moments = ae.encoder(x)
        mu, logvar = moments.chunk(2, dim=1)
        mu = mu * zmask
        logvar = logvar.clamp(-30.0, 20.0)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) * zmask
        y = ae.decoder(z)
        d = y - x
        rec = ((d.abs() + d * d) * wgt).mean() / wgt.mean()
        kl = (0.5 * (mu * mu + logvar.exp() - 1.0 - logvar) * zmask).mean() * (ae_mod.Z_CHANNELS / args.z_used)
        logits = probe(ae_mod.patchify(mu).permute(0, 2, 3, 1))
        ce = (F.cross_entropy(logits.reshape(-1, logits.shape[-1]), cls.reshape(-1), reduction="none")
              * (1.0 + (SHAPE_TOKEN_WEIGHT - 1.0) * (cls.reshape(-1) > 0).float())).mean()
        loss = rec + args.vae_kl * kl + args.vae_class_weight * ce
        ctx_loss = torch.zeros(())
        if args.vae_context_weight > 0 and step % args.vae_context_every == 0:
            jj = [ctx_rng.randrange(len(ctx_mask)) for _ in range(args.vae_context_pairs)]
            c_src, c_tgt, c_mask = context_crops(ctx_src, ctx_tgt, ctx_mask, jj, args.vae_context_crop, ctx_rng)
            both = unit_range(torch.cat([c_src, c_tgt]))
            m_src, m_tgt = (ae_mod.patchify(ae.encoder(both)[:, :ae_mod.Z_CHANNELS] * zmask)
                            .flatten(2).transpose(1, 2).chunk(2))
            same = c_mask.float()
            ctx_loss = (((m_src - m_tgt) ** 2).mean(-1) * same).sum() / same.sum().clamp(min=1.0)
            loss = loss + args.vae_context_weight * ctx_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        if step % 50 == 0 or step == args.vae_steps - 1:
            log(f"vae step {step}/{args.vae_steps} rec {rec.item():.4f} kl {kl.item():.3f} class {ce.item():.3f} "
                + (f"context {ctx_loss.item():.4f} " if args.vae_context_weight > 0 else "") +
                f"sigma {torch.exp(0.5 * logvar[:, :args.z_used]).mean().item():.3f} "
                f"mu_std {mu[:, :args.z_used].std().item():.3f} lr {lr:.2e} "
                f"({(time.time() - t0) / (step + 1):.2f}s/step)")
    prune_vae(ae, args.z_used)
    ae.eval()
    return ae


def select_channels(ae: ae_mod.AutoEncoder, pool: Tensor, z_used: int, rng: random.Random) -> List[int]:
    """Permutes the latent channels so that the z_used with the largest variance of the encoder mean (over 64
    pool images) come first: quant_conv's mean and log-variance rows and post_quant_conv's input columns."""
    idx = [rng.randrange(pool.shape[0]) for _ in range(64)]
    with torch.no_grad():
        x = unit_range(pool[idx])
        mu = ae.encoder(x)[:, : ae_mod.Z_CHANNELS]
        var = mu.var(dim=(0, 2, 3))
        order = torch.argsort(var, descending=True)
        perm = torch.cat([order, order + ae_mod.Z_CHANNELS])
        q = ae.encoder.quant_conv
        q.weight.copy_(q.weight[perm])
        q.bias.copy_(q.bias[perm])
        pq = ae.decoder.post_quant_conv
        pq.weight.copy_(pq.weight[:, order])
    return order[:z_used].tolist()


def prune_vae(ae: ae_mod.AutoEncoder, z_used: int) -> None:
    """Latent channels z_used..31 switched off in the weights: the encoder's mean for them is exactly 0 (so are
    their BatchNorm mean and variance, and their normalised packed channels 4*z_used..127), and the decoder
    ignores them. The package keeps the full FLUX.2 shapes (z 32, 128 packed channels)."""
    with torch.no_grad():
        ae.encoder.quant_conv.weight[z_used:ae_mod.Z_CHANNELS] = 0.0
        ae.encoder.quant_conv.bias[z_used:ae_mod.Z_CHANNELS] = 0.0
        ae.decoder.post_quant_conv.weight[:, z_used:] = 0.0


def set_bn_stats(ae: ae_mod.AutoEncoder, args, log: Log) -> None:
    rng = random.Random(args.seed + 2)
    zs = []
    with torch.no_grad():
        for _ in range(args.bn_images // 32):
            x = render_batch([vae_scene(rng) for _ in range(32)])
            mu = ae.encoder(x)[:, :ae_mod.Z_CHANNELS]
            zs.append(ae_mod.patchify(mu))
    z = torch.cat(zs)  # [N,128,h,w]
    mean = z.mean(dim=(0, 2, 3))
    var = z.var(dim=(0, 2, 3), unbiased=False)
    ae.bn.running_mean.copy_(mean)
    ae.bn.running_var.copy_(var)
    ae.bn.num_batches_tracked.fill_(1)
    log(f"bn stats over {z.shape[0]} images: var min {var.min().item():.4g} median {var.median().item():.4g} "
        f"max {var.max().item():.4g}")


def vae_check(ae: ae_mod.AutoEncoder, args, log: Log) -> dict:
    """Reconstructions of held-out scenes through the package graphs' computation, scored by the evaluator."""
    rng = random.Random(args.seed + 3)
    enc, dec = ae_mod.VAEEncoderGraph(ae).eval(), ae_mod.VAEDecoderGraph(ae).eval()
    results, err = [], []
    with torch.no_grad():
        for _ in range(4):
            scenes = [vae_scene(rng) for _ in range(32)]
            x = render_batch(scenes)
            y = dec(enc(x))
            err.append((y - x).abs().mean().item())
            for s, img in zip(scenes, y.cpu()):
                results.append(E.score_one(s.describe(), E.analyze(E.to_uint8(img.numpy()))))
    agg = E.aggregate(results)
    canvas = np.concatenate([np.concatenate([E.to_uint8(a.numpy()) for a in x[:8].cpu()], axis=1),
                             np.concatenate([E.to_uint8(a.numpy()) for a in y[:8].cpu()], axis=1)], axis=0)
    E.save_png(canvas, os.path.join(args.work, "vae_recon.png"))
    log(f"vae check: L1 {np.mean(err):.4f}, evaluator on reconstructions {agg}")
    return agg


# ---------------------------------------------------------------------------------------------------------------
# stage 3: latent pools

def encode(enc: nn.Module, scenes: List[D.Scene]) -> Tensor:
    out = []
    with torch.no_grad():
        for i in range(0, len(scenes), 64):
            out.append(pack(enc(render_batch(scenes[i:i + 64]))))
    return torch.cat(out)  # [N, 64, 128]


def build_pools(ae: ae_mod.AutoEncoder, args, log: Log):
    rng = random.Random(args.seed + 4)
    enc = ae_mod.VAEEncoderGraph(ae).eval()
    t2i_scenes = [D.random_scene(rng) for _ in range(args.t2i_pool)]
    edits = [D.random_edit(rng) for _ in range(args.edit_pool)]
    t0 = time.time()
    t2i_lat = encode(enc, t2i_scenes)
    src_lat = encode(enc, [e[0] for e in edits])
    tgt_lat = encode(enc, [e[2] for e in edits])
    t2i_lab = torch.from_numpy(np.stack([token_labels(sc) for sc in t2i_scenes]))
    edit_lab = torch.from_numpy(np.stack([token_labels(e[2]) for e in edits]))
    t2i_w = torch.from_numpy(np.stack([shape_tokens(sc) for sc in t2i_scenes])).float()
    edit_w = torch.from_numpy(np.stack([shape_tokens(e[0]) | shape_tokens(e[2]) for e in edits])).float()
    log(f"pools: {len(t2i_scenes)} t2i scenes, {len(edits)} edits encoded in {time.time() - t0:.0f}s; "
        f"latent std {t2i_lat.std().item():.3f}")
    return (t2i_scenes, t2i_lat, edits, src_lat, tgt_lat, t2i_w.to(DEVICE), edit_w.to(DEVICE), t2i_lab.to(DEVICE),
            edit_lab.to(DEVICE))


# ---------------------------------------------------------------------------------------------------------------
# stage 4: flow transformer + text encoder

def init_transformer(m: tr_mod.Flux2Transformer, zero_modulation: bool, qk_scale: float) -> None:
    """PyTorch's default Linear init; zero output layer; zero_modulation: also zero the block modulations (each
    block starts as the identity); QK RMSNorm scales at qk_scale (attention logits are bounded by
    scale^2 * sqrt(head_dim): 1.0 keeps a fresh model's attention nearly uniform for a long time)."""
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.startswith("final_layer.") or (zero_modulation and "modulation" in name):
                p.zero_()
            elif name.endswith(".scale"):
                p.fill_(qk_scale)


def copy_logits(block: tr_mod.DoubleStreamBlock, img: Tensor, txt: Tensor, mod_img: List[Tensor],
                mod_txt: List[Tensor], cos: Tensor, sin: Tensor, heads: int) -> Tensor:
    """Attention logits [B, heads, n, S] of a double block's first `heads` heads from the n target tokens (the
    first half of the image tokens, the reference being the second) to every key: the block's own q and k,
    computed again from its inputs."""
    iq, ik, _ = block.img_attn.qkv_heads((1 + mod_img[1]) * tr_mod.layer_norm(img) + mod_img[0])
    _, tk, _ = block.txt_attn.qkv_heads((1 + mod_txt[1]) * tr_mod.layer_norm(txt) + mod_txt[0])
    lt, n = txt.shape[1], img.shape[1] // 2
    q = tr_mod.apply_rope(iq[:, :heads, :n], cos[:, :, lt:lt + n], sin[:, :, lt:lt + n])
    k = tr_mod.apply_rope(torch.cat([tk, ik], dim=2)[:, :heads], cos, sin)
    return torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(q.shape[-1])


def copy_loss(logits: Tensor, mask: Optional[Tensor]) -> Tensor:
    """Cross-entropy of copy_logits against the reference token at each target token's own place (key index
    S - n + i for target token i, the reference's n tokens being the last keys); with mask [B, n] only where
    it is 1."""
    b, h, n, s = logits.shape
    want = (s - n + torch.arange(n, device=logits.device))[None, None].expand(b, h, -1)
    ce = F.cross_entropy(logits.reshape(-1, s), want.reshape(-1), reduction="none").reshape(b, h, n)
    if mask is None:
        return ce.mean()
    m = mask[:, None].expand(-1, h, -1)
    return (ce * m).sum() / m.sum().clamp(min=1.0)


def kept_tokens(src_lat: Tensor, tgt_lat: Tensor, n_ch: int, threshold: float) -> Tensor:
    """[N, n] 1.0 where an edit's target token has (nearly) the source's latent at the same place."""
    return (((src_lat - tgt_lat)[..., :n_ch] ** 2).mean(dim=2) < threshold).float()


def forward_with_features(tr: tr_mod.Flux2Transformer, x: Tensor, x_ids: Tensor, timesteps: Tensor, ctx: Tensor,
                          ctx_ids: Tensor, copy_heads: int = 0) -> Tuple[Tensor, List[Tensor], Optional[Tensor]]:
    """Flux2Transformer.forward (float32, no guidance embedding) that also returns the image-token states after
    each double block, for the training-only position probe, and with copy_heads > 0 the first block's
    copy_logits. Same modules, same math as the exported graph."""
    vec = tr.time_in(tr_mod.timestep_embedding(timesteps * 1000.0, 256, 1.0))
    mod_img = tr.double_stream_modulation_img(vec)
    mod_txt = tr.double_stream_modulation_txt(vec)
    mod_single = tr.single_stream_modulation(vec)
    img = tr.img_in(x)
    txt = tr.txt_in(ctx)
    cos, sin = tr_mod.rope_tables(torch.cat([ctx_ids, x_ids], dim=1), tr.axes_dim, tr.rope_theta)
    feats: List[Tensor] = []
    copy = copy_logits(tr.double_blocks[0], img, txt, mod_img, mod_txt, cos, sin, copy_heads) if copy_heads else None
    for block in tr.double_blocks:
        img, txt = block(img, txt, mod_img, mod_txt, cos, sin)
        feats.append(img)
    lt = txt.shape[1]
    h = torch.cat([txt, img], dim=1)
    for block in tr.single_blocks:
        h = block(h, mod_single, cos, sin)
    return tr.final_layer(h[:, lt:], vec), feats, copy


class PositionProbe(nn.Module):
    """Training-only linear probes (not exported): row and column of each target image token from its state
    after each double block. RoPE gives the blocks only relative positions (absolute ones only relative to the
    text tokens at row/col 0 and the image border), and a small model learns them slowly from the flow loss
    alone; this auxiliary cross-entropy makes the first blocks compute them early."""

    N_OUT = 2  # outputs per token: row, column (+ colour and coverage with labels)

    def __init__(self, hidden: int, n_blocks: int, grid: int):
        super().__init__()
        self.grid = grid
        self.n_col = len(D.COLOUR_NAMES)
        self.n_cls = 1 + len(D.CLASSES)
        self.heads = nn.ModuleList([nn.Linear(hidden, 2 * grid + self.n_col + self.n_cls) for _ in range(n_blocks)])

    def loss(self, feats: List[Tensor], n_img: int, rows: Tensor, cols: Tensor, labels: Optional[Tensor] = None,
             keep: Optional[Tensor] = None, content_weight: float = 0.0) -> Tensor:
        """Position cross-entropy; with labels [B, n_img, 2] also the token's colour and coverage (what the text
        says should be there: a direct signal for binding caption words to places)."""
        total = torch.zeros(())
        g, nc = self.grid, self.n_col
        for f, head in zip(feats, self.heads):
            logits = head(tr_mod.layer_norm(f[:, :n_img]))
            b = f.shape[0]
            total = total + F.cross_entropy(logits[..., :g].reshape(-1, g), rows.repeat(b)) \
                + F.cross_entropy(logits[..., g:2 * g].reshape(-1, g), cols.repeat(b))
            if labels is not None and content_weight > 0 and keep is not None and bool(keep.any()):
                lg, lab = logits[keep], labels[keep]
                total = total + content_weight * (
                    F.cross_entropy(lg[..., 2 * g:2 * g + nc].reshape(-1, nc), lab[..., 0].reshape(-1))
                    + F.cross_entropy(lg[..., 2 * g + nc:].reshape(-1, self.n_cls), lab[..., 1].reshape(-1)))
        return total / max(1, len(feats))


def sample_t(n: int, mu: float, gen: torch.Generator) -> Tensor:
    """sigma = shift(u), u ~ U(0,1), with the schedule's shift e^mu (so training sees sigmas in the proportions
    the sampler uses them); 20% of the batch takes u ~ U(0,1) unshifted to cover low noise."""
    u = torch.rand(n, generator=gen).clamp(1e-4, 1 - 1e-4)
    em = math.exp(mu)
    shifted = em / (em + (1.0 / u - 1.0))
    plain = torch.rand(n, generator=gen).clamp(1e-4, 1 - 1e-4)
    pick = torch.rand(n, generator=gen) < 0.2
    return torch.where(pick, plain, shifted)


class Tokens:
    """Prompts -> (input_ids, attention_mask) [B, MAX_LENGTH], right padding with 0: the reference pipeline's
    Package.tokenize, batched."""

    def __init__(self, vocab: Dict[str, int], n: int = MAX_LENGTH):
        self.tok = WordLevelTokenizer(tokenizer_json(vocab, n))
        self.n = n

    def __call__(self, prompts: List[str]) -> Tuple[Tensor, Tensor]:
        ids, mask = [], []
        for p in prompts:
            i, _ = self.tok.encode(p, pad=False)
            i = i[: self.n]
            ids.append(i + [0] * (self.n - len(i)))
            mask.append([1] * len(i) + [0] * (self.n - len(i)))
        return (torch.tensor(ids, dtype=torch.long, device=DEVICE),
                torch.tensor(mask, dtype=torch.long, device=DEVICE))


def sample(tr: nn.Module, te: nn.Module, dec: nn.Module, tok: Tokens, prompts: List[str], seeds: List[int],
           steps: int, refs: Optional[Tensor] = None, cfg: float = 1.0) -> Tensor:
    """The reference pipeline's generate() for a batch of 128x128 images with eager modules: seeded noise
    (torch CPU generator per seed), schedule for S = 64, Euler steps with float32 step sizes, decode.
    refs: packed reference latents [B,64,128] appended after the target tokens (editing). cfg > 1: true CFG
    with the empty prompt (klein-base). -> images [B,3,128,128]."""
    from .reference import seed_noise
    h = w = D.SIDE // 16
    b = len(prompts)
    with torch.no_grad():
        ids, mask = tok(prompts)
        ctx = te(ids, mask)
        if cfg != 1.0:
            ctx = torch.cat([te(*tok([""] * b)), ctx])
        x = torch.cat([pack(seed_noise(s, D.SIDE, D.SIDE)) for s in seeds]).to(DEVICE)
        x_ids = image_ids(h, w)
        if refs is not None:
            x_ids = torch.cat([x_ids, reference_ids(0, h, w)])
        nb = ctx.shape[0]
        x_ids = x_ids[None].expand(nb, -1, -1).to(DEVICE)
        c_ids = text_ids(MAX_LENGTH)[None].expand(nb, -1, -1).to(DEVICE)
        sig = get_schedule(steps, h * w)
        for i in range(steps):
            x_in = x if refs is None else torch.cat([x, refs], dim=1)
            if cfg != 1.0:
                x_in = torch.cat([x_in, x_in])
            t = torch.full([nb], sig[i], dtype=torch.float32, device=DEVICE)
            v = tr(x_in, x_ids, t, ctx, c_ids, torch.ones(nb, device=DEVICE))[:, : h * w]
            if cfg != 1.0:
                v = v[:b] + cfg * (v[b:] - v[:b])
            x = x + torch.tensor(sig[i + 1] - sig[i], dtype=torch.float32) * v
        return dec(unpack(x, h, w))


VAL_SCENE_SEED = 800_001  # validation set for choosing the CFG scale (the benchmark uses demo_eval's own seeds)
VAL_NOISE_SEED = 2_000_000


def quick_eval(tr: nn.Module, te: nn.Module, ae: ae_mod.AutoEncoder, tok: Tokens, n_t2i: int, n_edit: int,
               steps: int, cfg: float = 1.0, grid: Optional[str] = None, validation: bool = False) -> dict:
    """The held-out evaluation set (demo_eval.eval_set) in process; edit sources are the rendered PNG pixels.
    grid: write a PNG of the first 16 text-to-image results and 8 edits (source, result, truth) there."""
    enc, dec = ae_mod.VAEEncoderGraph(ae).eval(), ae_mod.VAEDecoderGraph(ae).eval()
    items = E.eval_set(n_t2i, n_edit, VAL_SCENE_SEED, VAL_NOISE_SEED) if validation else E.eval_set(n_t2i, n_edit)
    was = tr.training, te.training
    tr.eval()
    te.eval()
    t2i, edit = [], []
    shown: List[Tuple[dict, np.ndarray]] = []
    by_kind: Dict[str, List[bool]] = {}
    for kind in ("t2i", "edit"):
        its = [it for it in items if it["kind"] == kind]
        for i in range(0, len(its), 50):
            chunk = its[i:i + 50]
            refs = None
            if kind == "edit":
                with torch.no_grad():
                    refs = pack(enc(render_batch([E.scene_from_json(it["scene"]) for it in chunk])))
            imgs = sample(tr, te, dec, tok, [it["prompt"] for it in chunk], [it["seed"] for it in chunk], steps,
                          refs, cfg).cpu()
            for it, img in zip(chunk, imgs):
                u8 = E.to_uint8(img.numpy())
                if grid:
                    shown.append((it, u8))
                r = E.score_one(it["expected"], E.analyze(u8))
                (t2i if kind == "t2i" else edit).append(r)
                if kind == "edit":
                    by_kind.setdefault(it["edit"], []).append(r["exact"])
    tr.train(was[0])
    te.train(was[1])
    if grid:
        write_grid(shown, grid)
    out = {"t2i": E.aggregate(t2i)} if t2i else {}
    if edit:
        out["edit"] = round(100.0 * sum(r["exact"] for r in edit) / len(edit), 1)
        out["edit_by_kind"] = {k: round(100.0 * sum(v) / len(v), 1) for k, v in sorted(by_kind.items())}
    return out


def write_grid(shown: List[Tuple[dict, np.ndarray]], path: str) -> None:
    """16 text-to-image results (4x4) above 8 edits (source | result | truth, two per row); prompts to .txt."""
    s = D.SIDE
    t2i = [x for x in shown if x[0]["kind"] == "t2i"][:16]
    edits = [x for x in shown if x[0]["kind"] == "edit"][:8]
    canvas = np.full((4 * s + 4 * s + 8, 6 * s + 8, 3), 128, dtype=np.uint8)
    lines = []
    for k, (it, img) in enumerate(t2i):
        r, c = divmod(k, 4)
        canvas[r * s:(r + 1) * s, c * s:(c + 1) * s] = img
        lines.append(f"t2i {k}: {it['prompt']}")
    for k, (it, img) in enumerate(edits):
        r, c = divmod(k, 2)
        y = 4 * s + 8 + r * s
        x = c * (3 * s + 8)
        canvas[y:y + s, x:x + s] = D.render(E.scene_from_json(it["scene"]))
        canvas[y:y + s, x + s:x + 2 * s] = img
        canvas[y:y + s, x + 2 * s:x + 3 * s] = D.render(E.scene_from_json(it["target"]))
        lines.append(f"edit {k}: {it['prompt']} | expected {it['expected']}")
    E.save_png(canvas, path)
    with open(os.path.splitext(path)[0] + ".txt", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def fit_latent_class_probe(lat: Tensor, cls: Tensor, log: Log, steps: int = 1500) -> nn.Module:
    """A small MLP per-token class probe on clean pool latents [N, T, C] (labels [N, T]: 0 background, 1 + class),
    frozen afterwards; shape tokens weigh SHAPE_TOKEN_WEIGHT, as in the VAE's probe. Not linear: a linear probe
    reads only about half the shape tokens right, since a token inside a shape looks the same for every class."""
    x, y = lat.reshape(-1, lat.shape[-1]), cls.reshape(-1)
    g = torch.Generator().manual_seed(0)
    probe = nn.Sequential(nn.Linear(x.shape[1], 128), nn.GELU(), nn.Linear(128, 1 + len(D.CLASSES))).to(DEVICE)
    opt = torch.optim.Adam(probe.parameters(), lr=3e-3)
    w = torch.tensor([1.0] + [SHAPE_TOKEN_WEIGHT] * len(D.CLASSES), device=DEVICE)
    with fast_kernels(probe, enabled=onednn_kernels()):
        for _ in range(steps):
            idx = torch.randint(0, x.shape[0], (4096,), generator=g).to(DEVICE)
            loss = F.cross_entropy(probe(x[idx]), y[idx], weight=w)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    with torch.no_grad():
        pred = probe(x).argmax(-1)
        shape = y > 0
        acc = (pred[shape] == y[shape]).float().mean().item()
    log(f"latent class probe: loss {loss.item():.3f}, accuracy on shape tokens {100 * acc:.1f} %")
    for p in probe.parameters():
        p.requires_grad_(False)
    return probe


def train_flow(pools, vocab: Dict[str, int], ae: ae_mod.AutoEncoder, args, log: Log):
    t2i_scenes, t2i_lat, edits, src_lat, tgt_lat, t2i_w, edit_w, t2i_lab, edit_lab = pools
    torch.manual_seed(args.seed + 10)
    gen = torch.Generator().manual_seed(args.seed + 11)
    rng = random.Random(args.seed + 12)
    tcfg = dict(TRANSFORMER, hidden_size=args.hidden, num_heads=args.hidden // 32, depth_double=args.depth_double,
                depth_single=args.depth_single, axes_dim=[int(a) for a in args.axes.split(",")],
                rope_theta=args.rope_theta)
    tr = tr_mod.Flux2Transformer(tr_mod.TransformerConfig(**tcfg)).train()
    init_transformer(tr, args.mod_init == "zero", args.qk_scale)
    n_ch = 4 * args.z_used  # packed latent channels in use; the transformer neither reads nor writes the others
    with torch.no_grad():
        tr.img_in.weight[:, n_ch:] = 0.0
        tr.final_layer.linear.weight[n_ch:] = 0.0
    te = te_mod.TextEncoder(te_mod.TextEncoderConfig(vocab_size=len(vocab), **TEXT_ENCODER)).train()
    tr.to(DEVICE)
    in_mask = torch.zeros_like(tr.img_in.weight)
    in_mask[:, :n_ch] = 1.0
    out_mask = torch.zeros_like(tr.final_layer.linear.weight)
    out_mask[:n_ch] = 1.0
    tr.img_in.weight.register_hook(lambda g: g * in_mask)
    tr.final_layer.linear.weight.register_hook(lambda g: g * out_mask)
    te.to(DEVICE)
    tok = Tokens(vocab)
    probe = PositionProbe(tcfg["hidden_size"], tcfg["depth_double"], D.SIDE // 16).to(DEVICE)
    params = list(tr.parameters()) + list(te.parameters())
    model_params = list(params)
    params = params + list(probe.parameters())
    scales = [p for n, p in tr.named_parameters() if n.endswith(".scale")]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2 and all(p is not q for q in scales)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01, "mult": 1.0},
                             {"params": no_decay, "weight_decay": 0.0, "mult": 1.0},
                             {"params": scales, "weight_decay": 0.0, "mult": args.scale_lr_mult}],
                            lr=args.lr, betas=(0.9, 0.99), foreach=True)
    ema_tr, ema_te = copy.deepcopy(tr).eval(), copy.deepcopy(te).eval()
    ema_params = list(ema_tr.parameters()) + list(ema_te.parameters())
    assert len(ema_params) == len(model_params)
    for p in ema_params:
        p.requires_grad_(False)
    log(f"flow: transformer {sum(p.numel() for p in tr.parameters())} params {tcfg}, text encoder "
        f"{sum(p.numel() for p in te.parameters())} params, vocab {len(vocab)}")

    h = w = D.SIDE // 16
    mu = empirical_mu(h * w, args.sample_steps) if args.t_shift is None else args.t_shift
    x_ids1 = image_ids(h, w).to(DEVICE)
    edit_ids1 = torch.cat([image_ids(h, w), reference_ids(0, h, w)]).to(DEVICE)
    ctx_ids1 = text_ids(MAX_LENGTH).to(DEVICE)
    n_img = h * w
    rows_t = x_ids1[:, 1].clone()
    cols_t = x_ids1[:, 2].clone()
    eval_at = {int(x) for x in args.eval_at.split(",") if x}

    out_probe = None
    if args.out_class_weight > 0:
        t2i_cls = torch.from_numpy(np.stack([token_classes(sc).reshape(-1) for sc in t2i_scenes])).to(DEVICE)
        edit_cls = torch.from_numpy(np.stack([token_classes(e[2]).reshape(-1) for e in edits])).to(DEVICE)
        out_probe = fit_latent_class_probe(t2i_lat[..., :n_ch].to(DEVICE), t2i_cls, log)

    def flow_loss(x0: Tensor, texts: List[str], ref: Optional[Tensor], tokw: Tensor, labels: Tensor,
                  cls: Optional[Tensor] = None, kept_mask: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        b = x0.shape[0]
        drop = [rng.random() < args.cfg_drop for _ in texts]
        ids, mask = tok(["" if d else t for d, t in zip(drop, texts)])
        ctx = te(ids, mask)
        t = sample_t(b, mu, gen).to(DEVICE)
        eps = torch.randn(x0.shape, generator=gen).to(DEVICE)
        tt = t[:, None, None]
        xt = tt * eps + (1 - tt) * x0
        if ref is None:
            x_in, x_ids = xt, x_ids1[None].expand(b, -1, -1)
        else:
            x_in, x_ids = torch.cat([xt, ref], dim=1), edit_ids1[None].expand(b, -1, -1)
        heads = args.copy_heads if ref is not None and args.copy_weight > 0 else 0
        v, feats, copy = forward_with_features(tr, x_in, x_ids, t, ctx, ctx_ids1[None].expand(b, -1, -1), heads)
        v = v[:, :n_img]
        wgt = 1.0 + args.shape_weight * tokw  # [B, 64]: shape tokens weigh more (most tokens are background)
        keep = torch.tensor([not d for d in drop], device=DEVICE)
        # the content part only where the caption was kept
        aux = probe.loss(feats, n_img, rows_t, cols_t, labels, keep, args.content_weight) if args.pos_weight > 0 \
            else torch.zeros(())
        err = ((v - (eps - x0))[..., :n_ch] ** 2).mean(dim=2)
        if kept_mask is not None and args.kept_weight > 0:
            wgt = wgt * (1.0 + args.kept_weight * kept_mask)
        loss = (err * wgt).sum() / wgt.sum()
        if kept_mask is not None and args.kept_x0_weight > 0:
            # the clean latent the step points at, at the tokens the edit keeps: the flow loss weighs its error by
            # 1/t^2, so at high noise, where a kept shape's form is settled, copying it loosely costs little there
            x0_err = (((xt - tt * v) - x0)[..., :n_ch] ** 2).mean(dim=2)
            loss = loss + args.kept_x0_weight * (x0_err * kept_mask).sum() / kept_mask.sum().clamp(min=1.0)
        if out_probe is not None and cls is not None and bool(keep.any()):
            # the clean latent the step points at, read by a frozen per-token class probe: a direct gradient
            # toward latents whose tokens spell out the caption's shape class
            x0_hat = xt - tt * v
            ce = F.cross_entropy(out_probe(x0_hat[keep][..., :n_ch]).reshape(-1, 1 + len(D.CLASSES)),
                                 cls[keep].reshape(-1), reduction="none")
            cw = 1.0 + (SHAPE_TOKEN_WEIGHT - 1.0) * (cls[keep].reshape(-1) > 0).float()
            loss = loss + args.out_class_weight * (ce * cw).sum() / cw.sum()
        if copy is not None:
            loss = loss + args.copy_weight * copy_loss(copy, kept_mask if args.copy_tokens == "kept" else None)
        return loss, aux

    kept = None
    if (args.copy_weight > 0 and args.copy_tokens == "kept") or args.kept_weight > 0 or args.kept_x0_weight > 0:
        kept = kept_tokens(src_lat, tgt_lat, n_ch, args.copy_threshold).to(DEVICE)
        log(f"copy loss at {kept.mean().item() * 100:.1f} % of the edits' target tokens (kept by the edit)")

    t0 = time.time()
    t_eval = 0.0
    avg = {"t2i": 0.0, "edit": 0.0, "pos": 0.0}
    with fast_kernels(tr, te, ema_tr, ema_te, probe, *([out_probe] if out_probe is not None else []),
                      enabled=onednn_kernels()):
        for step in range(args.steps):
            warm = min(1.0, (step + 1) / args.warmup)
            lr = args.lr * warm * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * step / args.steps)))
            for g in opt.param_groups:
                g["lr"] = lr * g["mult"]
            ii = torch.randint(0, t2i_lat.shape[0], (args.batch,), generator=gen).tolist()
            texts = [D.caption(t2i_scenes[i], rng) for i in ii]
            l1, a1 = flow_loss(t2i_lat[ii], texts, None, t2i_w[ii], t2i_lab[ii],
                               t2i_cls[ii] if out_probe is not None else None)
            loss = l1 + args.pos_weight * a1
            l2 = torch.zeros(())
            if args.edit_batch > 0:
                jj = torch.randint(0, src_lat.shape[0], (args.edit_batch,), generator=gen).tolist()
                l2, a2 = flow_loss(tgt_lat[jj], [edits[j][1] for j in jj], src_lat[jj], edit_w[jj], edit_lab[jj],
                                   edit_cls[jj] if out_probe is not None else None,
                                   kept[jj] if kept is not None else None)
                loss = (args.batch * (l1 + args.pos_weight * a1)
                        + args.edit_batch * args.edit_loss_weight * (l2 + args.pos_weight * a2)) \
                    / (args.batch + args.edit_batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            gn = torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            d = min(args.ema, (1 + step) / (10 + step))
            with torch.no_grad():
                torch._foreach_mul_(ema_params, d)
                torch._foreach_add_(ema_params, model_params, alpha=1 - d)
            avg["pos"] = 0.98 * avg["pos"] + 0.02 * a1.item() if step else a1.item()
            avg["t2i"] = 0.98 * avg["t2i"] + 0.02 * l1.item() if step else l1.item()
            avg["edit"] = 0.98 * avg["edit"] + 0.02 * l2.item() if step else l2.item()
            if step % 50 == 0 or step == args.steps - 1:
                el = time.time() - t0 - t_eval
                log(f"flow step {step}/{args.steps} loss t2i {avg['t2i']:.4f} edit {avg['edit']:.4f} "
                    f"position probe {avg['pos']:.3f} "
                    f"grad {gn.item():.2f} lr {lr:.2e} ({el / (step + 1):.2f}s/step, {el / 60:.1f} min)")
            if step + 1 in eval_at:
                te0 = time.time()
                res = quick_eval(ema_tr, ema_te, ae, tok, args.eval_t2i, args.eval_edits, args.sample_steps,
                                 grid=os.path.join(args.work, f"samples_{step + 1}.png"))
                msg = f"eval at step {step + 1} (ema, {args.sample_steps} steps): {json.dumps(res)}"
                if args.eval_cfg != 1.0:
                    res = quick_eval(ema_tr, ema_te, ae, tok, args.eval_t2i, args.eval_edits, args.sample_steps,
                                     args.eval_cfg)
                    msg += f" | cfg {args.eval_cfg}: {json.dumps(res)}"
                t_eval += time.time() - te0
                log(msg + f" ({time.time() - te0:.0f}s)")
            if args.ckpt_every and step and step % args.ckpt_every == 0:
                torch.save({"transformer": ema_tr.state_dict(), "text_encoder": ema_te.state_dict(), "step": step},
                           os.path.join(args.work, "flow_ema.pt"))
        # loss by noise level on fixed held-out batches (EMA weights; on the fast kernels too, or this
        # diagnostic alone takes 15-19 s of the reference BLAS)
        g2 = torch.Generator().manual_seed(12345)
        with torch.no_grad():
            ema_tr.eval()
            ema_te.eval()
            ii = torch.randint(0, t2i_lat.shape[0], (64,), generator=g2).tolist()
            x0 = t2i_lat[ii]
            ids, mask = tok([D.canonical_caption(t2i_scenes[i]) for i in ii])
            ctx = ema_te(ids, mask)
            eps = torch.randn(x0.shape, generator=g2).to(DEVICE)
            parts = []
            for tv in (0.1, 0.3, 0.5, 0.7, 0.9, 0.97):
                t = torch.full([64], tv, device=DEVICE)
                xt = tv * eps + (1 - tv) * x0
                v = ema_tr(xt, x_ids1[None].expand(64, -1, -1), t, ctx, ctx_ids1[None].expand(64, -1, -1),
                           torch.ones(64, device=DEVICE))
                parts.append(f"t={tv}: {((v - (eps - x0))[..., :n_ch] ** 2).mean().item():.4f}")
            log("ema loss by t (t2i): " + ", ".join(parts))
    return ema_tr, ema_te, tcfg


def load_flow(path: str, vocab: Dict[str, int]) -> Tuple[nn.Module, nn.Module, dict]:
    saved = torch.load(path, map_location="cpu")
    tcfg = saved["config"]
    tr = tr_mod.Flux2Transformer(tr_mod.TransformerConfig(**tcfg)).eval()
    tr.load_state_dict(saved["transformer"])
    te = te_mod.TextEncoder(te_mod.TextEncoderConfig(vocab_size=len(vocab), **TEXT_ENCODER)).eval()
    te.load_state_dict(saved["text_encoder"])
    return tr.to(DEVICE), te.to(DEVICE), tcfg


def choose_cfg(tr: nn.Module, te: nn.Module, ae: ae_mod.AutoEncoder, vocab: Dict[str, int], args, log: Log
               ) -> Tuple[str, float]:
    """Scores the EMA model on a validation set (not the benchmark's) without CFG (variant klein) and with each
    --cfg-candidates scale (klein-base: true CFG against the empty prompt, which 10% caption dropout trained);
    returns the best (variant, guidance) by the sum of the text-to-image and editing percentages."""
    tok = Tokens(vocab)
    best = None
    with fast_kernels(tr, te, enabled=onednn_kernels()):
        for cfg in [1.0] + [float(c) for c in args.cfg_candidates.split(",") if c]:
            t0 = time.time()
            res = quick_eval(tr, te, ae, tok, args.val_t2i, args.val_edits, args.sample_steps, cfg,
                             validation=True)
            t = res.get("t2i", {})
            score = sum(t.get(k, 0.0) for k in ("background", "colour", "class", "position")) + res.get("edit", 0.0)
            log(f"validation cfg {cfg}: score {score:.1f} {json.dumps(res)} ({time.time() - t0:.0f}s)")
            if best is None or score > best[0]:
                best = (score, cfg)
    cfg = best[1]
    variant = "klein" if cfg == 1.0 else "klein-base"
    log(f"chosen: variant {variant}, guidance {cfg}")
    return variant, cfg


# ---------------------------------------------------------------------------------------------------------------
# stage 4b: decoder tuned on the flow's own latents

def decoder_pairs(tr: nn.Module, te: nn.Module, ae: ae_mod.AutoEncoder, tok: Tokens, args, guidance: float
                  ) -> Tuple[Tensor, List[D.Scene]]:
    """Latents the sampler ends on, each paired with the scene it was asked for: a fresh scene is encoded, noised
    to the schedule's sigma at a random step i0 (0: pure noise) and sampled from there with its caption and the
    package's guidance, so the pair is exact while the latent has the flow's own flaws. A --dec-real-frac share of
    the pairs are the encoder's latents, so that real latents still decode as before. -> ([N, 64, 128], scenes)."""
    rng = random.Random(args.seed + 20)
    gen = torch.Generator().manual_seed(args.seed + 21)
    enc = ae_mod.VAEEncoderGraph(ae).eval()
    h = w = D.SIDE // 16
    sig = get_schedule(args.sample_steps, h * w)
    n_real = int(round(args.dec_pairs * args.dec_real_frac))
    lats: List[Tensor] = []
    scenes: List[D.Scene] = []
    chunk = 32
    with torch.no_grad():
        ctx_u = te(*tok([""]))
        done = 0
        while done < args.dec_pairs - n_real:
            b = min(chunk, args.dec_pairs - n_real - done)
            sc = [D.random_scene(rng) for _ in range(b)]
            x0 = pack(enc(render_batch(sc)))
            ctx = torch.cat([ctx_u.expand(b, -1, -1), te(*tok([D.caption(s, rng) for s in sc]))])
            i0 = rng.randint(0, args.dec_start_max)
            eps = torch.randn(x0.shape, generator=gen).to(DEVICE)
            x = eps if i0 == 0 else sig[i0] * eps + (1 - sig[i0]) * x0
            x_ids = image_ids(h, w)[None].expand(2 * b, -1, -1).to(DEVICE)
            c_ids = text_ids(MAX_LENGTH)[None].expand(2 * b, -1, -1).to(DEVICE)
            for i in range(i0, args.sample_steps):
                t = torch.full([2 * b], sig[i], dtype=torch.float32, device=DEVICE)
                v = tr(torch.cat([x, x]), x_ids, t, ctx, c_ids, torch.ones(2 * b, device=DEVICE))
                v = v[:b] + guidance * (v[b:] - v[:b])
                x = x + torch.tensor(sig[i + 1] - sig[i], dtype=torch.float32) * v
            lats.append(x)
            scenes += sc
            done += b
        real = [D.random_scene(rng) for _ in range(n_real)]
        for i in range(0, n_real, 64):
            lats.append(pack(enc(render_batch(real[i:i + 64]))))
        scenes += real
    return torch.cat(lats), scenes


def pair_targets(scenes: List[D.Scene], args) -> Tuple[Tensor, Tensor]:
    """The pictures the pairs ask for ([N,3,128,128] in [-1,1]) and per-pixel loss weights: shape pixels weigh
    1 + vae_fg_weight, and the 2 px around each outline (what tells the classes apart) dec_edge_weight more."""
    u8 = torch.from_numpy(np.stack([D.render(s) for s in scenes])).permute(0, 3, 1, 2)
    bg = torch.tensor([D.COLOURS[s.background] for s in scenes], dtype=torch.uint8)[:, :, None, None]
    fg, edge = shape_masks(u8, bg)
    wgt = 1.0 + args.vae_fg_weight * fg.float() + args.dec_edge_weight * edge.float()
    return render_batch(scenes), wgt.to(DEVICE)


def decoder_loss(dec: nn.Module, lat: Tensor, target: Tensor, wgt: Tensor) -> Tensor:
    """Weighted L1 + L2 of the decoded packed latents [B,64,128] against the pictures, as in the VAE stage."""
    h = w = D.SIDE // 16
    d = dec(unpack(lat, h, w)) - target
    return ((d.abs() + d * d) * wgt).mean() / wgt.mean()


def tune_decoder(tr: nn.Module, te: nn.Module, ae: ae_mod.AutoEncoder, vocab: Dict[str, int], args, log: Log,
                 guidance: float) -> float:
    """Fine-tunes the VAE decoder on decoder_pairs at full size (GroupNorm sees whole pictures, as when serving).
    The flow transformer ends on latents softer than the encoder's (a shape's corners carry little weight in its
    loss), and the decoder trained on the encoder's latents draws those soft shapes round; tuned on the flow's own
    latents, it draws the shape the latent is closest to. The encoder, and so the editing references, are
    unchanged, and the graph keeps FLUX.2's decoder architecture. Tuning it on the flow's own samples, paired by
    partial noising, is this project's choice for a model trained in minutes. Returns its seconds."""
    t0 = time.time()
    tok = Tokens(vocab)
    tr.eval()
    te.eval()
    with fast_kernels(tr, te, enabled=onednn_kernels()):
        lat, scenes = decoder_pairs(tr, te, ae, tok, args, guidance)
    t_pairs = time.time() - t0
    target, wgt = pair_targets(scenes, args)
    dec = ae_mod.VAEDecoderGraph(ae).train()
    params = list(ae.decoder.parameters())
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=args.dec_lr, betas=(0.9, 0.99), foreach=True)
    gen = torch.Generator().manual_seed(args.seed + 22)
    with fast_vae_attention(enabled=args.dec_fast_attention and DEVICE.type == "cpu"):
        for step in range(args.dec_steps):
            lr = args.dec_lr * min(1.0, (step + 1) / 20) * 0.5 * (1 + math.cos(math.pi * step / args.dec_steps))
            for g in opt.param_groups:
                g["lr"] = lr
            idx = torch.randint(0, lat.shape[0], (args.dec_batch,), generator=gen).tolist()
            with torch.enable_grad():  # whatever the caller switched off
                loss = decoder_loss(dec, lat[idx], target[idx], wgt[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            if step % 50 == 0 or step == args.dec_steps - 1:
                log(f"decoder step {step}/{args.dec_steps} loss {loss.item():.4f} lr {lr:.2e}")
    for p in params:
        p.requires_grad_(False)
    ae.eval()
    log(f"decoder tuned on {lat.shape[0]} pairs (sampled in {t_pairs:.0f}s) in {(time.time() - t0) / 60:.1f} min")
    return time.time() - t0


# ---------------------------------------------------------------------------------------------------------------
# stage 5: export

def export_package(tr: nn.Module, te: nn.Module, ae: ae_mod.AutoEncoder, vocab: Dict[str, int], tcfg: dict,
                   args, train_seconds: float) -> None:
    """Fresh (unpatched, CPU) modules with the trained weights -> export.write_package."""
    tcfg = tr_mod.TransformerConfig(**tcfg)
    ecfg = te_mod.TextEncoderConfig(vocab_size=len(vocab), **TEXT_ENCODER)
    tr2 = tr_mod.Flux2Transformer(tcfg).eval()
    cpu = lambda sd: {k: v.detach().cpu() for k, v in sd.items()}
    tr2.load_state_dict(cpu(tr.state_dict()))
    te2 = te_mod.TextEncoder(ecfg).eval()
    te2.load_state_dict(cpu(te.state_dict()))
    ae2 = ae_mod.AutoEncoder(vae_config(args)).eval()
    ae2.load_state_dict(cpu(ae.state_dict()))
    manifest = {
        "format": 1,
        "name": "demo",
        "variant": args.variant,
        "dtype": "float32",
        "transformer": tcfg.to_json(),
        "text_encoder": ex_mod.standin_text_encoder_manifest(ecfg),
        "vae": ex_mod.vae_manifest(vae_config(args)),
        "defaults": {"steps": args.sample_steps, "guidance": args.guidance, "width": D.SIDE, "height": D.SIDE},
        "source": {"weights": "trained", "trainer": "flux2_tools.demo_train", "data": "flux2_tools.demo_data",
                   "seed": args.seed, "vae_steps": args.vae_steps, "flow_steps": args.steps,
                   "train_minutes": round(train_seconds / 60.0, 1), "torch": torch.__version__},
    }
    models = ex_mod.Models(tr2, te2, ae2, manifest, vocab)
    ex_mod.write_package(models, args.out)


# ---------------------------------------------------------------------------------------------------------------

def vae_and_pools(args, log: Log, t_start: float) -> Tuple[ae_mod.AutoEncoder, Optional[tuple]]:
    """Stages 1-3: the VAE (trained, or loaded with --vae-from), its check, and the latent pools (None when the
    flow is loaded or the run stops after the VAE)."""
    if args.vae_from:
        ae = ae_mod.AutoEncoder(vae_config(args)).eval()
        ae.load_state_dict(torch.load(args.vae_from, map_location="cpu"))
        ae.to(DEVICE)
        log(f"vae loaded from {args.vae_from}")
    else:
        ae = train_vae(args, log)
        set_bn_stats(ae, args, log)
        torch.save({k: v.cpu() for k, v in ae.state_dict().items()}, os.path.join(args.work, "vae.pt"))
    log(f"stage vae done in {(time.time() - t_start) / 60:.1f} min")
    vae_check(ae, args, log)
    if args.stop_after == "vae" or args.flow_from:
        return ae, None
    if args.pool_cache and os.path.exists(args.pool_cache):
        pools = torch.load(args.pool_cache, weights_only=False)
        log(f"pools loaded from {args.pool_cache}")
        return ae, pools
    pools = build_pools(ae, args, log)
    if args.pool_cache:
        torch.save(pools, args.pool_cache)
    return ae, pools


def main(argv=None) -> int:
    global DEVICE, ONEDNN_KERNELS
    # Training needs autograd whatever the caller switched off (the exporter and several tests disable it).
    torch.set_grad_enabled(True)
    ap = argparse.ArgumentParser(prog="python3 -m flux2_tools.demo_train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="packages/demo", help="package folder")
    ap.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "flux2-demo-work"),
                    help="scratch folder for checkpoints and the benchmark images")
    ap.add_argument("--log", default=None, help="also write the log here")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="cpu (the documented run) or e.g. cuda for experiments")
    # 48x48 crops: the convolutions scale with the crop's area; with --vae-edge-weight the reconstructions read back
    # at 92-96 % class instead of 64-82 % for an older 2400 x 64x64 recipe (GPU trials, 2026-11-27). 4000 steps:
    # at 3400 with the whole-picture context loss below the reconstructions read back 74.6 % colour / 82.1 % class
    # against 98.8 / 98.8 (VM, 2026-11-28, training-logs/demo-train-trial-vae3400.log).
    ap.add_argument("--vae-steps", type=int, default=4000)
    ap.add_argument("--vae-batch", type=int, default=16)
    ap.add_argument("--vae-crop", type=int, default=48)
    ap.add_argument("--vae-lr", type=float, default=1e-3)
    ap.add_argument("--vae-kl", type=float, default=1e-4)
    ap.add_argument("--z-used", type=int, default=16,
                    help="latent channels the VAE uses (of 32); the others are pruned to exact zeros")
    ap.add_argument("--vae-prune-at", type=float, default=0.4,
                    help="fraction of the VAE steps trained with all 32 channels before pruning to --z-used")
    ap.add_argument("--vae-fg-weight", type=float, default=4.0)
    ap.add_argument("--vae-edge-weight", type=float, default=8.0,
                    help="extra reconstruction weight of pixels within 2 px of a shape's outline")
    ap.add_argument("--vae-class-weight", type=float, default=0.05,
                    help="weight of the latent tokens' class-probe loss (0: off)")
    ap.add_argument("--vae-pool", type=int, default=2048)
    # GPU trials 2026-11-28, 3400 flow steps, 100 prompts and 96 edits at CFG 2.5 (model card): no context loss
    # class 60.4 / edits 19.8 %; whole pictures every step 79.9 / 32.3; 4 crops of 64x64 at weight 2: 86.6 / 32.3.
    # On the VM two whole pictures at weight 1 every 2nd step (training-logs/demo-train-trial-context-whole.log)
    # gave held-out class 88.1 / edits 40.0 % against the crops' 80.6 / 32.0; once the flow ran on OpenBLAS
    # (--kernels) it fit the hour (49.6 min, held-out class 85.1 / edits 42.0 %: training-logs/demo-train.log).
    ap.add_argument("--vae-context-weight", type=float, default=1.0,
                    help="weight of the loss that keeps a token's latent the same when the picture changes elsewhere")
    ap.add_argument("--vae-context-pairs", type=int, default=2, help="picture pairs per VAE step for that loss")
    ap.add_argument("--vae-context-pool", type=int, default=512)
    ap.add_argument("--vae-context-crop", type=int, default=0, help="that loss on crops of this side (0: whole pictures)")
    ap.add_argument("--vae-context-every", type=int, default=2, help="that loss on every n-th VAE step only")
    ap.add_argument("--vae-ch", type=int, default=8)
    ap.add_argument("--vae-mult", default="1,2,4,8")
    ap.add_argument("--vae-from", default=None, help="skip stages 1-2: load a VAE state dict saved by a run")
    ap.add_argument("--flow-from", default=None,
                    help="skip stage 4: load the flow_ema.pt a run saved (to export or score it again)")
    ap.add_argument("--bn-images", type=int, default=512)
    ap.add_argument("--t2i-pool", type=int, default=5000)
    ap.add_argument("--edit-pool", type=int, default=2500)
    ap.add_argument("--hidden", type=int, default=TRANSFORMER["hidden_size"])
    ap.add_argument("--depth-double", type=int, default=TRANSFORMER["depth_double"])
    ap.add_argument("--depth-single", type=int, default=TRANSFORMER["depth_single"])
    ap.add_argument("--axes", default=",".join(str(a) for a in TRANSFORMER["axes_dim"]), help="transformer axes_dim (RoPE dims per id axis)")
    ap.add_argument("--pos-weight", type=float, default=0.3, help="weight of the position-probe auxiliary loss")
    ap.add_argument("--qk-scale", type=float, default=1.0, help="initial QK RMSNorm scale")
    ap.add_argument("--scale-lr-mult", type=float, default=1.0, help="learning-rate multiplier of the QK norm scales")
    ap.add_argument("--content-weight", type=float, default=1.0,
                    help="weight of the colour/coverage part of the probe (relative to its position part)")
    ap.add_argument("--mod-init", default="default", choices=["zero", "default"])
    ap.add_argument("--pool-cache", default=None, help="load/save the encoded pools here (experiments)")
    ap.add_argument("--rope-theta", type=int, default=TRANSFORMER["rope_theta"])
    ap.add_argument("--shape-weight", type=float, default=4.0, help="extra loss weight of tokens under a shape")
    # GPU trials, 2026-11-27 (3000 steps, the committed VAE; all in the model card): class at CFG 4 46.3 / 38.8 %
    # without (two seeds), 56.7 / 68.7 / 47.8 % with 0.1 / 0.3 / 1.0 (0.3: 53.0 and 55.2 % with two more seeds)
    ap.add_argument("--out-class-weight", type=float, default=0.3,
                    help="weight of a frozen latent class probe's loss on the step's predicted clean latent (0: off)")
    ap.add_argument("--t-shift", type=float, default=None,
                    help="mu of the training sigma shift (default: the sampling schedule's mu at 128x128)")
    # 4600: on OpenBLAS (--kernels blas) with spinning threads (TRAINING_WAIT_POLICY) a step of the 192-wide
    # transformer takes about 0.5 s on the VM, so this schedule fits the hour (53.0 min for the package's run; model card)
    ap.add_argument("--steps", type=int, default=4600)
    ap.add_argument("--batch", type=int, default=16, help="text-to-image samples per step")
    ap.add_argument("--edit-batch", type=int, default=8, help="editing samples per step")
    ap.add_argument("--lr", type=float, default=2e-3,
                    help="peak learning rate (2e-3 learnt class faster than 1e-3 in 3000 steps in a GPU trial)")
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--ema", type=float, default=0.998,
                    help="cap of the EMA decay; at step s the decay is min(cap, (1+s)/(10+s)), 0.997 at step 3000")
    ap.add_argument("--cfg-drop", type=float, default=0.1)
    # GPU trials, 2026-11-29 (the package's VAE, 3800 flow steps, held-out 100 prompts and 96 edits, seeds 0 / 1):
    # without it edits 38.5 / 40.6 %, class 86.6 / 86.6; weight 0.3 at kept tokens 45.8 / 43.8, class 90.3 / 85.8;
    # weight 1 at kept tokens 47.9 (seed 0), class 85.1; weight 0.3 at every target token 38.5, class 87.3.
    ap.add_argument("--copy-weight", type=float, default=1.0,
                    help="weight of a loss teaching heads of the first double block to look from an edit's target "
                         "tokens to the reference token at the same place (0: none)")
    ap.add_argument("--copy-heads", type=int, default=1, help="heads taught so, from head 0")
    ap.add_argument("--copy-tokens", choices=["kept", "all"], default="kept",
                    help="that loss at the target tokens whose latent the edit keeps, or at every target token")
    ap.add_argument("--copy-threshold", type=float, default=0.05,
                    help="a token is kept when the mean squared latent difference is below this")
    # GPU trials, 2026-11-29 (the package's VAE, 4600 flow steps, held-out 100 prompts and 96 edits; edits applied,
    # add / background / move / recolour, and class): without it, seed 0 56.2 % (54.2 / 50.0 / 79.2 / 41.7), class
    # 95.5, seed 1 57.3 %, class 91.8; weight 2, seed 0 62.5 % (75.0 / 58.3 / 66.7 / 50.0), class 96.3; weight 4, seed 0
    # 61.5 % (79.2 / 50.0 / 75.0 / 41.7), class 94.0, seed 1 54.2 % (70.8 / 50.0 / 75.0 / 20.8), class 91.8. Additions
    # gain each time; the more weight, the more a recolour keeps the old colour. The clean-latent loss below instead,
    # weight 10 / 30, seed 0: 55.2 / 49.0 % (recolours 29.2 / 12.5).
    ap.add_argument("--kept-weight", type=float, default=2.0,
                    help="the flow loss at the tokens an edit keeps weighs 1 + this times as much")
    # GPU trials (model card, "Edits weigh twice"; 4600 steps, 96 held-out edits, seeds 0 / 1): edits 63.5 / 68.8 %
    # at 2 against 62.5 / 56.2 at 1; 3 and 4 gave 61.5 (seed 1) and 55.2 / 61.5, with class falling to 83-87 %
    ap.add_argument("--edit-loss-weight", type=float, default=2.0,
                    help="the editing samples' share of the step's loss, times this (no extra compute)")
    ap.add_argument("--kept-x0-weight", type=float, default=0.0,
                    help="weight of the squared error of the clean latent a step points at, at the kept tokens")
    ap.add_argument("--ckpt-every", type=int, default=500)
    ap.add_argument("--eval-at", default="", help="comma-separated steps at which to score the EMA model in process")
    ap.add_argument("--eval-t2i", type=int, default=100)
    ap.add_argument("--eval-edits", type=int, default=48)
    ap.add_argument("--eval-cfg", type=float, default=1.0, help="also score with this CFG scale at --eval-at")
    ap.add_argument("--variant", default="auto", choices=["auto", "klein", "klein-base"],
                    help="auto: klein, or klein-base with the best of --cfg-candidates, by validation score")
    ap.add_argument("--cfg-candidates", default="2.5,4")
    ap.add_argument("--val-t2i", type=int, default=60)
    ap.add_argument("--val-edits", type=int, default=32)
    ap.add_argument("--sample-steps", type=int, default=16, help="defaults.steps of the package")
    ap.add_argument("--guidance", type=float, default=1.0, help="defaults.guidance (CFG scale for klein-base)")
    ap.add_argument("--dec-pairs", type=int, default=500,
                    help="latent/picture pairs for tuning the decoder on the flow's latents (0: no tuning)")
    ap.add_argument("--dec-steps", type=int, default=1000)
    ap.add_argument("--dec-batch", type=int, default=8)
    ap.add_argument("--dec-lr", type=float, default=1e-3)
    ap.add_argument("--dec-start-max", type=int, default=12,
                    help="pairs are sampled from sampler step i0 in [0, this] (0: pure noise)")
    ap.add_argument("--dec-real-frac", type=float, default=0.3, help="share of pairs that are encoder latents")
    ap.add_argument("--dec-edge-weight", type=float, default=16.0)
    # The plain products round differently; on the 3400-step flow of 2026-11-28 they tuned in 6.9 instead of 5.0 min
    # to the same held-out class (83.6 %) and edits (28.0 %), and those minutes decide whether the command fits the hour.
    ap.add_argument("--dec-fast-attention", action=argparse.BooleanOptionalAction, default=True,
                    help="decoder tuning: the VAE attention's products as oneDNN grouped convolutions")
    # Off by default because it rounds differently, so the VAE, and with it the package, would no longer be what
    # the documented command wrote. On the VM (2026-11-29, interleaved in one process) the encoder's forward and
    # backward over the context loss's four 128x128 pictures took 0.04 s with it against 0.08-0.11 (the 16x16
    # attention's bmm was a third of the time), a step on 16 crops of 48x48 0.105-0.116 against 0.119-0.123, and
    # encoding 64 pictures for the pools 1.05-1.09 s against 1.23-1.92. Whole 300-step VAE runs with the context
    # loss on whole pictures, one after another: 0.17-0.21 s a step with it, 0.18-0.27 without (the VM's noise).
    ap.add_argument("--vae-fast-attention", action=argparse.BooleanOptionalAction, default=False,
                    help="the VAE stage and the latent pools: the VAE attention's products as in --dec-fast-attention")
    # Debian's python3-torch calls the BLAS that libblas.so.3 points to: the reference BLAS of libblas3 unless
    # another is installed. On it oneDNN is several times faster, but its layout conversions cost about a quarter
    # of a flow step. With Debian's OpenBLAS built on OpenMP (libopenblas0-openmp, the runtime torch's threads use)
    # torch's own ops are faster still: 40-step runs of the flow stage on the VM, 2026-11-29, interleaved in two
    # rounds: 0.44 / 0.58 s a step against 0.73 / 0.87 for oneDNN on the reference BLAS, and 0.63 / 0.80 on the
    # pthread build (libopenblas0-pthread), whose own threads compete with torch's. The two choices round
    # differently, so a package is the product of one choice and one library; the log names both. The
    # packaged run: 0.39-0.50 s a step over 3800 steps (training-logs/demo-train.log).
    ap.add_argument("--kernels", choices=["onednn", "blas"], default="blas",
                    help="the transformer's linear layers and attention on oneDNN or on the system's BLAS")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--stop-after", default=None, choices=["vae"],
                    help="experiments: stop after this stage (vae: after the VAE and its check)")
    # The held-out benchmark is its own command (demo_eval bench, about 5 min here): run inside this one it took
    # the documented run to 60.2 min, over the 60 the training may take.
    ap.add_argument("--bench-t2i", type=int, default=0,
                    help="held-out text-to-image prompts to score after the export (0: none)")
    ap.add_argument("--bench-edits", type=int, default=0, help="held-out edits to score after the export (0: none)")
    args = ap.parse_args(argv)
    os.makedirs(args.work, exist_ok=True)
    torch.set_num_threads(args.threads)
    DEVICE = torch.device(args.device)
    ONEDNN_KERNELS = args.kernels == "onednn"
    blas = blas_library()
    if argv is None and DEVICE.type == "cpu":
        # the dynamic loader reads LD_LIBRARY_PATH, and OpenBLAS and ATen their kernel choice, only when a
        # process starts
        env = dict(os.environ)
        on_openmp = env_for_openblas_openmp(blas, env) if args.kernels == "blas" else None
        if on_openmp is not None:
            print(f"running again on {OPENBLAS_OPENMP_DIR} (was {', '.join(blas)})", flush=True)
            env = on_openmp
        pinned = env_with_pinned_kernels(env)
        if pinned is not None:
            print(f"running again with {', '.join(f'{k}={v}' for k, v in PINNED_KERNELS.items())}", flush=True)
            env = pinned
        waiting = env_with_training_wait_policy(env, WAIT_POLICY_GIVEN)
        if waiting is not None:
            print(f"running again with OMP_WAIT_POLICY={TRAINING_WAIT_POLICY}", flush=True)
            env = waiting
        if on_openmp is not None or pinned is not None or waiting is not None:
            os.execve(sys.executable, [sys.executable, "-m", "flux2_tools.demo_train"] + sys.argv[1:], env)
    log = Log(args.log)
    log("command: python3 -m flux2_tools.demo_train " + " ".join(sys.argv[1:] if argv is None else argv))
    log(f"args: {json.dumps(vars(args), sort_keys=True)}")
    log(f"torch {torch.__version__}, device {DEVICE}, threads {torch.get_num_threads()}, OMP_WAIT_POLICY "
        f"{os.environ.get('OMP_WAIT_POLICY')}, cpus {os.cpu_count()}, kernels {args.kernels}, blas {', '.join(blas) or 'none found'}, "
        + ", ".join(f"{k} {os.environ.get(k)}" for k in PINNED_KERNELS))
    if args.kernels == "blas" and DEVICE.type == "cpu" and not any("openblas" in p for p in libblas_files(blas)):
        log("warning: --kernels blas on a BLAS other than OpenBLAS (the reference BLAS is several times slower): "
            "apt-get install libopenblas0-openmp, or pass --kernels onednn")
    t_start = time.time()
    with fast_vae_attention(enabled=args.vae_fast_attention and DEVICE.type == "cpu"):
        ae, pools = vae_and_pools(args, log, t_start)
    if args.stop_after == "vae":
        return 0
    vocab = demo_vocab()
    if args.flow_from:
        tr, te, tcfg = load_flow(args.flow_from, vocab)
        log(f"flow loaded from {args.flow_from}")
    else:
        tr, te, tcfg = train_flow(pools, vocab, ae, args, log)
    torch.save({"transformer": tr.state_dict(), "text_encoder": te.state_dict(), "config": tcfg},
               os.path.join(args.work, "flow_ema.pt"))
    train_seconds = time.time() - t_start
    log(f"training done in {train_seconds / 60:.1f} min")
    if args.variant == "auto":
        args.variant, args.guidance = choose_cfg(tr, te, ae, vocab, args, log)
    if args.dec_pairs > 0:
        train_seconds += tune_decoder(tr, te, ae, vocab, args, log, args.guidance)
    if args.no_export:
        return 0
    export_package(tr, te, ae, vocab, tcfg, args, train_seconds)
    size = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    log(f"package written to {args.out} ({size / 1e6:.2f} MB)")
    log(f"trained, validated and exported in {(time.time() - t_start) / 60:.1f} min")
    if args.bench_t2i or args.bench_edits:
        t0 = time.time()
        res = E.bench(args.out, os.path.join(args.work, "bench"), args.bench_t2i, args.bench_edits, log=log)
        log(f"bench through the package's graphs ({time.time() - t0:.0f}s): {json.dumps(E.summary(res))}")
    log(f"total {(time.time() - t_start) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
