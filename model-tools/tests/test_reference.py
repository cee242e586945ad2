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
from flux2_tools import reference as R
from flux2_tools.reference import Package, generate
from flux2_tools.sampling import get_schedule, image_ids, pack, reference_ids, text_ids, unpack

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
        p = Package(os.path.join(ROOT, "packages", "tiny-klein-base"))
        g = 3.0
        got = generate(p, "two blue birds", 32, 32, 2, g, noise(32, 32))
        ctx_c = p.encode_prompt("two blue birds")
        ctx_u = p.encode_prompt("")
        x = pack(noise(32, 32))
        s = get_schedule(2, 4)
        ids2 = image_ids(2, 2)[None].repeat(2, 1, 1)
        for i in range(2):
            # one batched forward: [uncond, cond]
            v = p.transformer(x.repeat(2, 1, 1), ids2, torch.tensor([s[i], s[i]]), torch.cat([ctx_u, ctx_c]),
                              text_ids(512)[None].repeat(2, 1, 1), torch.tensor([g, g]))
            vu, vc = v[0:1], v[1:2]
            x = x + torch.tensor(s[i + 1] - s[i], dtype=torch.float32) * (vu + torch.tensor(g) * (vc - vu))
        self.assertTrue(torch.equal(got, p.vae_decoder(unpack(x, 2, 2))))
        # two separate passes agree to float rounding
        x = pack(noise(32, 32))
        for i in range(2):
            t = torch.tensor([s[i]])
            vc = p.transformer(x, image_ids(2, 2)[None], t, ctx_c, text_ids(512)[None], torch.tensor([g]))
            vu = p.transformer(x, image_ids(2, 2)[None], t, ctx_u, text_ids(512)[None], torch.tensor([g]))
            x = x + torch.tensor(s[i + 1] - s[i], dtype=torch.float32) * (vu + g * (vc - vu))
        self.assertTrue(torch.allclose(got, p.vae_decoder(unpack(x, 2, 2)), atol=1e-5))
        # guidance really changes the result
        plain = generate(p, "two blue birds", 32, 32, 2, 1.0, noise(32, 32))
        self.assertGreater((plain - got).abs().max().item(), 1e-4)


class ReferenceImagesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_grad_enabled(False)
        cls.pkg = Package(os.path.join(ROOT, "packages", "tiny-klein"))
        g = torch.Generator().manual_seed(11)
        cls.refs = [torch.rand(1, 3, 32, 48, generator=g) * 2 - 1, torch.rand(1, 3, 16, 32, generator=g) * 2 - 1]

    def test_generate_with_references_by_hand(self):
        """Target tokens first, then each reference's tokens with ids (10+10k,row,col,0); prediction sliced."""
        p = self.pkg
        got = generate(p, "a red cat", 32, 32, 2, 1.0, noise(32, 32), references=self.refs)
        ctx = p.encode_prompt("a red cat")
        r0, r1 = p.vae_encoder(self.refs[0]), p.vae_encoder(self.refs[1])
        self.assertEqual((r0.shape, r1.shape), ((1, 128, 2, 3), (1, 128, 1, 2)))
        ref_tok = torch.cat([pack(r0), pack(r1)], dim=1)
        ids = torch.cat([image_ids(2, 2), reference_ids(0, 2, 3), reference_ids(1, 1, 2)])[None]
        self.assertEqual(ids[0, 4].tolist(), [10, 0, 0, 0])
        self.assertEqual(ids[0, 10].tolist(), [20, 0, 0, 0])
        x = pack(noise(32, 32))
        s = get_schedule(2, 4)  # target tokens only
        for i in range(2):
            v = p.transformer(torch.cat([x, ref_tok], dim=1), ids, torch.tensor([s[i]]), ctx, text_ids(512)[None],
                              torch.tensor([1.0]))[:, :4]
            x = x + torch.tensor(s[i + 1] - s[i], dtype=torch.float32) * v
        self.assertTrue(torch.equal(got, p.vae_decoder(unpack(x, 2, 2))))
        plain = generate(p, "a red cat", 32, 32, 2, 1.0, noise(32, 32))
        self.assertGreater((plain - got).abs().max().item(), 1e-4)

    def test_cfg_with_references(self):
        p = Package(os.path.join(ROOT, "packages", "tiny-klein-base"))
        img = generate(p, "a cat", 32, 32, 1, 4.0, noise(32, 32), references=self.refs[:1])
        self.assertEqual(img.shape, (1, 3, 32, 32))
        self.assertTrue(torch.isfinite(img).all())

    def test_preprocessing_rules(self):
        self.assertEqual(R.capped_size(1000, 800, 1), (1000, 800))
        self.assertEqual(R.capped_size(3000, 2000, 1), (2478, 1652))  # floor(3000*s), s = sqrt(2024^2/6e6)
        self.assertEqual(R.capped_size(1500, 1000, 2), (1254, 836))
        self.assertEqual(R.capped_size(1024, 1024, 2), (1024, 1024))
        self.assertEqual(R.crop_box(1254, 836), (3, 2, 1248, 832))
        with self.assertRaises(ValueError):
            R.check_reference_size(63, 200)
        with self.assertRaises(ValueError):
            R.check_reference_size(900, 100)
        R.check_reference_size(800, 100)  # aspect exactly 8 is allowed
        px = np.random.RandomState(0).randint(0, 256, (70, 100, 3)).astype(np.uint8)
        t = R.preprocess_reference(px, 1)
        self.assertEqual(t.shape, (1, 3, 64, 96))
        want = torch.from_numpy(px[3:67, 2:98].astype(np.float32)).permute(2, 0, 1) / 255.0 * 2.0 - 1.0
        self.assertTrue(torch.equal(t[0], want))
        big = np.zeros((1100, 1000, 3), np.uint8)
        self.assertEqual(R.preprocess_reference(big, 2).shape, (1, 3, 1072, 976))  # 1073x975 -> crop

    def test_seed_noise(self):
        a = R.seed_noise(1234, 48, 32)
        g = torch.Generator("cpu").manual_seed(1234)
        self.assertTrue(torch.equal(a, torch.randn([1, 128, 3, 2], generator=g)))

    def test_cli_output_takes_last_reference_size(self):
        with tempfile.TemporaryDirectory() as d:
            np.save(os.path.join(d, "r0.npy"), self.refs[0].numpy())
            np.save(os.path.join(d, "r1.npy"), self.refs[1][0].numpy())  # [3,H,W] accepted too
            out = os.path.join(d, "o.npy")
            R.main(["--package", os.path.join(ROOT, "packages", "tiny-klein"), "--prompt", "a red cat",
                    "--reference", os.path.join(d, "r0.npy"), "--reference", os.path.join(d, "r1.npy"),
                    "--seed", "5", "--steps", "1", "--out", out, "--dump", os.path.join(d, "dump")])
            img = np.load(out)
            self.assertEqual(img.shape, (1, 3, 16, 32))
            want = generate(self.pkg, "a red cat", 32, 16, 1, 1.0, R.seed_noise(5, 16, 32), references=self.refs)
            np.testing.assert_array_equal(img, want.numpy())
            self.assertEqual(np.load(os.path.join(d, "dump", "x_ids.npy")).shape, (1, 2 + 6 + 2, 4))


class KleinPackagesTest(unittest.TestCase):
    def test_committed_klein_packages_are_the_exporter_output(self):
        """packages/tiny-klein{,-base} are `export --preset tiny --variant V --text-encoder-arch qwen3`."""
        from flux2_tools.package import GRAPH_FILES, load_manifest
        for name, variant, steps, guidance in (("tiny-klein", "klein", 4, 1.0), ("tiny-klein-base", "klein-base",
                                                                                50, 4.0)):
            folder = os.path.join(ROOT, "packages", name)
            p = Package(folder)
            m = load_manifest(folder)
            self.assertEqual((m["variant"], m["defaults"]["steps"], m["defaults"]["guidance"]),
                             (variant, steps, guidance))
            self.assertFalse(m["transformer"]["guidance_embed"])
            self.assertEqual(m["text_encoder"]["padding_side"], "right")
            models = E.build_random("tiny", variant, 0, name, "qwen3")
            built = models.manifest
            committed = dict(m)
            committed["source"] = dict(m["source"])
            committed["source"].pop("torch")
            built["source"].pop("torch")
            self.assertEqual(committed, built)
            eager = E.graph_modules(models)
            for g in GRAPH_FILES:
                got = torch.jit.load(os.path.join(folder, g)).state_dict()
                for k, v in eager[g].state_dict().items():
                    self.assertTrue(torch.equal(got[k], v), f"{name}/{g}: {k}")
            total = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
            self.assertLess(total, 3.2 * 1024 * 1024)
            ids, mask = p.tokenize("a red cat")
            self.assertEqual(int(mask.sum()), 10)  # template markers are single tokens


if __name__ == "__main__":
    unittest.main()
