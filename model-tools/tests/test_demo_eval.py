"""The demo evaluator's scoring and CLI, and (when packages/demo exists) the demo model itself through the
reference pipeline on held-out prompts and seeds."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

from flux2_tools import demo_data as D
from flux2_tools import demo_eval as E

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEMO = os.path.join(ROOT, "packages", "demo")


class ScoringTest(unittest.TestCase):
    def test_match_and_score(self):
        exp = {"background": "blue", "shapes": [{"colour": "red", "class": "circle", "position": "top-left"},
                                                {"colour": "green", "class": "square", "position": "right"}]}
        found = {"background": "blue", "shapes": [{"colour": "green", "class": "square", "position": "right"},
                                                  {"colour": "red", "class": "triangle", "position": "top-left"}]}
        r = E.score_one(exp, found)
        self.assertTrue(r["background"] and r["count"])
        self.assertFalse(r["exact"])
        self.assertEqual(r["shapes"][0], {"colour": True, "class": False, "position": True})
        self.assertEqual(r["shapes"][1], {"colour": True, "class": True, "position": True})
        missing = E.score_one(exp, {"background": "red", "shapes": []})
        self.assertFalse(missing["background"] or missing["count"])
        self.assertEqual(E.aggregate([r, missing])["colour"], 50.0)

    def test_eval_set_is_held_out_and_stable(self):
        a, b = E.eval_set(10, 8), E.eval_set(10, 8)
        self.assertEqual(a, b)
        self.assertEqual(sum(it["kind"] == "edit" for it in a), 8)
        self.assertEqual({it["edit"] for it in a if it["kind"] == "edit"}, set(D.EDIT_KINDS))
        self.assertTrue(all(it["seed"] >= E.EVAL_NOISE_SEED for it in a))

    def test_cli_prompts_analyze_score(self):
        with tempfile.TemporaryDirectory() as d:
            py = [sys.executable, "-m", "flux2_tools.demo_eval"]
            subprocess.run(py + ["prompts", "--t2i", "4", "--edits", "4", "--out", d], cwd=ROOT, check=True,
                           capture_output=True)
            with open(os.path.join(d, "expected.json")) as f:
                items = json.load(f)["items"]
            # "generate" perfect results: the rendered target scenes
            for it in items:
                scene = E.scene_from_json(it["target"] if it["kind"] == "edit" else it["scene"])
                E.save_png(D.render(scene), os.path.join(d, it["file"]))
            out = subprocess.run(py + ["analyze", os.path.join(d, items[0]["file"])], cwd=ROOT, check=True,
                                 capture_output=True, text=True).stdout
            self.assertEqual(json.loads(out)["background"], items[0]["expected"]["background"])
            res = subprocess.run(py + ["score", "--images", d, "--expected", os.path.join(d, "expected.json"),
                                       "--check"], cwd=ROOT, capture_output=True, text=True)
            self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
            scores = json.loads(res.stdout)
            self.assertEqual(scores["t2i"]["exact"], 100.0)
            self.assertEqual(scores["edit"]["success"], 100.0)

    def test_reads_decoder_output_npy(self):
        s = D.Scene("green", (D.Shape("triangle", "yellow", "large", "bottom"),))
        f = D.to_tensor_array(D.render(s))[None]  # [1,3,H,W] in [-1,1], like the reference pipeline's --out
        self.assertEqual(E.analyze(E.to_uint8(f)), s.describe())


@unittest.skipUnless(os.path.exists(os.path.join(DEMO, "model.json")), "packages/demo not built")
class DemoModelTest(unittest.TestCase):
    """A slice of the held-out benchmark through the reference pipeline (the full 100 + 50:
    `python3 -m flux2_tools.demo_eval bench --package packages/demo --out DIR`)."""

    N_T2I = int(os.environ.get("DEMO_T2I", "24"))
    N_EDIT = int(os.environ.get("DEMO_EDITS", "12"))

    MAX_PACKAGE_BYTES = 20_000_000  # issue 5: the committed package is at most 20 MB

    def test_package_fits_its_size_limit(self):
        size = sum(os.path.getsize(os.path.join(DEMO, f)) for f in os.listdir(DEMO)
                   if os.path.isfile(os.path.join(DEMO, f)))
        self.assertLessEqual(size, self.MAX_PACKAGE_BYTES, f"packages/demo is {size} bytes")

    def test_red_circle_on_blue(self):
        import torch
        from flux2_tools import reference as R
        torch.set_grad_enabled(False)
        pkg = R.Package(DEMO)
        d = pkg.manifest["defaults"]
        img = R.generate(pkg, "a red circle on a blue background", 128, 128, d["steps"], d["guidance"],
                         R.seed_noise(5, 128, 128))
        found = E.analyze(E.to_uint8(img.numpy()))
        self.assertEqual(found, {"background": "blue",
                                 "shapes": [{"colour": "red", "class": "circle", "position": "centre"}]})

    def test_held_out_scores(self):
        with tempfile.TemporaryDirectory() as d:
            res = E.bench(DEMO, d, self.N_T2I, self.N_EDIT)
        summ = E.summary(res)
        print(f"\ndemo model on {self.N_T2I} held-out prompts and {self.N_EDIT} edits: {json.dumps(summ)}")
        t = summ["t2i"]
        # floors of the committed package on a small slice (a generation that broke would miss them); the
        # issue's targets and the full benchmark are in packages/demo/README.md
        for k, v in {"background": 90.0, "colour": 75.0, "position": 80.0, "count": 75.0}.items():
            self.assertGreaterEqual(t[k], v, k)

if __name__ == "__main__":
    unittest.main()
