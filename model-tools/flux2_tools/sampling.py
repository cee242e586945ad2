"""Sampling host code (spec section 5 and 2.4): schedule, position ids, packing. Schedule values are float64 Python
floats; the Euler loop casts step sizes to float32 (see reference.py)."""
import math
from typing import List

import torch
from torch import Tensor

A1 = 8.73809524e-05
B1 = 1.89833333
A2 = 0.00016927
B2 = 0.45666666


def empirical_mu(image_seq_len: int, num_steps: int) -> float:
    """mu(S, N): linear fit in S above 4300 tokens, else interpolation in N between the 10- and 200-step fits."""
    s = float(image_seq_len)
    if image_seq_len > 4300:
        return A2 * s + B2
    m200 = A2 * s + B2
    m10 = A1 * s + B1
    slope = (m200 - m10) / 190.0
    return slope * float(num_steps) + (m200 - 200.0 * slope)


def get_schedule(num_steps: int, image_seq_len: int) -> List[float]:
    """N+1 sigmas: sigma_i = e^mu / (e^mu + (1/tau_i - 1)), tau_i = 1 - i/N; sigma_0 = 1, sigma_N = 0."""
    if num_steps < 1:
        raise ValueError("num_steps must be >= 1")
    mu = empirical_mu(image_seq_len, num_steps)
    em = math.exp(mu)
    sig: List[float] = []
    for i in range(num_steps + 1):
        tau = 1.0 - i / num_steps
        if tau <= 0.0:
            sig.append(0.0)
        else:
            sig.append(em / (em + (1.0 / tau - 1.0)))
    return sig


def image_ids(h: int, w: int, t: int = 0) -> Tensor:
    """[h*w, 4] int64 rows (t, row, col, 0), row-major. Target t = 0; reference k uses t = 10 + 10k."""
    rows = torch.arange(h, dtype=torch.long).repeat_interleave(w)
    cols = torch.arange(w, dtype=torch.long).repeat(h)
    ids = torch.zeros(h * w, 4, dtype=torch.long)
    ids[:, 0] = t
    ids[:, 1] = rows
    ids[:, 2] = cols
    return ids


def reference_ids(k: int, h: int, w: int) -> Tensor:
    return image_ids(h, w, t=10 + 10 * k)


def text_ids(length: int) -> Tensor:
    """[L, 4] int64 rows (0, 0, 0, i)."""
    ids = torch.zeros(length, 4, dtype=torch.long)
    ids[:, 3] = torch.arange(length, dtype=torch.long)
    return ids


def pack(latent: Tensor) -> Tensor:
    """[B,128,h,w] -> [B,h*w,128] row-major."""
    b, c, h, w = latent.shape
    return latent.reshape(b, c, h * w).transpose(1, 2).contiguous()


def unpack(tokens: Tensor, h: int, w: int) -> Tensor:
    """[B,h*w,C] -> [B,C,h,w]."""
    b, n, c = tokens.shape
    if n != h * w:
        raise ValueError(f"{n} tokens do not make a {h}x{w} grid")
    return tokens.transpose(1, 2).reshape(b, c, h, w).contiguous()
