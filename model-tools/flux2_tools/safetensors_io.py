"""A small reader and writer of the safetensors format (no `safetensors` package needed).

File layout: 8 bytes little-endian unsigned header length N; N bytes of JSON mapping each tensor name to
{"dtype": "F32"|"F16"|"BF16"|"I64"|..., "shape": [...], "data_offsets": [begin, end]} (offsets relative to the
first byte after the header), plus an optional "__metadata__" dict of strings; then the raw little-endian data.

The reader memory-maps the file and materialises one tensor at a time, so a 60 GB checkpoint can be walked with a
few GB of RAM. BF16 is converted to float32 with an exact 16-bit shift of the raw bits (or kept as torch.bfloat16
with keep_bf16=True).
"""
import json
import os
import struct
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np
import torch

_NP = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "BF16": np.dtype("<u2"),
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"), "I8": np.dtype("i1"),
    "U8": np.dtype("u1"), "BOOL": np.dtype("?"),
}
_TORCH_TO_ST = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
                torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
                torch.bool: "BOOL"}


def bf16_bits_to_float32(bits: np.ndarray) -> np.ndarray:
    """uint16 bf16 bit patterns -> float32 (exact: the bf16 bits are the high half of the float32)."""
    return (bits.astype(np.uint32) << np.uint32(16)).view(np.float32)


def float32_to_bf16_bits(x: np.ndarray) -> np.ndarray:
    """float32 -> uint16 bf16 bit patterns, round to nearest even (as torch's .to(torch.bfloat16))."""
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(torch.bfloat16).view(torch.int16) \
        .numpy().view(np.uint16)


class SafeTensorsFile:
    """Lazy reader: `keys()`, `info(name)` -> (dtype, shape), `get(name)` -> torch.Tensor (a fresh copy)."""

    def __init__(self, path: str):
        self.path = path
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            raw = f.read(8)
            if len(raw) != 8:
                raise ValueError(f"{path}: not a safetensors file (too short)")
            (n,) = struct.unpack("<Q", raw)
            if n > size - 8 or n > 100 * 1024 * 1024:
                raise ValueError(f"{path}: bad header length {n}")
            header = json.loads(f.read(n).decode("utf-8"))
        self.data_start = 8 + n
        self.metadata: Dict[str, str] = header.pop("__metadata__", None) or {}
        self.entries: Dict[str, dict] = header
        for name, e in header.items():
            if e["dtype"] not in _NP:
                raise ValueError(f"{path}: tensor {name} has unsupported dtype {e['dtype']}")
            begin, end = e["data_offsets"]
            count = int(np.prod(e["shape"])) if e["shape"] else 1
            if end - begin != count * _NP[e["dtype"]].itemsize or self.data_start + end > size:
                raise ValueError(f"{path}: tensor {name} has inconsistent offsets")
        self._mm: Optional[np.memmap] = None

    def keys(self) -> List[str]:
        return list(self.entries)

    def __contains__(self, name: str) -> bool:
        return name in self.entries

    def info(self, name: str) -> Tuple[str, List[int]]:
        e = self.entries[name]
        return e["dtype"], list(e["shape"])

    def _raw(self, name: str) -> np.ndarray:
        if self._mm is None:
            self._mm = np.memmap(self.path, dtype=np.uint8, mode="r")
        e = self.entries[name]
        begin, end = e["data_offsets"]
        buf = self._mm[self.data_start + begin: self.data_start + end]
        return buf.view(_NP[e["dtype"]]).reshape(e["shape"])

    def get(self, name: str, keep_bf16: bool = False) -> torch.Tensor:
        dt = self.entries[name]["dtype"]
        a = self._raw(name)
        if dt == "BF16":
            if keep_bf16:
                return torch.from_numpy(np.array(a, dtype=np.uint16).view(np.int16)).view(torch.bfloat16)
            return torch.from_numpy(bf16_bits_to_float32(np.asarray(a)))
        return torch.from_numpy(np.array(a))  # copy out of the map, native byte order

    def close(self) -> None:
        self._mm = None


def load_file(path: str, keep_bf16: bool = False) -> Dict[str, torch.Tensor]:
    f = SafeTensorsFile(path)
    return {k: f.get(k, keep_bf16) for k in f.keys()}


def save_file(tensors: Dict[str, torch.Tensor], path: str, metadata: Optional[Dict[str, str]] = None) -> None:
    """Write tensors (F32, F16, BF16, I64, ... as their torch dtype) in name order, 8-byte aligned header."""
    header: Dict[str, dict] = {}
    blobs: List[bytes] = []
    off = 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype not in _TORCH_TO_ST:
            raise ValueError(f"unsupported dtype {t.dtype} for {name}")
        st = _TORCH_TO_ST[t.dtype]
        if t.dtype == torch.bfloat16:
            data = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            data = t.numpy().astype(_NP[st]).tobytes()
        header[name] = {"dtype": st, "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    if metadata:
        header["__metadata__"] = dict(metadata)
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)


class ShardedCheckpoint:
    """Several safetensors files seen as one name -> tensor map (a HF folder with or without an index json)."""

    def __init__(self, files: List[str]):
        if not files:
            raise ValueError("no safetensors files")
        self.files = [SafeTensorsFile(p) for p in files]
        self.where: Dict[str, SafeTensorsFile] = {}
        for f in self.files:
            for k in f.keys():
                if k in self.where:
                    raise ValueError(f"tensor {k} appears in two shards")
                self.where[k] = f

    @staticmethod
    def from_folder(folder: str, stem: Optional[str] = None) -> "ShardedCheckpoint":
        """Reads `<stem>.safetensors.index.json` if present (its weight_map names the shards), else every
        `<stem>*.safetensors` (any `*.safetensors` when stem is None) in the folder, sorted."""
        names = sorted(os.listdir(folder))
        index = [n for n in names if n.endswith(".safetensors.index.json") and (stem is None or n.startswith(stem))]
        if index:
            with open(os.path.join(folder, index[0]), encoding="utf-8") as fh:
                wm = json.load(fh)["weight_map"]
            shards = sorted(set(wm.values()))
        else:
            shards = [n for n in names if n.endswith(".safetensors") and (stem is None or n.startswith(stem))]
        if not shards:
            raise FileNotFoundError(f"no safetensors files in {folder}")
        return ShardedCheckpoint([os.path.join(folder, s) for s in shards])

    def keys(self) -> List[str]:
        return list(self.where)

    def __contains__(self, name: str) -> bool:
        return name in self.where

    def info(self, name: str) -> Tuple[str, List[int]]:
        return self.where[name].info(name)

    def shape(self, name: str) -> List[int]:
        return self.where[name].info(name)[1]

    def get(self, name: str, keep_bf16: bool = False) -> torch.Tensor:
        return self.where[name].get(name, keep_bf16)

    def items(self, keep_bf16: bool = False) -> Iterator[Tuple[str, torch.Tensor]]:
        for k in self.keys():
            yield k, self.get(k, keep_bf16)


def open_checkpoint(path: str, stem: Optional[str] = None) -> ShardedCheckpoint:
    """A single .safetensors file or a folder of shards."""
    if os.path.isdir(path):
        return ShardedCheckpoint.from_folder(path, stem)
    return ShardedCheckpoint([path])
