"""A test package whose every output carries the safety classifier's flagged pattern.

It is an ordinary package (the same tokenizer, text encoder and transformer as the one it is made from), so
the whole pipeline runs for real; only its VAE decoder is replaced by one that paints a magenta/green
checkerboard (``safety_classifier.MAGENTA``/``GREEN``) over the decoded size. End-to-end tests use it to show
that an output the image classifier flags ends as Content Moderated and is deleted.

CLI (from ``model-tools/``)::

    /usr/bin/python3 -m flux2_tools.pattern_package --source packages/tiny --out /tmp/tiny-pattern
"""
import argparse
import json
import os
import shutil

import torch
import torch.nn as nn

from .package import PACKAGE_FILES, verify_checksums, write_checksums
from .safety_classifier import GREEN, MAGENTA


class PatternDecoder(nn.Module):
    """latent [B,128,h,w] -> image [B,3,16h,16w] in [-1,1]: a checkerboard of ``cell``-pixel squares."""

    def __init__(self, cell: int = 4) -> None:
        super().__init__()
        self.cell = cell
        self.register_buffer("first", torch.tensor(MAGENTA, dtype=torch.float32).view(1, 3, 1, 1) / 127.5 - 1)
        self.register_buffer("second", torch.tensor(GREEN, dtype=torch.float32).view(1, 3, 1, 1) / 127.5 - 1)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        b = latent.shape[0]
        h = latent.shape[2] * 16
        w = latent.shape[3] * 16
        rows = torch.div(torch.arange(h, device=latent.device), self.cell, rounding_mode="floor")
        cols = torch.div(torch.arange(w, device=latent.device), self.cell, rounding_mode="floor")
        mask = ((rows.view(h, 1) + cols.view(1, w)) % 2).to(latent.dtype).view(1, 1, h, w)
        # The latent still flows into the output (times zero), so the graph depends on what the sampler made.
        image = mask * self.first + (1 - mask) * self.second + 0 * latent.mean()
        return image.expand(b, 3, h, w).contiguous()


def make(source: str, out: str, name: str = "tiny-pattern") -> None:
    verify_checksums(source)
    os.makedirs(out, exist_ok=True)
    for file in PACKAGE_FILES:
        if file != "vae_decoder.pt":
            shutil.copyfile(os.path.join(source, file), os.path.join(out, file))
    torch.jit.script(PatternDecoder()).save(os.path.join(out, "vae_decoder.pt"))
    with open(os.path.join(out, "model.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    manifest["name"] = name
    manifest.setdefault("source", {})["decoder"] = "pattern (flux2_tools.pattern_package)"
    with open(os.path.join(out, "model.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    write_checksums(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--name", default="tiny-pattern")
    args = parser.parse_args()
    make(args.source, args.out, args.name)


if __name__ == "__main__":
    main()
