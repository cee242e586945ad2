"""The committed safety-tiny package: intact, in the documented format, and flags the synthetic pattern."""
import json
import os
import unittest

import numpy as np
import torch

from flux2_tools import safety_classifier as sc
from flux2_tools.package import sha256_file

PACKAGE = os.path.join(os.path.dirname(__file__), "..", "packages", "safety-tiny")


class SafetyClassifierPackageTest(unittest.TestCase):

    def test_checksums_match(self):
        with open(os.path.join(PACKAGE, "checksums.sha256"), encoding="ascii") as f:
            sums = dict(reversed(line.split()) for line in f if line.strip())
        self.assertEqual(set(sums), {"model.json", "model.pt"})
        for name, digest in sums.items():
            self.assertEqual(sha256_file(os.path.join(PACKAGE, name)), digest, name)

    def test_manifest_has_falconsai_interface(self):
        with open(os.path.join(PACKAGE, "model.json"), encoding="utf-8") as f:
            m = json.load(f)
        self.assertEqual(m["labels"], ["normal", "nsfw"])
        self.assertEqual(m["flag_label"], "nsfw")
        self.assertEqual(m["output"], "logits")
        self.assertEqual(m["input"]["layout"], "NCHW")
        self.assertEqual(m["input"]["mean"], [0.5, 0.5, 0.5])
        self.assertEqual(m["input"]["std"], [0.5, 0.5, 0.5])

    def test_flags_the_pattern_and_passes_the_rest(self):
        model = torch.jit.load(os.path.join(PACKAGE, "model.pt"))
        rng = np.random.default_rng(99)
        labels = np.array([i % 2 for i in range(200)])
        images = np.stack([sc.synthetic_image(rng, bool(label)) for label in labels])
        with torch.no_grad():
            logits = model(sc.to_input(images))
        self.assertEqual(tuple(logits.shape), (200, 2))
        scores = torch.softmax(logits, dim=1)[:, 1].numpy()
        flagged = scores > 0.85
        self.assertGreaterEqual(float((flagged == labels.astype(bool)).mean()), 0.97)

    def test_synthetic_images_are_reproducible(self):
        a = sc.synthetic_image(np.random.default_rng(5), True)
        b = sc.synthetic_image(np.random.default_rng(5), True)
        self.assertEqual(a.shape, (64, 64, 3))
        self.assertTrue(np.array_equal(a, b))


if __name__ == "__main__":
    unittest.main()
