"""The committed tiny package: checksums, manifest, signatures, and that it is what the exporter builds."""
import json
import os
import shutil
import tempfile
import unittest

import torch

from flux2_tools import export as E
from flux2_tools.package import GRAPH_FILES, PACKAGE_FILES, load_manifest, read_checksums, verify_checksums
from flux2_tools.sampling import image_ids, text_ids

TINY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "packages", "tiny")


class TinyPackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_grad_enabled(False)
        cls.m = load_manifest(TINY)
        cls.graphs = {n: torch.jit.load(os.path.join(TINY, n)) for n in GRAPH_FILES}

    def test_checksums_verify(self):
        verify_checksums(TINY)
        self.assertEqual(sorted(read_checksums(TINY)), sorted(PACKAGE_FILES))
        with open(os.path.join(TINY, "checksums.sha256")) as f:
            for line in f:  # sha256sum format: 64 hex, two spaces, name
                self.assertRegex(line, r"^[0-9a-f]{64}  \S+\n$")

    def test_corruption_detected(self):
        with tempfile.TemporaryDirectory() as d:
            for n in PACKAGE_FILES + ["checksums.sha256"]:
                shutil.copy(os.path.join(TINY, n), d)
            with open(os.path.join(d, "model.json"), "a") as f:
                f.write(" ")
            with self.assertRaises(ValueError):
                verify_checksums(d)

    def test_manifest(self):
        m = self.m
        self.assertEqual((m["format"], m["name"], m["variant"], m["dtype"]), (1, "tiny", "dev", "float32"))
        t = m["transformer"]
        self.assertEqual(t["num_heads"] * t["head_dim"], t["hidden_size"])
        self.assertEqual(sum(t["axes_dim"]), t["head_dim"])
        self.assertTrue(t["guidance_embed"])
        self.assertEqual(t["rope_theta"], 2000)
        te = m["text_encoder"]
        self.assertEqual(te["max_length"], 512)
        self.assertEqual(te["pad_token_id"], 0)
        self.assertIn("{prompt}", te["prompt_template"])
        self.assertEqual(te["output_dim"], t["context_dim"])
        self.assertEqual(m["vae"]["downscale"] * m["vae"]["patch"], 16)
        self.assertEqual(m["defaults"], {"steps": 4, "guidance": 4.0, "width": 128, "height": 128})
        total = sum(os.path.getsize(os.path.join(TINY, n)) for n in PACKAGE_FILES)
        self.assertLess(total, 5 * 1024 * 1024)

    def test_graph_signatures(self):
        m = self.m
        L, C = m["text_encoder"]["max_length"], m["transformer"]["context_dim"]
        ids = torch.zeros(1, L, dtype=torch.long)
        ids[0, :2] = torch.tensor([5, 6])
        ctx = self.graphs["text_encoder.pt"](ids, (ids != 0).long())
        self.assertEqual((ctx.shape, ctx.dtype), ((1, L, C), torch.float32))
        h, w = 2, 3
        x = torch.randn(1, h * w, 128)
        v = self.graphs["transformer.pt"](x, image_ids(h, w)[None], torch.tensor([1.0]), ctx, text_ids(L)[None],
                                          torch.tensor([4.0]))
        self.assertEqual((v.shape, v.dtype), ((1, h * w, 128), torch.float32))
        img = torch.rand(1, 3, 16 * h, 16 * w) * 2 - 1
        lat = self.graphs["vae_encoder.pt"](img)
        self.assertEqual((lat.shape, lat.dtype), ((1, 128, h, w), torch.float32))
        out = self.graphs["vae_decoder.pt"](lat)
        self.assertEqual((out.shape, out.dtype), ((1, 3, 16 * h, 16 * w), torch.float32))

    def test_package_is_the_preset(self):
        """The committed weights are exactly `export --preset tiny --seed 0` (regenerate if this fails)."""
        eager = E.graph_modules(E.build_random("tiny", "dev", 0))
        for name in GRAPH_FILES:
            got = self.graphs[name].state_dict()
            want = eager[name].state_dict()
            self.assertEqual(sorted(got), sorted(want), name)
            for k in want:
                self.assertTrue(torch.equal(got[k], want[k]), f"{name}: {k}")
        with open(os.path.join(TINY, "model.json")) as f:
            committed = json.load(f)
        built = E.build_random("tiny", "dev", 0).manifest
        committed["source"].pop("torch")
        built["source"].pop("torch")
        self.assertEqual(committed, built)


class ExportTest(unittest.TestCase):
    def test_export_klein_bf16(self):
        """Another variant and the bf16 option: fp32 I/O, close to the fp32 graphs, checksums written."""
        torch.set_grad_enabled(False)
        with tempfile.TemporaryDirectory() as d:
            models = E.build_random("tiny", "klein", 3)
            E.write_package(models, d, "bfloat16")
            verify_checksums(d)
            m = load_manifest(d)
            self.assertEqual((m["variant"], m["dtype"], m["transformer"]["guidance_embed"]), ("klein", "bfloat16", False))
            self.assertEqual(m["defaults"]["guidance"], 1.0)
            tr = torch.jit.load(os.path.join(d, "transformer.pt"))
            ref = E.graph_modules(models)["transformer.pt"]
            args = (torch.randn(1, 4, 128), image_ids(2, 2)[None], torch.tensor([0.5]), torch.randn(1, 512, 96),
                    text_ids(512)[None], torch.tensor([1.0]))
            a, b = tr(*args), ref(*args)
            self.assertEqual(a.dtype, torch.float32)
            self.assertLess((a - b).abs().max().item(), 0.1)
            dec = torch.jit.load(os.path.join(d, "vae_decoder.pt"))
            self.assertEqual(dec(torch.randn(1, 128, 1, 1)).dtype, torch.float32)


if __name__ == "__main__":
    unittest.main()
