"""Runs several flux2_tools.reference cases in one Python process (torch import and graph loading once per
package), for inference-service's ReferenceParityTest.

    PYTHONPATH=model-tools /usr/bin/python3 reference_cases.py cases.json

cases.json: a list of {"package", "prompt", "width" (or null), "height" (or null), "steps", "guidance", "seed",
"references": [paths], "out"}. Each case does exactly what `python3 -m flux2_tools.reference` does with the same
arguments (--seed, --reference ..., --width/--height only when given), and writes the decoded float32 [1,3,H,W]
to "out". A case with "preprocess_only": true writes the preprocessed reference tensors instead (out_0.npy, ...).
"""
import json
import sys
import time

import numpy as np
import torch

from flux2_tools import reference as ref


def main(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)
    packages = {}
    for case in cases:
        start = time.time()
        paths = case.get("references", [])
        refs = [ref.load_reference(p, len(paths)) for p in paths]
        if case.get("preprocess_only"):
            for k, r in enumerate(refs):
                np.save(case["out"] + "_" + str(k) + ".npy", r.numpy().astype(np.float32, copy=False))
            continue
        folder = case["package"]
        if folder not in packages:
            packages[folder] = ref.Package(folder)
        pkg = packages[folder]
        d = pkg.manifest["defaults"]
        if refs and case.get("width") is None and case.get("height") is None:
            width, height = int(refs[-1].shape[3]), int(refs[-1].shape[2])
        else:
            width = case.get("width") or d["width"]
            height = case.get("height") or d["height"]
        width, height = width // 16 * 16, height // 16 * 16
        steps = case.get("steps") or d["steps"]
        guidance = d["guidance"] if case.get("guidance") is None else case["guidance"]
        noise = ref.seed_noise(int(case["seed"]), height, width)
        image = ref.generate(pkg, case["prompt"], width, height, steps, guidance, noise, None, refs)
        np.save(case["out"], image.numpy().astype(np.float32, copy=False))
        print(f"{pkg.manifest['variant']} {width}x{height} refs={len(refs)} steps={steps}: "
              f"{time.time() - start:.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    torch.set_num_threads(2)
    sys.exit(main(sys.argv[1]))
