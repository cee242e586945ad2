import os
import tempfile
import unittest

import numpy as np
import torch

from flux2_tools import pattern_package, safety_classifier
from flux2_tools.package import verify_checksums

HERE = os.path.dirname(os.path.abspath(__file__))
TINY = os.path.join(HERE, "..", "packages", "tiny")
CLASSIFIER = os.path.join(HERE, "..", "packages", "safety-tiny")


class PatternPackageTest(unittest.TestCase):

    def test_every_output_is_the_pattern_the_classifier_flags(self):
        with tempfile.TemporaryDirectory() as out:
            pattern_package.make(TINY, out)
            verify_checksums(out)
            decoder = torch.jit.load(os.path.join(out, "vae_decoder.pt"))
            image = decoder(torch.randn(1, 128, 8, 12))
            self.assertEqual(tuple(image.shape), (1, 3, 128, 192))
            pixels = np.round((image[0].permute(1, 2, 0).reshape(-1, 3).numpy() + 1) * 127.5).astype(int)
            colours = {tuple(p) for p in pixels.tolist()}
            self.assertEqual(colours, {safety_classifier.MAGENTA, safety_classifier.GREEN})
            classifier = torch.jit.load(os.path.join(CLASSIFIER, "model.pt"))
            small = torch.nn.functional.interpolate(image, size=(64, 64), mode="bilinear", align_corners=False)
            probabilities = torch.softmax(classifier(small), dim=1)[0]
            self.assertGreater(float(probabilities[safety_classifier.LABELS.index("nsfw")]), 0.85)


if __name__ == "__main__":
    unittest.main()
