"""The reference pipeline on the committed tiny package, in process and through the CLI."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import torch

from flux2_tools import export as E
from flux2_tools.reference import Package, generate
from flux2_tools.sampling import get_schedule, image_ids, pack, text_ids, unpack

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = os.path.join(ROOT, "packages", "tiny")


def noise(height, width, seed=0):
    return torch.randn(1, 128, height // 16, width // 16, generator=torch.Generator().manual_seed(seed))


class ReferencePipelineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_grad_enabled(False)
        cls.pkg = Package(TINY)
        cls.image = generate(cls.pkg, "a red circle at the top left", 128, 128, 4, 4.0, noise(128, 128))

    def test_image_shape_and_not_constant(self):
        img = self.image
        self.assertEqual((img.shape, img.dtype), ((1, 3, 128, 128), torch.float32))
        self.assertTrue(torch.isfinite(img).all())
        self.assertGreater(img.std().item(), 0.05)
        self.assertGreater((img[:, :, :, 1:] - img[:, :, :, :-1]).abs().mean().item(), 1e-3)

    def test_deterministic(self):
        again = generate(self.pkg, "a red circle at the top left", 128, 128, 4, 4.0, noise(128, 128))
        self.assertTrue(torch.equal(again, self.image))

    def test_inputs_matter(self):
        other_noise = generate(self.pkg, "a red circle at the top left", 128, 128, 4, 4.0, noise(128, 128, 1))
        self.assertGreater((other_noise - self.image).abs().max().item(), 1e-2)
        other_prompt = generate(self.pkg, "a blue square at the bottom", 128, 128, 4, 4.0, noise(128, 128))
        self.assertGreater((other_prompt - self.image).abs().max().item(), 1e-3)

    def test_non_square(self):
        img = generate(self.pkg, "green", 64, 32, 2, 4.0, noise(32, 64))  # width 64, height 32
        self.assertEqual(img.shape, (1, 3, 32, 64))
        with self.assertRaises(ValueError):
            generate(self.pkg, "green", 64, 32, 2, 4.0, noise(64, 32))

    def test_euler_loop_by_hand(self):
        """generate() is exactly: text encoder, pack, ids, schedule, x += (s[i+1]-s[i]) v, unpack, decode."""
        p = self.pkg
        ids, mask = p.tokenize("a red circle at the top left")
        ctx = p.text_encoder(ids, mask)
        x = pack(noise(128, 128))
        s = get_schedule(4, 64)
        for i in range(4):
            v = p.transformer(x, image_ids(8, 8)[None], torch.tensor([s[i]]), ctx, text_ids(512)[None],
                              torch.tensor([4.0]))
            x = x + torch.tensor(s[i + 1] - s[i], dtype=torch.float32) * v
        self.assertTrue(torch.equal(p.vae_decoder(unpack(x, 8, 8)), self.image))

    def test_cli(self):
        with tempfile.TemporaryDirectory() as d:
            np.save(os.path.join(d, "noise.npy"), noise(128, 128).numpy())
            out = os.path.join(d, "image.npy")
            subprocess.run([sys.executable, "-m", "flux2_tools.reference", "--package", TINY, "--prompt",
                            "a red circle at the top left", "--width", "128", "--height", "128", "--steps", "4",
                            "--guidance", "4.0", "--noise", os.path.join(d, "noise.npy"), "--out", out,
                            "--dump", os.path.join(d, "dump")], cwd=ROOT, check=True)
            img = np.load(out)
            self.assertEqual((img.shape, img.dtype), ((1, 3, 128, 128), np.float32))
            np.testing.assert_array_equal(img, self.image.numpy())
            sig = np.load(os.path.join(d, "dump", "sigmas.npy"))
            np.testing.assert_array_equal(sig, get_schedule(4, 64))


class KleinBaseCfgTest(unittest.TestCase):
    def test_true_cfg_with_empty_prompt(self):
        torch.set_grad_enabled(False)
        with tempfile.TemporaryDirectory() as d:
            E.write_package(E.build_random("tiny", "klein-base", 5), d)
            p = Package(d)
            g = 3.0
            got = generate(p, "two blue birds", 32, 32, 2, g, noise(32, 32))
            ctx_c = p.encode_prompt("two blue birds")
            ctx_u = p.encode_prompt("")
            x = pack(noise(32, 32))
            s = get_schedule(2, 4)
            args = (image_ids(2, 2)[None],)
            for i in range(2):
                t = torch.tensor([s[i]])
                vc = p.transformer(x, args[0], t, ctx_c, text_ids(512)[None], torch.tensor([g]))
                vu = p.transformer(x, args[0], t, ctx_u, text_ids(512)[None], torch.tensor([g]))
                x = x + torch.tensor(s[i + 1] - s[i], dtype=torch.float32) * (vu + g * (vc - vu))
            self.assertTrue(torch.allclose(got, p.vae_decoder(unpack(x, 2, 2)), atol=1e-6))
            # guidance really changes the result
            plain = generate(p, "two blue birds", 32, 32, 2, 1.0, noise(32, 32))
            self.assertGreater((plain - got).abs().max().item(), 1e-4)


if __name__ == "__main__":
    unittest.main()
