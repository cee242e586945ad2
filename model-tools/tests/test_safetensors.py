"""The safetensors reader/writer: byte layout, dtypes (bf16 via bit shifts), shards with and without an index."""
import json
import os
import struct
import tempfile
import unittest

import numpy as np
import torch

from flux2_tools.safetensors_io import (SafeTensorsFile, ShardedCheckpoint, bf16_bits_to_float32, load_file,
                                        save_file)


class SafeTensorsTest(unittest.TestCase):
    def test_roundtrip_dtypes(self):
        g = torch.Generator().manual_seed(0)
        ts = {"a.f32": torch.randn(3, 4, generator=g), "b.f16": torch.randn(5, generator=g).half(),
              "c.bf16": torch.randn(2, 3, 2, generator=g).bfloat16(), "d.i64": torch.arange(-3, 4),
              "e.scalar": torch.tensor(2.5)}
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "x.safetensors")
            save_file(ts, p, {"format": "pt"})
            with open(p, "rb") as f:
                (n,) = struct.unpack("<Q", f.read(8))
                header = json.loads(f.read(n))
            self.assertEqual(n % 8, 0)
            self.assertEqual(header["__metadata__"], {"format": "pt"})
            self.assertEqual(header["c.bf16"]["dtype"], "BF16")
            self.assertEqual(header["d.i64"]["shape"], [7])
            f = SafeTensorsFile(p)
            self.assertEqual(sorted(f.keys()), sorted(ts))
            self.assertEqual(f.info("b.f16"), ("F16", [5]))
            for k, t in ts.items():
                got = f.get(k)
                want = t.float() if t.dtype == torch.bfloat16 else t
                self.assertEqual(got.dtype, want.dtype, k)
                self.assertTrue(torch.equal(got, want), k)
            kept = f.get("c.bf16", keep_bf16=True)
            self.assertEqual(kept.dtype, torch.bfloat16)
            self.assertTrue(torch.equal(kept, ts["c.bf16"]))
            self.assertTrue(torch.equal(load_file(p)["a.f32"], ts["a.f32"]))

    def test_bf16_bits(self):
        bits = np.array([0x3F80, 0xC000, 0x0000, 0x7F80, 0x3E20], dtype=np.uint16)
        np.testing.assert_array_equal(bf16_bits_to_float32(bits),
                                      np.array([1.0, -2.0, 0.0, np.inf, 0.15625], dtype=np.float32))

    def test_rejects_bad_offsets(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "bad.safetensors")
            hb = json.dumps({"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 12]}}).encode()
            with open(p, "wb") as f:
                f.write(struct.pack("<Q", len(hb)) + hb + b"\0" * 16)
            with self.assertRaises(ValueError):
                SafeTensorsFile(p)

    def test_shards(self):
        with tempfile.TemporaryDirectory() as d:
            save_file({"a": torch.ones(2)}, os.path.join(d, "m-00001-of-00002.safetensors"))
            save_file({"b": torch.zeros(3)}, os.path.join(d, "m-00002-of-00002.safetensors"))
            ck = ShardedCheckpoint.from_folder(d)
            self.assertEqual(sorted(ck.keys()), ["a", "b"])
            self.assertEqual(ck.shape("b"), [3])
            with open(os.path.join(d, "m.safetensors.index.json"), "w") as f:
                json.dump({"weight_map": {"a": "m-00001-of-00002.safetensors"}}, f)
            self.assertEqual(ShardedCheckpoint.from_folder(d).keys(), ["a"])  # the index decides


if __name__ == "__main__":
    unittest.main()
