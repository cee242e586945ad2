"""PyTorch reference text-to-image pipeline over a model package's TorchScript graphs (spec section 5).

    /usr/bin/python3 -m flux2_tools.reference --package packages/tiny --prompt "a red circle" \\
        --width 128 --height 128 --steps 4 --guidance 4.0 --noise noise.npy --out image.npy

Everything is float32 except the schedule, which is computed in float64 (Python floats); each Euler step size
sigma_{i+1} - sigma_i is formed in float64 and then rounded to float32, the timestep passed to the graph is
float32(sigma_i), and x <- x + dt * v is done in float32. The output .npy holds the decoder output [1,3,H,W] float32
before any clamping."""
import argparse
import os
import sys
from typing import Dict, Optional

import numpy as np
import torch
from torch import Tensor

from .package import load_manifest, verify_checksums
from .sampling import get_schedule, image_ids, pack, text_ids, unpack
from .tokenizer import WordLevelTokenizer


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

    def tokenize(self, prompt: str):
        text = self.manifest["text_encoder"]["prompt_template"].replace("{prompt}", prompt)
        ids, mask = self.tokenizer.encode(text)
        return torch.tensor([ids], dtype=torch.long), torch.tensor([mask], dtype=torch.long)

    def encode_prompt(self, prompt: str) -> Tensor:
        ids, mask = self.tokenize(prompt)
        return self.text_encoder(ids, mask)


def generate(pkg: Package, prompt: str, width: int, height: int, steps: int, guidance: float, noise: Tensor,
             dump: Optional[Dict[str, np.ndarray]] = None) -> Tensor:
    """Returns the decoded image [1,3,H,W] float32 (unclamped)."""
    if width % 16 or height % 16 or width <= 0 or height <= 0:
        raise ValueError("width and height must be positive multiples of 16")
    h, w = height // 16, width // 16
    if tuple(noise.shape) != (1, 128, h, w):
        raise ValueError(f"noise must have shape [1,128,{h},{w}], got {list(noise.shape)}")
    variant = pkg.manifest["variant"]
    with torch.no_grad():
        ids, mask = pkg.tokenize(prompt)
        ctx = pkg.text_encoder(ids, mask)
        ctx_ids = text_ids(ctx.shape[1])[None]
        ctx_u = pkg.encode_prompt("") if variant == "klein-base" else None
        x = pack(noise.to(torch.float32))
        x_ids = image_ids(h, w)[None]
        sigmas = get_schedule(steps, h * w)
        g = torch.tensor([guidance], dtype=torch.float32)
        g_scalar = torch.tensor(guidance, dtype=torch.float32)
        if dump is not None:
            dump.update(input_ids=ids.numpy(), attention_mask=mask.numpy(), ctx=ctx.numpy(),
                        ctx_ids=ctx_ids.numpy(), x_ids=x_ids.numpy(), sigmas=np.array(sigmas, dtype=np.float64),
                        x_init=x.numpy().copy())
        for i in range(steps):
            t = torch.tensor([sigmas[i]], dtype=torch.float32)
            v = pkg.transformer(x, x_ids, t, ctx, ctx_ids, g)
            if ctx_u is not None:
                v_u = pkg.transformer(x, x_ids, t, ctx_u, ctx_ids, g)
                v = v_u + g_scalar * (v - v_u)
            dt = torch.tensor(sigmas[i + 1] - sigmas[i], dtype=torch.float32)
            x = x + dt * v
            if dump is not None and i == 0:
                dump["v_step0"] = v.numpy().copy()
        latent = unpack(x, h, w)
        image = pkg.vae_decoder(latent)
        if dump is not None:
            dump.update(latent=latent.numpy(), image=image.numpy())
    return image


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m flux2_tools.reference", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", required=True)
    ap.add_argument("--prompt", required=True)
    ap.add_argument("--width", type=int, default=None, help="default: the package's defaults.width")
    ap.add_argument("--height", type=int, default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--guidance", type=float, default=None)
    ap.add_argument("--noise", default=None, help=".npy float32 [1,128,H/16,W/16]")
    ap.add_argument("--seed", type=int, default=None,
                    help="without --noise: draw noise with torch.Generator().manual_seed(seed) (CPU randn)")
    ap.add_argument("--save-noise", default=None, help="write the noise used to this .npy")
    ap.add_argument("--dump", default=None, help="folder for intermediate arrays (ids, ctx, sigmas, v_step0, latent)")
    ap.add_argument("--out", required=True, help="output .npy: decoded float32 [1,3,H,W] before clamping")
    args = ap.parse_args(argv)

    pkg = Package(args.package)
    d = pkg.manifest["defaults"]
    width = args.width or d["width"]
    height = args.height or d["height"]
    steps = args.steps or d["steps"]
    guidance = d["guidance"] if args.guidance is None else args.guidance
    shape = (1, 128, height // 16, width // 16)
    if args.noise:
        noise = torch.from_numpy(np.load(args.noise).astype(np.float32, copy=False))
    elif args.seed is not None:
        noise = torch.randn(shape, generator=torch.Generator().manual_seed(args.seed), dtype=torch.float32)
    else:
        ap.error("give --noise or --seed")
    if args.save_noise:
        np.save(args.save_noise, noise.numpy())
    dump: Optional[Dict[str, np.ndarray]] = {} if args.dump else None
    image = generate(pkg, args.prompt, width, height, steps, guidance, noise, dump)
    np.save(args.out, image.numpy().astype(np.float32, copy=False))
    if dump is not None:
        os.makedirs(args.dump, exist_ok=True)
        for k, v in dump.items():
            np.save(os.path.join(args.dump, k + ".npy"), v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
