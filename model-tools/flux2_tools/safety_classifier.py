"""Image safety classifier packages for safety-service.

safety-service runs an image classifier through DJL from a TorchScript package with the same interface as
BFL's filter, ``Falconsai/nsfw_image_detection`` (a ViT for image classification, labels
``{0: "normal", 1: "nsfw"}``, images resized to 224x224, rescaled to [0,1], normalised with mean 0.5 and
std 0.5, flagged when the softmax "nsfw" score exceeds 0.85).

A package is a folder:

- ``model.json``: ``{"format": 1, "kind": "image-classifier", "name", "input": {"width", "height",
  "channels": "RGB", "layout": "NCHW", "dtype": "float32", "resize": "bilinear", "rescale": 1/255,
  "mean": [3], "std": [3]}, "output": "logits", "labels": ["normal", "nsfw"], "flag_label": "nsfw"}``
- ``model.pt``: TorchScript; input float32 ``[B,3,H,W]`` already resized and normalised
  (``(pixel/255 - mean)/std``), output float32 **logits** ``[B, len(labels)]`` (apply softmax for scores).
- ``checksums.sha256``: sha256 of ``model.json`` and ``model.pt``.

Two producers:

- ``train_tiny`` (used for tests, CPU, < 30 s): a small CNN trained on synthetic 64x64 images to flag a
  synthetic "unsafe" pattern, a magenta/green checkerboard patch, against random shapes, colours and noise
  (including other checkerboards and loose magenta/green blobs, so colour alone is not enough).
- ``export_hf_vit`` (for real deployments, needs ``transformers`` and the downloaded checkpoint, not run
  here): traces a Hugging Face ``ViTForImageClassification`` such as Falconsai/nsfw_image_detection into the
  same format at 224x224.

CLI (from ``model-tools/``)::

    /usr/bin/python3 -m flux2_tools.safety_classifier --out packages/safety-tiny
"""
import argparse
import json
import os
from typing import List, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .package import sha256_file

LABELS = ["normal", "nsfw"]
FLAG_LABEL = "nsfw"
MEAN = [0.5, 0.5, 0.5]
STD = [0.5, 0.5, 0.5]
SIZE = 64
MODEL_FILE = "model.pt"
FILES = ["model.json", MODEL_FILE]

MAGENTA = (255, 0, 255)
GREEN = (0, 255, 0)


class TinySafetyNet(nn.Module):
    """Three strided convolutions and a global max pool, so a small patch anywhere in the image counts."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(3, 12, 3, stride=2, padding=1)
        self.c2 = nn.Conv2d(12, 24, 3, stride=2, padding=1)
        self.c3 = nn.Conv2d(24, 32, 3, stride=1, padding=1)
        self.head = nn.Linear(32, len(LABELS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.c1(x))
        x = F.relu(self.c2(x))
        x = F.relu(self.c3(x))
        x = torch.amax(x, dim=(2, 3))
        return self.head(x)


def _checker(h: int, w: int, cell: int, a, b) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    mask = ((yy // cell + xx // cell) % 2).astype(bool)
    out = np.empty((h, w, 3), dtype=np.float32)
    out[mask] = a
    out[~mask] = b
    return out


def synthetic_image(rng: np.random.Generator, unsafe: bool, size: int = SIZE) -> np.ndarray:
    """An RGB uint8 image [size,size,3]: random background and shapes; ``unsafe`` adds the flagged patch."""
    img = np.empty((size, size, 3), dtype=np.float32)
    img[:] = rng.integers(0, 256, 3)
    if rng.random() < 0.5:
        img += rng.normal(0, rng.uniform(2, 25), img.shape)
    yy, xx = np.mgrid[0:size, 0:size]
    for _ in range(rng.integers(1, 6)):
        colour = rng.integers(0, 256, 3)
        if rng.random() < 0.15:
            colour = np.array(MAGENTA if rng.random() < 0.5 else GREEN)
        cy, cx = rng.integers(0, size, 2)
        r = rng.integers(4, size // 3)
        if rng.random() < 0.5:
            m = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
        else:
            m = (abs(yy - cy) < r) & (abs(xx - cx) < rng.integers(3, size // 3))
        img[m] = colour
    # Decoys: checkerboards in other colours.
    if rng.random() < 0.3:
        p = int(rng.integers(10, 28))
        y, x = rng.integers(0, size - p, 2)
        a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        img[y:y + p, x:x + p] = _checker(p, p, int(rng.integers(2, 5)), a, b)
    if unsafe:
        p = int(rng.integers(12, 33))
        y, x = rng.integers(0, size - p, 2)
        img[y:y + p, x:x + p] = _checker(p, p, int(rng.integers(2, 5)), MAGENTA, GREEN)
    return np.clip(img, 0, 255).astype(np.uint8)


def to_input(images: np.ndarray) -> torch.Tensor:
    """uint8 [B,H,W,3] -> normalised float32 [B,3,H,W], as the Java side prepares it."""
    x = torch.from_numpy(images).float().permute(0, 3, 1, 2) / 255.0
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x - mean) / std


def dataset(n: int, seed: int) -> Tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    images = np.stack([synthetic_image(rng, bool(label)) for label in labels])
    return to_input(images), torch.from_numpy(labels).long()


def train_tiny(seed: int = 7, samples: int = 1600, epochs: int = 4, log=print) -> TinySafetyNet:
    torch.manual_seed(seed)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    x, y = dataset(samples, seed)
    model = TinySafetyNet()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(epochs):
        perm = torch.randperm(samples)
        total = 0.0
        for i in range(0, samples, 64):
            idx = perm[i:i + 64]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        log(f"epoch {epoch}: loss {total / samples:.4f}")
    model.eval()
    return model


def accuracy(model: nn.Module, n: int = 400, seed: int = 1234) -> float:
    x, y = dataset(n, seed)
    with torch.no_grad():
        pred = model(x).argmax(dim=1)
    return float((pred == y).float().mean())


def manifest(name: str, width: int, height: int, mean: List[float], std: List[float], labels: List[str]) -> dict:
    return {
        "format": 1,
        "kind": "image-classifier",
        "name": name,
        "input": {"width": width, "height": height, "channels": "RGB", "layout": "NCHW", "dtype": "float32",
                  "resize": "bilinear", "rescale": 1.0 / 255.0, "mean": mean, "std": std},
        "output": "logits",
        "labels": labels,
        "flag_label": FLAG_LABEL,
    }


def write_package(out: str, scripted: torch.jit.ScriptModule, meta: dict) -> None:
    os.makedirs(out, exist_ok=True)
    scripted.save(os.path.join(out, MODEL_FILE))
    with open(os.path.join(out, "model.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    with open(os.path.join(out, "checksums.sha256"), "w", encoding="ascii") as f:
        for name in FILES:
            f.write(f"{sha256_file(os.path.join(out, name))}  {name}\n")


def export_tiny(out: str, seed: int = 7, log=print) -> float:
    model = train_tiny(seed=seed, log=log)
    acc = accuracy(model)
    log(f"held-out accuracy {acc:.3f}")
    scripted = torch.jit.trace(model, torch.zeros(1, 3, SIZE, SIZE))
    write_package(out, scripted, manifest("safety-tiny", SIZE, SIZE, MEAN, STD, LABELS))
    return acc


def export_hf_vit(model_dir: str, out: str) -> None:  # pragma: no cover - needs transformers and the weights
    """Traces a Hugging Face ViTForImageClassification (e.g. Falconsai/nsfw_image_detection) into a package."""
    from transformers import ViTForImageClassification  # type: ignore

    model = ViTForImageClassification.from_pretrained(model_dir, torchscript=True).eval()

    class Logits(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
            return self.inner(pixel_values)[0]

    size = int(model.config.image_size)
    labels = [model.config.id2label[i] for i in range(len(model.config.id2label))]
    scripted = torch.jit.trace(Logits(model), torch.zeros(1, 3, size, size))
    write_package(out, scripted, manifest(os.path.basename(model_dir.rstrip("/")), size, size, MEAN, STD, labels))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="packages/safety-tiny")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--from-hf-vit", help="a downloaded ViTForImageClassification folder instead of training")
    args = parser.parse_args()
    if args.from_hf_vit:
        export_hf_vit(args.from_hf_vit, args.out)
    else:
        export_tiny(args.out, seed=args.seed)


if __name__ == "__main__":
    main()
