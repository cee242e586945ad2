import math
import unittest

import torch
import torch.nn.functional as F

from flux2_tools import transformer as T
from flux2_tools.autoencoder import patchify, unpatchify
from flux2_tools.sampling import image_ids, reference_ids, text_ids


def rotate(ids, head_dim=128, axes=(32, 32, 32, 32)):
    torch.manual_seed(0)
    x = torch.randn(1, 1, ids.shape[0], head_dim)
    cos, sin = T.rope_tables(ids[None], list(axes), 2000)
    return x, T.apply_rope(x, cos, sin)


def changed_dims(x, y):
    return sorted(set(torch.nonzero((x - y).abs() > 1e-6)[:, 3].tolist()))


class RopeTest(unittest.TestCase):
    def test_text_tokens_rotate_only_last_axis(self):
        x, y = rotate(text_ids(6))
        self.assertTrue(torch.equal(x[:, :, 0], y[:, :, 0]))  # position 0: identity
        self.assertEqual(changed_dims(x, y), list(range(96, 128)))

    def test_image_tokens_rotate_h_and_w(self):
        x, y = rotate(image_ids(3, 3))
        self.assertEqual(changed_dims(x, y), list(range(32, 96)))
        # a token in row 0 only moves the w slice, one in column 0 only the h slice
        self.assertEqual(changed_dims(x[:, :, 1:2], y[:, :, 1:2]), list(range(64, 96)))
        self.assertEqual(changed_dims(x[:, :, 3:4], y[:, :, 3:4]), list(range(32, 64)))

    def test_reference_tokens_also_rotate_t(self):
        x, y = rotate(reference_ids(0, 2, 2))
        self.assertEqual(changed_dims(x, y), list(range(0, 96)))

    def test_adjacent_pairs_and_frequencies(self):
        ids = torch.tensor([[0, 3, 0, 0]])  # h = 3
        x, y = rotate(ids)
        for j in (0, 1, 15):
            theta = 3 * 2000.0 ** (-2 * j / 32)
            a, b = x[0, 0, 0, 32 + 2 * j].item(), x[0, 0, 0, 32 + 2 * j + 1].item()
            self.assertAlmostEqual(y[0, 0, 0, 32 + 2 * j].item(), a * math.cos(theta) - b * math.sin(theta), places=5)
            self.assertAlmostEqual(y[0, 0, 0, 32 + 2 * j + 1].item(), a * math.sin(theta) + b * math.cos(theta),
                                   places=5)


class EmbeddingTest(unittest.TestCase):
    def test_sinusoid_cos_first(self):
        e = T.timestep_embedding(torch.tensor([0.5]), 256, 1000.0)
        self.assertEqual(e.shape, (1, 256))
        k = 5
        f = math.exp(-math.log(10000.0) * k / 128)
        self.assertAlmostEqual(e[0, k].item(), math.cos(500.0 * f), places=4)
        self.assertAlmostEqual(e[0, 128 + k].item(), math.sin(500.0 * f), places=4)
        self.assertAlmostEqual(e[0, 0].item(), math.cos(500.0), places=4)

    def test_swiglu_gate_is_first_half(self):
        x = torch.randn(2, 6)
        self.assertTrue(torch.allclose(T.SwiGLU()(x), F.silu(x[:, :3]) * x[:, 3:]))

    def test_rmsnorm(self):
        n = T.RMSNorm(8)
        with torch.no_grad():
            n.scale.copy_(torch.arange(8.0))
        x = torch.randn(3, 8)
        want = x / torch.sqrt((x * x).mean(-1, keepdim=True) + 1e-6) * torch.arange(8.0)
        self.assertTrue(torch.allclose(n(x), want, atol=1e-6))

    def test_plain_attention_formula(self):
        q, k, v = torch.randn(3, 1, 2, 5, 4).unbind(0)
        want = torch.softmax(q @ k.transpose(-1, -2) / 2.0, -1) @ v
        self.assertTrue(torch.allclose(T._plain_attention(q, k, v), want, atol=1e-6))
        if T.HAS_SDPA:
            self.assertTrue(torch.allclose(T._sdpa_attention(q, k, v), want, atol=1e-5))


class PatchifyTest(unittest.TestCase):
    def test_channel_index(self):
        z = torch.randn(1, 32, 4, 6)
        p = patchify(z)
        self.assertEqual(p.shape, (1, 128, 2, 3))
        for c, pi, pj, r, col in [(0, 0, 0, 0, 0), (3, 1, 0, 1, 2), (31, 1, 1, 0, 1), (7, 0, 1, 1, 1)]:
            self.assertEqual(p[0, c * 4 + pi * 2 + pj, r, col].item(), z[0, c, 2 * r + pi, 2 * col + pj].item())

    def test_round_trip(self):
        z = torch.randn(2, 32, 8, 10)
        self.assertTrue(torch.equal(unpatchify(patchify(z)), z))
        p = torch.randn(2, 128, 3, 4)
        self.assertTrue(torch.equal(patchify(unpatchify(p)), p))


if __name__ == "__main__":
    unittest.main()
