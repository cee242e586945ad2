"""Reading and verifying a model package folder (docs/model-package.md)."""
import hashlib
import json
import os
from typing import Dict, List

GRAPH_FILES = ["text_encoder.pt", "transformer.pt", "vae_encoder.pt", "vae_decoder.pt"]
PACKAGE_FILES = ["model.json", "tokenizer.json"] + GRAPH_FILES
CHECKSUMS = "checksums.sha256"


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_checksums(folder: str, files: List[str] = PACKAGE_FILES) -> None:
    lines = [f"{sha256_file(os.path.join(folder, name))}  {name}\n" for name in files]
    with open(os.path.join(folder, CHECKSUMS), "w", encoding="ascii") as f:
        f.writelines(lines)


def read_checksums(folder: str) -> Dict[str, str]:
    out: Dict[str, str] = {}
    with open(os.path.join(folder, CHECKSUMS), encoding="ascii") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            digest, name = line.split(None, 1)
            out[name.lstrip("*")] = digest
    return out


def verify_checksums(folder: str) -> None:
    """Raises ValueError unless every package file is listed and matches."""
    sums = read_checksums(folder)
    missing = [f for f in PACKAGE_FILES if f not in sums]
    if missing:
        raise ValueError(f"checksums.sha256 does not list {missing}")
    for name, digest in sums.items():
        actual = sha256_file(os.path.join(folder, name))
        if actual != digest:
            raise ValueError(f"checksum mismatch for {name}: {actual} != {digest}")


def load_manifest(folder: str) -> dict:
    with open(os.path.join(folder, "model.json"), encoding="utf-8") as f:
        m = json.load(f)
    if m.get("format") != 1:
        raise ValueError(f"unsupported package format {m.get('format')}")
    if m.get("variant") not in ("dev", "klein", "klein-base"):
        raise ValueError(f"unknown variant {m.get('variant')}")
    return m
