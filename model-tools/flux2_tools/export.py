"""Build a model package folder (docs/model-package.md) from random weights at a named size.

    /usr/bin/python3 -m flux2_tools.export --preset tiny --out packages/tiny      (run from model-tools/)

The same seed, preset and torch version give the same weights (torch's CPU generator)."""
import argparse
import copy
import json
import os
import sys
from dataclasses import asdict
from typing import Dict, Tuple

import torch
from torch import nn

from . import autoencoder as ae_mod
from . import text_encoder as te_mod
from . import transformer as tr_mod
from .package import GRAPH_FILES, write_checksums
from .tokenizer import default_vocab, write_tokenizer

PRESETS: Dict[str, dict] = {
    "tiny": {
        "transformer": dict(hidden_size=64, num_heads=2, head_dim=32, axes_dim=[8, 8, 8, 8], depth_double=1,
                            depth_single=2, in_channels=128, context_dim=96, mlp_ratio=3.0, rope_theta=2000),
        "text_encoder": dict(hidden_size=32, num_layers=3, num_heads=2, mlp_ratio=4.0, max_length=512,
                             hidden_layers=[1, 2, 3]),
        "vae": dict(ch=8, ch_mult=[1, 2, 4, 4], num_res_blocks=1, norm_groups=4),
        "width": 128,
        "height": 128,
    },
    # one step up, for timing experiments; not committed
    "small": {
        "transformer": dict(hidden_size=256, num_heads=4, head_dim=64, axes_dim=[16, 16, 16, 16], depth_double=2,
                            depth_single=4, in_channels=128, context_dim=384, mlp_ratio=3.0, rope_theta=2000),
        "text_encoder": dict(hidden_size=128, num_layers=3, num_heads=4, mlp_ratio=4.0, max_length=512,
                             hidden_layers=[1, 2, 3]),
        "vae": dict(ch=32, ch_mult=[1, 2, 4, 4], num_res_blocks=1, norm_groups=8),
        "width": 256,
        "height": 256,
    },
}

VARIANT_DEFAULTS = {"dev": (4, 4.0), "klein": (4, 1.0), "klein-base": (8, 4.0)}


class Models:
    def __init__(self, transformer: tr_mod.Flux2Transformer, text_encoder: te_mod.TextEncoder,
                 autoencoder: ae_mod.AutoEncoder, manifest: dict, vocab: Dict[str, int]):
        self.transformer = transformer
        self.text_encoder = text_encoder
        self.autoencoder = autoencoder
        self.manifest = manifest
        self.vocab = vocab


def build_random(preset: str = "tiny", variant: str = "dev", seed: int = 0, name: str = None) -> Models:
    """Eager float32 modules with deterministic random weights, and the matching model.json dict."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset}; known: {sorted(PRESETS)}")
    if variant not in VARIANT_DEFAULTS:
        raise ValueError(f"unknown variant {variant}")
    p = PRESETS[preset]
    vocab = default_vocab()
    tcfg = tr_mod.TransformerConfig(**p["transformer"], guidance_embed=(variant == "dev"))
    ecfg = te_mod.TextEncoderConfig(vocab_size=len(vocab), **p["text_encoder"])
    if ecfg.output_dim != tcfg.context_dim:
        raise ValueError("text encoder output dim must equal transformer context_dim")
    vcfg = ae_mod.VAEConfig(**p["vae"])

    transformer = tr_mod.Flux2Transformer(tcfg).eval()
    tr_mod.init_random_(transformer, torch.Generator().manual_seed(seed))
    text_encoder = te_mod.TextEncoder(ecfg).eval()
    te_mod.init_random_(text_encoder, torch.Generator().manual_seed(seed + 1))
    autoencoder = ae_mod.AutoEncoder(vcfg).eval()
    ae_mod.init_random_(autoencoder, torch.Generator().manual_seed(seed + 2))

    steps, guidance = VARIANT_DEFAULTS[variant]
    manifest = {
        "format": 1,
        "name": name or preset,
        "variant": variant,
        "dtype": "float32",
        "transformer": tcfg.to_json(),
        "text_encoder": {
            "max_length": ecfg.max_length,
            "hidden_layers": list(ecfg.hidden_layers),
            "prompt_template": "{prompt}",
            "pad_token_id": 0,
            "output_dim": ecfg.output_dim,
            "vocab_size": ecfg.vocab_size,
            "hidden_size": ecfg.hidden_size,
            "num_layers": ecfg.num_layers,
            "num_heads": ecfg.num_heads,
        },
        "vae": {"z_channels": vcfg.z_channels, "downscale": vcfg.downscale, "patch": vcfg.patch,
                "ch": vcfg.ch, "ch_mult": list(vcfg.ch_mult), "num_res_blocks": vcfg.num_res_blocks,
                "norm_groups": vcfg.norm_groups},
        "defaults": {"steps": steps, "guidance": guidance, "width": p["width"], "height": p["height"]},
        "source": {"weights": "random", "preset": preset, "seed": seed, "torch": torch.__version__},
    }
    return Models(transformer, text_encoder, autoencoder, manifest, vocab)


def graph_modules(models: Models, dtype: torch.dtype = torch.float32) -> Dict[str, nn.Module]:
    """The four package graphs as eager modules (weights cast to dtype; I/O stays float32)."""
    tr = copy.deepcopy(models.transformer).to(dtype).eval()
    te = copy.deepcopy(models.text_encoder).to(dtype).eval()
    ae = copy.deepcopy(models.autoencoder)
    ae.encoder.to(dtype)
    ae.decoder.to(dtype)  # the BatchNorm stats stay float32
    ae.eval()
    return {
        "text_encoder.pt": te,
        "transformer.pt": tr,
        "vae_encoder.pt": ae_mod.VAEEncoderGraph(ae).eval(),
        "vae_decoder.pt": ae_mod.VAEDecoderGraph(ae).eval(),
    }


def script_graphs(models: Models, dtype: torch.dtype = torch.float32) -> Dict[str, torch.jit.ScriptModule]:
    return {k: torch.jit.script(m) for k, m in graph_modules(models, dtype).items()}


def write_package(models: Models, out: str, dtype: str = "float32") -> None:
    tdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[dtype]
    os.makedirs(out, exist_ok=True)
    manifest = dict(models.manifest)
    manifest["dtype"] = dtype
    with open(os.path.join(out, "model.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    write_tokenizer(os.path.join(out, "tokenizer.json"), models.vocab, manifest["text_encoder"]["max_length"])
    graphs = script_graphs(models, tdtype)
    for name in GRAPH_FILES:
        torch.jit.save(graphs[name], os.path.join(out, name))
    write_checksums(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m flux2_tools.export", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="tiny", choices=sorted(PRESETS))
    ap.add_argument("--variant", default="dev", choices=sorted(VARIANT_DEFAULTS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--name", default=None, help="package name in model.json (default: the preset)")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"],
                    help="weight/compute dtype inside the graphs; graph inputs and outputs stay float32")
    ap.add_argument("--out", required=True, help="output folder")
    args = ap.parse_args(argv)
    if os.environ.get("PYTHONHASHSEED") != "0" and argv is None:
        # TorchScript writes some constants in set order; a fixed hash seed makes the .pt files byte-identical
        # between runs (same torch, same checkout path: the debug tables record source file paths).
        env = dict(os.environ, PYTHONHASHSEED="0")
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        os.execve(sys.executable, [sys.executable, "-m", "flux2_tools.export"] + sys.argv[1:], env)
    torch.set_grad_enabled(False)
    models = build_random(args.preset, args.variant, args.seed, args.name)
    write_package(models, args.out, args.dtype)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
