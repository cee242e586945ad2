"""PyTorch reference pipeline over a model package's TorchScript graphs (spec sections 5 and 6): text-to-image and
multi-reference editing for the variants dev, klein and klein-base.

    /usr/bin/python3 -m flux2_tools.reference --package packages/tiny --prompt "a red circle" \\
        --width 128 --height 128 --steps 4 --guidance 4.0 --seed 42 --out image.npy
    /usr/bin/python3 -m flux2_tools.reference --package packages/tiny-klein --prompt "make it blue" \\
        --reference a.png --reference b.npy --seed 1 --out edited.npy

Everything is float32 except the schedule, which is computed in float64 (Python floats); each Euler step size
sigma_{i+1} - sigma_i is formed in float64 and then rounded to float32, the timestep passed to the graph is
float32(sigma_i), and x <- x + dt * v is done in float32. The output .npy holds the decoder output [1,3,H,W] float32
before any clamping. klein-base runs [uncond, cond] as one batch of 2 and combines v_u + g * (v_c - v_u)."""
import argparse
import math
import os
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from .package import load_manifest, verify_checksums
from .sampling import get_schedule, image_ids, pack, reference_ids, text_ids, unpack
from .tokenizer import WordLevelTokenizer

MIN_SIDE = 64
MAX_ASPECT = 8.0
AREA_LIMIT_MULTI = 1024 * 1024  # two or more references
AREA_LIMIT_SINGLE = 2024 * 2024  # one reference (sic, per the official code)
MAX_REFERENCES = 10


class Package:
    def __init__(self, folder: str, verify: bool = True):
        if verify:
            verify_checksums(folder)
        self.folder = folder
        self.manifest = load_manifest(folder)
        self.tokenizer = WordLevelTokenizer.from_file(os.path.join(folder, "tokenizer.json"))
        self.text_encoder = torch.jit.load(os.path.join(folder, "text_encoder.pt"), map_location="cpu").eval()
        self.transformer = torch.jit.load(os.path.join(folder, "transformer.pt"), map_location="cpu").eval()
        self.vae_decoder = torch.jit.load(os.path.join(folder, "vae_decoder.pt"), map_location="cpu").eval()
        self._vae_encoder = None

    @property
    def vae_encoder(self):
        if self._vae_encoder is None:
            self._vae_encoder = torch.jit.load(os.path.join(self.folder, "vae_encoder.pt"), map_location="cpu").eval()
        return self._vae_encoder

    def prompt_text(self, prompt: str) -> str:
        te = self.manifest["text_encoder"]
        for s in te.get("prompt_remove", []):
            prompt = prompt.replace(s, "")
        return te["prompt_template"].replace("{prompt}", prompt)

    def tokenize(self, prompt: str) -> Tuple[Tensor, Tensor]:
        """model.json rules: remove prompt_remove strings, substitute into prompt_template, tokenise (no added
        BOS/EOS), truncate to max_length on the right, pad to max_length with pad_token_id on padding_side."""
        te = self.manifest["text_encoder"]
        n = int(te["max_length"])
        ids, _ = self.tokenizer.encode(self.prompt_text(prompt), pad=False)
        ids = ids[:n]
        pad = [int(te.get("pad_token_id", 0))] * (n - len(ids))
        if te.get("padding_side", "right") == "left":
            full, mask = pad + ids, [0] * len(pad) + [1] * len(ids)
        else:
            full, mask = ids + pad, [1] * len(ids) + [0] * len(pad)
        return torch.tensor([full], dtype=torch.long), torch.tensor([mask], dtype=torch.long)

    def encode_prompt(self, prompt: str) -> Tensor:
        ids, mask = self.tokenize(prompt)
        return self.text_encoder(ids, mask)


# ---------------------------------------------------------------------------------------------------------------
# references (spec section 6)

def area_limit(n_refs: int) -> int:
    return AREA_LIMIT_MULTI if n_refs >= 2 else AREA_LIMIT_SINGLE


def check_reference_size(w: int, h: int) -> None:
    if min(w, h) < MIN_SIDE:
        raise ValueError(f"reference {w}x{h}: a side is under {MIN_SIDE} px")
    if max(w, h) / min(w, h) > MAX_ASPECT:
        raise ValueError(f"reference {w}x{h}: aspect ratio over {MAX_ASPECT:g}")


def capped_size(w: int, h: int, n_refs: int) -> Tuple[int, int]:
    """Size after the area cap: unchanged when w*h <= limit, else floor(w*s), floor(h*s), s = sqrt(limit/(w*h))."""
    limit = area_limit(n_refs)
    if w * h <= limit:
        return w, h
    s = math.sqrt(limit / (w * h))
    return int(math.floor(w * s)), int(math.floor(h * s))


def crop_box(w: int, h: int) -> Tuple[int, int, int, int]:
    """Centre crop to multiples of 16: (left, top, new_w, new_h), left = (w - new_w) // 2."""
    nw, nh = w - w % 16, h - h % 16
    return (w - nw) // 2, (h - nh) // 2, nw, nh


def pixels_to_tensor(rgb: np.ndarray) -> Tensor:
    """uint8 [H,W,3] -> float32 [1,3,H,W]: float32(p) / 255 * 2 - 1 (each operation in float32)."""
    t = torch.from_numpy(np.array(rgb, dtype=np.uint8, copy=True)).permute(2, 0, 1).to(torch.float32)
    return (t / 255.0 * 2.0 - 1.0)[None].contiguous()


def preprocess_reference(rgb: np.ndarray, n_refs: int) -> Tensor:
    """uint8 [H,W,3] -> [1,3,H',W'] in [-1,1]: validate, area cap with PIL LANCZOS, centre-crop to multiples of 16.
    (LANCZOS is hard to reproduce outside PIL: parity tests feed already-sized references, see README.)"""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError("reference pixels must be uint8 [H,W,3]")
    h, w = rgb.shape[:2]
    check_reference_size(w, h)
    nw, nh = capped_size(w, h, n_refs)
    if (nw, nh) != (w, h):
        from PIL import Image
        rgb = np.asarray(Image.fromarray(rgb, "RGB").resize((nw, nh), Image.LANCZOS))
    left, top, cw, ch = crop_box(nw, nh)
    rgb = rgb[top:top + ch, left:left + cw]
    return pixels_to_tensor(rgb)


def load_reference(path: str, n_refs: int) -> Tensor:
    """PNG/JPEG (PIL, converted to RGB) or .npy uint8 [H,W,3]: full preprocessing. .npy float [3,H,W] or
    [1,3,H,W] in [-1,1]: taken as already preprocessed (H, W multiples of 16), used as is."""
    if path.endswith(".npy"):
        a = np.load(path)
        if a.dtype == np.uint8:
            return preprocess_reference(a, n_refs)
        t = torch.from_numpy(a.astype(np.float32, copy=False))
        if t.dim() == 3:
            t = t[None]
        if t.dim() != 4 or t.shape[:2] != (1, 3) or t.shape[2] % 16 or t.shape[3] % 16:
            raise ValueError(f"{path}: a float reference must be [1,3,H,W] (or [3,H,W]) with H, W multiples of 16")
        return t.contiguous()
    from PIL import Image
    with Image.open(path) as im:
        rgb = np.asarray(im.convert("RGB"))
    return preprocess_reference(rgb, n_refs)


def encode_references(pkg: Package, refs: Sequence[Tensor]) -> Tuple[List[Tensor], Tensor, Tensor]:
    """Each reference encoded separately -> (latents [1,128,h_k,w_k], tokens [1,sum,128], ids [1,sum,4]) with ids
    (10 + 10k, row, col, 0)."""
    lats: List[Tensor] = []
    toks: List[Tensor] = []
    ids: List[Tensor] = []
    for k, r in enumerate(refs):
        if r.dim() != 4 or r.shape[0] != 1 or r.shape[1] != 3 or r.shape[2] % 16 or r.shape[3] % 16:
            raise ValueError(f"reference {k} must be [1,3,H,W] with H, W multiples of 16")
        lat = pkg.vae_encoder(r.to(torch.float32))
        lats.append(lat)
        toks.append(pack(lat))
        ids.append(reference_ids(k, lat.shape[2], lat.shape[3]))
    return lats, torch.cat(toks, dim=1), torch.cat(ids)[None]


# ---------------------------------------------------------------------------------------------------------------

def generate(pkg: Package, prompt: str, width: int, height: int, steps: int, guidance: float, noise: Tensor,
             dump: Optional[Dict[str, np.ndarray]] = None, references: Optional[Sequence[Tensor]] = None) -> Tensor:
    """Returns the decoded image [1,3,H,W] float32 (unclamped). references: preprocessed [1,3,H_k,W_k] tensors."""
    if width % 16 or height % 16 or width <= 0 or height <= 0:
        raise ValueError("width and height must be positive multiples of 16")
    refs = list(references or [])
    if len(refs) > MAX_REFERENCES:
        raise ValueError(f"at most {MAX_REFERENCES} references")
    h, w = height // 16, width // 16
    if tuple(noise.shape) != (1, 128, h, w):
        raise ValueError(f"noise must have shape [1,128,{h},{w}], got {list(noise.shape)}")
    variant = pkg.manifest["variant"]
    cfg = variant == "klein-base"
    with torch.no_grad():
        ids, mask = pkg.tokenize(prompt)
        ctx = pkg.text_encoder(ids, mask)
        ctx_ids = text_ids(ctx.shape[1])[None]
        x = pack(noise.to(torch.float32))
        x_ids = image_ids(h, w)[None]
        n_img = x.shape[1]
        ref_tokens = ref_ids = None
        if refs:
            lats, ref_tokens, ref_ids = encode_references(pkg, refs)
            full_ids = torch.cat([x_ids, ref_ids], dim=1)
        else:
            full_ids = x_ids
        sigmas = get_schedule(steps, h * w)
        if cfg:
            # one forward with batch 2: index 0 = unconditional (empty prompt), index 1 = conditional
            ctx_u = pkg.encode_prompt("")
            ctx_in = torch.cat([ctx_u, ctx])
            ids_in = full_ids.repeat(2, 1, 1)
            ctx_ids_in = ctx_ids.repeat(2, 1, 1)
            nb = 2
        else:
            ctx_in, ids_in, ctx_ids_in, nb = ctx, full_ids, ctx_ids, 1
        g = torch.full([nb], guidance, dtype=torch.float32)
        g_scalar = torch.tensor(guidance, dtype=torch.float32)
        if dump is not None:
            dump.update(input_ids=ids.numpy(), attention_mask=mask.numpy(), ctx=ctx.numpy(),
                        ctx_ids=ctx_ids.numpy(), x_ids=full_ids.numpy(), sigmas=np.array(sigmas, dtype=np.float64),
                        x_init=x.numpy().copy())
            if cfg:
                dump["ctx_uncond"] = ctx_u.numpy()
            if refs:
                for k, lat in enumerate(lats):
                    dump[f"ref{k}_latent"] = lat.numpy()
                    dump[f"ref{k}_image"] = refs[k].numpy()
        for i in range(steps):
            x_in = x if ref_tokens is None else torch.cat([x, ref_tokens], dim=1)
            if nb == 2:
                x_in = x_in.repeat(2, 1, 1)
            t = torch.full([nb], sigmas[i], dtype=torch.float32)
            v = pkg.transformer(x_in, ids_in, t, ctx_in, ctx_ids_in, g)[:, :n_img]
            if cfg:
                v_u, v_c = v[0:1], v[1:2]
                v = v_u + g_scalar * (v_c - v_u)
            dt = torch.tensor(sigmas[i + 1] - sigmas[i], dtype=torch.float32)
            x = x + dt * v
            if dump is not None and i == 0:
                dump["v_step0"] = v.numpy().copy()
        latent = unpack(x, h, w)
        image = pkg.vae_decoder(latent)
        if dump is not None:
            dump.update(latent=latent.numpy(), image=image.numpy())
    return image


def seed_noise(seed: int, height: int, width: int) -> Tensor:
    """torch.Generator('cpu').manual_seed(seed), then one randn of [1,128,H/16,W/16] float32."""
    g = torch.Generator("cpu").manual_seed(seed)
    return torch.randn([1, 128, height // 16, width // 16], generator=g, dtype=torch.float32)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m flux2_tools.reference", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", required=True)
    ap.add_argument("--prompt", required=True)
    ap.add_argument("--width", type=int, default=None,
                    help="default: the last reference's processed width, else the package's defaults.width")
    ap.add_argument("--height", type=int, default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--guidance", type=float, default=None)
    ap.add_argument("--reference", action="append", default=[],
                    help="reference image (repeatable, up to 10): .png/.jpg, .npy uint8 [H,W,3] (both preprocessed "
                         "here), or .npy float [1,3,H,W] in [-1,1] taken as already preprocessed")
    ap.add_argument("--noise", default=None, help=".npy float32 [1,128,H/16,W/16]")
    ap.add_argument("--seed", type=int, default=None,
                    help="without --noise: torch.Generator('cpu').manual_seed(seed), randn [1,128,H/16,W/16]")
    ap.add_argument("--save-noise", default=None, help="write the noise used to this .npy")
    ap.add_argument("--dump", default=None, help="folder for intermediate arrays (ids, ctx, sigmas, v_step0, latent)")
    ap.add_argument("--out", required=True, help="output .npy: decoded float32 [1,3,H,W] before clamping")
    args = ap.parse_args(argv)

    pkg = Package(args.package)
    d = pkg.manifest["defaults"]
    if len(args.reference) > MAX_REFERENCES:
        ap.error(f"at most {MAX_REFERENCES} references")
    refs = [load_reference(p, len(args.reference)) for p in args.reference]
    if refs and args.width is None and args.height is None:
        width, height = int(refs[-1].shape[3]), int(refs[-1].shape[2])
    else:
        width = args.width or d["width"]
        height = args.height or d["height"]
    width, height = width // 16 * 16, height // 16 * 16  # floored to multiples of 16
    steps = args.steps or d["steps"]
    guidance = d["guidance"] if args.guidance is None else args.guidance
    if args.noise:
        noise = torch.from_numpy(np.load(args.noise).astype(np.float32, copy=False))
    elif args.seed is not None:
        noise = seed_noise(args.seed, height, width)
    else:
        ap.error("give --noise or --seed")
    if args.save_noise:
        np.save(args.save_noise, noise.numpy())
    dump: Optional[Dict[str, np.ndarray]] = {} if args.dump else None
    image = generate(pkg, args.prompt, width, height, steps, guidance, noise, dump, refs)
    np.save(args.out, image.numpy().astype(np.float32, copy=False))
    if dump is not None:
        os.makedirs(args.dump, exist_ok=True)
        for k, v in dump.items():
            np.save(os.path.join(args.dump, k + ".npy"), v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
