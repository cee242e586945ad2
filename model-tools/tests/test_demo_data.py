"""The demo data generator: determinism, vocabulary, captions and edits that match their scenes, and the evaluator
reading rendered ground truth back exactly."""
import random
import unittest

import numpy as np

from flux2_tools import demo_data as D
from flux2_tools import demo_eval as E
from flux2_tools.tokenizer import WordLevelTokenizer, tokenizer_json


class DemoDataTest(unittest.TestCase):
    def test_deterministic(self):
        a = [D.random_scene(random.Random(5)) for _ in range(3)]
        b = [D.random_scene(random.Random(5)) for _ in range(3)]
        self.assertEqual(a, b)
        self.assertTrue(np.array_equal(D.render(a[0]), D.render(b[0])))
        self.assertEqual(D.caption(a[0], random.Random(1)), D.caption(b[0], random.Random(1)))

    def test_issue_coverage(self):
        self.assertGreaterEqual(len(D.COLOURS), 8)
        self.assertTrue({"circle", "square", "triangle"} <= set(D.CLASSES))
        self.assertEqual(len(D.POSITIONS), 9)
        self.assertEqual(set(D.EDIT_KINDS), {"recolour", "move", "background", "add"})

    def test_scenes_are_valid(self):
        rng = random.Random(0)
        for _ in range(300):
            s = D.random_scene(rng)
            self.assertIn(len(s.shapes), (1, 2))
            self.assertEqual(len({x.position for x in s.shapes}), len(s.shapes))
            for x in s.shapes:
                self.assertNotEqual(x.colour, s.background)

    def test_captions_use_known_words_and_fit(self):
        vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]"] + D.vocabulary() + D.PUNCTUATION)}
        tok = WordLevelTokenizer(tokenizer_json(vocab, 24))
        rng = random.Random(1)
        longest = 0
        for _ in range(500):
            s = D.random_scene(rng)
            for text in (D.caption(s, rng), D.canonical_caption(s), D.random_edit(rng)[1]):
                ids, _ = tok.encode(text, pad=False)
                self.assertNotIn(1, ids, text)  # no [UNK]
                longest = max(longest, len(ids))
        self.assertLessEqual(longest, 24)

    def test_caption_mentions_attributes(self):
        rng = random.Random(2)
        for _ in range(100):
            s = D.random_scene(rng)
            c = D.caption(s, rng)
            self.assertIn(s.background + " background", c)
            for x in s.shapes:
                self.assertIn(x.colour, c)
                self.assertIn(x.cls, c)
        s = D.Scene("blue", (D.Shape("circle", "red", "medium", "centre"),))
        self.assertEqual(D.canonical_caption(s), "a red circle on a blue background")

    def test_edits_change_only_what_they_say(self):
        rng = random.Random(3)
        for kind in D.EDIT_KINDS:
            for _ in range(50):
                src, text, tgt = D.random_edit(rng, kind)
                a, b = src.describe(), tgt.describe()
                if kind == "background":
                    self.assertNotEqual(a["background"], b["background"])
                    self.assertIn(b["background"], text)
                    self.assertEqual(a["shapes"], b["shapes"])
                    continue
                self.assertEqual(a["background"], b["background"])
                if kind == "add":
                    self.assertEqual(b["shapes"][:-1], a["shapes"])
                    self.assertEqual(len(b["shapes"]), len(a["shapes"]) + 1)
                    continue
                changed = [i for i, (x, y) in enumerate(zip(a["shapes"], b["shapes"])) if x != y]
                self.assertEqual(len(changed), 1)
                x, y = a["shapes"][changed[0]], b["shapes"][changed[0]]
                if kind == "recolour":
                    self.assertEqual((x["class"], x["position"]), (y["class"], y["position"]))
                    self.assertIn(y["colour"], text)
                else:
                    self.assertEqual((x["class"], x["colour"]), (y["class"], y["colour"]))
                    self.assertNotEqual(x["position"], y["position"])

    def test_render(self):
        s = D.Scene("blue", (D.Shape("square", "red", "medium", "top-left"),))
        img = D.render(s)
        self.assertEqual((img.shape, img.dtype), ((128, 128, 3), np.uint8))
        self.assertEqual(tuple(img[0, 0]), D.COLOURS["blue"])
        c = 128 // 6
        self.assertEqual(tuple(img[c, c]), D.COLOURS["red"])


class EvaluatorOnGroundTruthTest(unittest.TestCase):
    def test_reads_rendered_scenes_back(self):
        rng = random.Random(11)
        results = [E.score_one(s.describe(), E.analyze(D.render(s))) for s in (D.random_scene(rng)
                                                                              for _ in range(150))]
        agg = E.aggregate(results)
        print(f"\nevaluator on 150 rendered scenes: {agg}")
        self.assertEqual(agg["exact"], 100.0)

    def test_robust_to_blur_and_noise(self):
        rng = random.Random(12)
        np_rng = np.random.RandomState(0)
        results = []
        for _ in range(60):
            s = D.random_scene(rng)
            img = D.render(s).astype(np.float32)
            # 3x3 box blur, then noise
            img = np.pad(img, ((1, 1), (1, 1), (0, 0)), mode="edge")
            img = (img[:-2] + img[1:-1] + img[2:]) / 3
            img = (img[:, :-2] + img[:, 1:-1] + img[:, 2:]) / 3
            img = np.clip(img + np_rng.normal(0, 8, img.shape), 0, 255).astype(np.uint8)
            results.append(E.score_one(s.describe(), E.analyze(img)))
        agg = E.aggregate(results)
        self.assertGreaterEqual(agg["colour"], 95.0, agg)
        self.assertGreaterEqual(agg["class"], 90.0, agg)
        self.assertGreaterEqual(agg["position"], 95.0, agg)


if __name__ == "__main__":
    unittest.main()
