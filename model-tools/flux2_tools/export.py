"""Build a model package folder (docs/model-package.md).

From random weights at a named size (run from model-tools/):

    /usr/bin/python3 -m flux2_tools.export --preset tiny --out packages/tiny
    /usr/bin/python3 -m flux2_tools.export --preset tiny --variant klein --text-encoder-arch qwen3 \
        --name tiny-klein --out packages/tiny-klein

From real checkpoints (BFL single file or diffusers folder; ae.safetensors or diffusers vae/; a HF text-encoder
folder with config.json, *.safetensors and tokenizer.json):

    /usr/bin/python3 -m flux2_tools.export --transformer flux-2-klein-4b.safetensors --vae ae.safetensors \
        --text-encoder Qwen3-4B/ --variant klein --dtype bfloat16 --name klein-4b --out /models/klein-4b

The same seed, preset and torch version give the same random weights (torch's CPU generator)."""
import argparse
import copy
import json
import os
import shutil
import sys
from dataclasses import asdict
from typing import Dict, List, Optional, Tuple, Union

import torch
from torch import nn

from . import autoencoder as ae_mod
from . import llm as llm_mod
from . import text_encoder as te_mod
from . import transformer as tr_mod
from .package import GRAPH_FILES, write_checksums
from .tokenizer import CHAT_SPECIAL, chat_vocab, default_vocab, write_tokenizer

PRESETS: Dict[str, dict] = {
    "tiny": {
        "transformer": dict(hidden_size=64, num_heads=2, head_dim=32, axes_dim=[8, 8, 8, 8], depth_double=1,
                            depth_single=2, in_channels=128, context_dim=96, mlp_ratio=3.0, rope_theta=2000),
        "text_encoder": dict(hidden_size=32, num_layers=3, num_heads=2, mlp_ratio=4.0, max_length=512,
                             hidden_layers=[1, 2, 3]),
        # LLM-style encoder (--text-encoder-arch qwen3|mistral): 4 decoder layers, the graph stops at layer 3
        "llm": dict(hidden_size=32, intermediate_size=64, num_hidden_layers=4, num_attention_heads=2,
                    num_key_value_heads=1, head_dim=16, hidden_layers=[1, 2, 3]),
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
        "llm": dict(hidden_size=128, intermediate_size=256, num_hidden_layers=4, num_attention_heads=4,
                    num_key_value_heads=2, head_dim=32, hidden_layers=[1, 2, 3]),
        "vae": dict(ch=32, ch_mult=[1, 2, 4, 4], num_res_blocks=1, norm_groups=8),
        "width": 256,
        "height": 256,
    },
}

# (steps, guidance) defaults of random-weight packages (kept small for tests; klein-base keeps the real 50 steps)
VARIANT_DEFAULTS = {"dev": (4, 4.0), "klein": (4, 1.0), "klein-base": (50, 4.0)}
# defaults written for real checkpoints (spec section 1)
REAL_DEFAULTS = {"dev": (50, 4.0), "klein": (4, 1.0), "klein-base": (50, 4.0)}
TEXT_ENCODER_ARCHS = ["standin", "qwen3", "mistral"]
PADDING_SIDE = {"qwen3": "right", "mistral": "left"}


class Models:
    def __init__(self, transformer: tr_mod.Flux2Transformer, text_encoder: nn.Module,
                 autoencoder: ae_mod.AutoEncoder, manifest: dict, vocab: Optional[Dict[str, int]],
                 tokenizer_special: Optional[List[str]] = None, tokenizer_file: Optional[str] = None):
        self.transformer = transformer
        self.text_encoder = text_encoder
        self.autoencoder = autoencoder
        self.manifest = manifest
        self.vocab = vocab  # WordLevel vocab written as tokenizer.json (random packages)
        self.tokenizer_special = list(tokenizer_special or [])
        self.tokenizer_file = tokenizer_file  # copied verbatim (real packages)


def llm_manifest(cfg: llm_mod.LLMConfig, max_length: int, pad_token_id: int) -> dict:
    """model.json `text_encoder` section of an LLM-style encoder (fields documented in docs/model-package.md)."""
    return {
        "architecture": cfg.kind,
        "max_length": max_length,
        "hidden_layers": list(cfg.hidden_layers),
        "prompt_template": llm_mod.prompt_template(cfg.kind),
        "prompt_remove": ["[IMG]"] if cfg.kind == "mistral" else [],
        "padding_side": PADDING_SIDE[cfg.kind],
        "add_special_tokens": False,
        "pad_token_id": pad_token_id,
        "output_dim": cfg.output_dim,
        "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.hidden_size,
        "num_layers": cfg.num_hidden_layers,
        "layers_in_graph": cfg.depth,
        "num_heads": cfg.num_attention_heads,
        "num_kv_heads": cfg.num_key_value_heads,
        "head_dim": cfg.head_dim,
        "rope_theta": cfg.rope_theta,
    }


def vae_manifest(vcfg: ae_mod.VAEConfig) -> dict:
    return {"z_channels": vcfg.z_channels, "downscale": vcfg.downscale, "patch": vcfg.patch,
            "ch": vcfg.ch, "ch_mult": list(vcfg.ch_mult), "num_res_blocks": vcfg.num_res_blocks,
            "norm_groups": vcfg.norm_groups}



def standin_text_encoder_manifest(ecfg: "te_mod.TextEncoderConfig") -> dict:
    """model.json's text_encoder entry for the word-level stand-in encoder (prompt used as it is, pad id 0)."""
    return {
        "max_length": ecfg.max_length,
        "hidden_layers": list(ecfg.hidden_layers),
        "prompt_template": "{prompt}",
        "pad_token_id": 0,
        "output_dim": ecfg.output_dim,
        "vocab_size": ecfg.vocab_size,
        "hidden_size": ecfg.hidden_size,
        "num_layers": ecfg.num_layers,
        "num_heads": ecfg.num_heads,
    }

def build_random(preset: str = "tiny", variant: str = "dev", seed: int = 0, name: str = None,
                 text_encoder_arch: str = "standin") -> Models:
    """Eager float32 modules with deterministic random weights, and the matching model.json dict.

    text_encoder_arch "standin" is the small WordLevel-era encoder of packages/tiny; "qwen3" / "mistral" build a
    tiny LLM of that architecture (llm.py) with the real chat template, padding side and template tokens."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset}; known: {sorted(PRESETS)}")
    if variant not in VARIANT_DEFAULTS:
        raise ValueError(f"unknown variant {variant}")
    if text_encoder_arch not in TEXT_ENCODER_ARCHS:
        raise ValueError(f"unknown text encoder architecture {text_encoder_arch}")
    p = PRESETS[preset]
    tcfg = tr_mod.TransformerConfig(**p["transformer"], guidance_embed=(variant == "dev"))
    vcfg = ae_mod.VAEConfig(**p["vae"])
    special: List[str] = []
    if text_encoder_arch == "standin":
        vocab = default_vocab()
        ecfg = te_mod.TextEncoderConfig(vocab_size=len(vocab), **p["text_encoder"])
        text_encoder: nn.Module = te_mod.TextEncoder(ecfg).eval()
        te_mod.init_random_(text_encoder, torch.Generator().manual_seed(seed + 1))
        te_json = standin_text_encoder_manifest(ecfg)
    else:
        vocab = chat_vocab(text_encoder_arch)
        special = CHAT_SPECIAL[text_encoder_arch]
        lcfg = llm_mod.LLMConfig(kind=text_encoder_arch, vocab_size=len(vocab), **p["llm"])
        text_encoder = llm_mod.LLMTextEncoder(lcfg).eval()
        llm_mod.init_random_(text_encoder, torch.Generator().manual_seed(seed + 1))
        te_json = llm_manifest(lcfg, 512, 0)
    if te_json["output_dim"] != tcfg.context_dim:
        raise ValueError("text encoder output dim must equal transformer context_dim")

    transformer = tr_mod.Flux2Transformer(tcfg).eval()
    tr_mod.init_random_(transformer, torch.Generator().manual_seed(seed))
    autoencoder = ae_mod.AutoEncoder(vcfg).eval()
    ae_mod.init_random_(autoencoder, torch.Generator().manual_seed(seed + 2))

    steps, guidance = VARIANT_DEFAULTS[variant]
    source = {"weights": "random", "preset": preset, "seed": seed}
    if text_encoder_arch != "standin":
        source["text_encoder_arch"] = text_encoder_arch
    source["torch"] = torch.__version__
    manifest = {
        "format": 1,
        "name": name or preset,
        "variant": variant,
        "dtype": "float32",
        "transformer": tcfg.to_json(),
        "text_encoder": te_json,
        "vae": vae_manifest(vcfg),
        "defaults": {"steps": steps, "guidance": guidance, "width": p["width"], "height": p["height"]},
        "source": source,
    }
    return Models(transformer, text_encoder, autoencoder, manifest, vocab, special)


def graph_modules(models: Models, dtype: torch.dtype = torch.float32, copy_modules: bool = True
                  ) -> Dict[str, nn.Module]:
    """The four package graphs as eager modules (weights cast to dtype; I/O stays float32). copy_modules=False
    casts the given modules in place (real checkpoints: no second copy in memory)."""
    cp = copy.deepcopy if copy_modules else (lambda m: m)
    tr = cp(models.transformer).to(dtype).eval()
    te = cp(models.text_encoder).to(dtype).eval()
    ae = cp(models.autoencoder)
    ae.encoder.to(dtype)
    ae.decoder.to(dtype)  # the BatchNorm stats stay float32
    ae.eval()
    return {
        "text_encoder.pt": te,
        "transformer.pt": tr,
        "vae_encoder.pt": ae_mod.VAEEncoderGraph(ae).eval(),
        "vae_decoder.pt": ae_mod.VAEDecoderGraph(ae).eval(),
    }


def script_graphs(models: Models, dtype: torch.dtype = torch.float32, copy_modules: bool = True
                  ) -> Dict[str, torch.jit.ScriptModule]:
    return {k: torch.jit.script(m) for k, m in graph_modules(models, dtype, copy_modules).items()}


def write_package(models: Models, out: str, dtype: str = "float32", copy_modules: bool = True) -> None:
    tdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[dtype]
    os.makedirs(out, exist_ok=True)
    manifest = dict(models.manifest)
    manifest["dtype"] = dtype
    with open(os.path.join(out, "model.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    te = manifest["text_encoder"]
    if models.tokenizer_file:
        shutil.copyfile(models.tokenizer_file, os.path.join(out, "tokenizer.json"))
    elif models.tokenizer_special or "padding_side" in te:
        write_tokenizer(os.path.join(out, "tokenizer.json"), models.vocab, te["max_length"],
                        models.tokenizer_special, te.get("padding_side", "right"))
    else:
        write_tokenizer(os.path.join(out, "tokenizer.json"), models.vocab, te["max_length"])
    for name, module in graph_modules(models, tdtype, copy_modules).items():
        torch.jit.save(torch.jit.script(module), os.path.join(out, name))
    write_checksums(out)


# ---------------------------------------------------------------------------------------------------------------
# real checkpoints

def _pad_token_id(te_dir: str, tokenizer_file: str) -> int:
    """pad_token of tokenizer_config.json looked up in tokenizer.json (added tokens, then the model vocab);
    else config.json's pad_token_id; else 0 (a warning)."""
    with open(tokenizer_file, encoding="utf-8") as f:
        tok = json.load(f)
    pad = None
    for d in (te_dir, os.path.dirname(tokenizer_file)):
        tc = os.path.join(d, "tokenizer_config.json")
        if os.path.exists(tc):
            with open(tc, encoding="utf-8") as f:
                pad = json.load(f).get("pad_token")
            break
    if isinstance(pad, dict):
        pad = pad.get("content")
    if pad:
        for t in tok.get("added_tokens", []):
            if t.get("content") == pad:
                return int(t["id"])
        vocab = (tok.get("model") or {}).get("vocab")
        if isinstance(vocab, dict) and pad in vocab:
            return int(vocab[pad])
    cfg = llm_mod.read_hf_config(te_dir)
    for c in (cfg, cfg.get("text_config") or {}):
        if c.get("pad_token_id") is not None:
            return int(c["pad_token_id"])
    print("warning: no pad token found; using id 0", file=sys.stderr)
    return 0


def _find_tokenizer(te_dir: str, explicit: Optional[str]) -> str:
    cands = [explicit] if explicit else [os.path.join(te_dir, "tokenizer.json"),
                                         os.path.join(os.path.dirname(os.path.abspath(te_dir)), "tokenizer",
                                                      "tokenizer.json")]
    for c in cands:
        if c and os.path.isdir(c):
            c = os.path.join(c, "tokenizer.json")
        if c and os.path.exists(c):
            return c
    raise FileNotFoundError(f"no tokenizer.json (looked at {cands}); pass --tokenizer")


def build_from_checkpoints(transformer: str, vae: str, text_encoder: str, variant: Optional[str] = None,
                           tokenizer: Optional[str] = None, hidden_layers: Optional[List[int]] = None,
                           dtype: str = "float32", name: Optional[str] = None, vae_norm_groups: Optional[int] = None,
                           width: int = 1024, height: int = 1024) -> Models:
    """Loads the three components (tensor by tensor, transformer and text encoder directly in `dtype`)."""
    from . import checkpoint as ck_mod
    tdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[dtype]
    tr, tcfg, tfmt = ck_mod.load_transformer(transformer, tdtype)
    if variant is None:
        variant = "dev" if tcfg.guidance_embed else "klein"
    if variant not in REAL_DEFAULTS:
        raise ValueError(f"unknown variant {variant}")
    if tcfg.guidance_embed != (variant == "dev"):
        raise ValueError(f"variant {variant} does not match the checkpoint (guidance embedding: "
                         f"{tcfg.guidance_embed})")
    ae, vcfg, vfmt = ck_mod.load_vae(vae, vae_norm_groups)
    te = llm_mod.load_hf_text_encoder(text_encoder, hidden_layers, tdtype)
    lcfg = llm_mod.LLMConfig.from_hf(llm_mod.read_hf_config(text_encoder), hidden_layers)
    if lcfg.output_dim != tcfg.context_dim:
        raise ValueError(f"text encoder output {lcfg.output_dim} != transformer context dim {tcfg.context_dim}")
    tok = _find_tokenizer(text_encoder, tokenizer)
    steps, guidance = REAL_DEFAULTS[variant]
    manifest = {
        "format": 1,
        "name": name or os.path.splitext(os.path.basename(os.path.normpath(transformer)))[0],
        "variant": variant,
        "dtype": dtype,
        "transformer": tcfg.to_json(),
        "text_encoder": llm_manifest(lcfg, 512, _pad_token_id(text_encoder, tok)),
        "vae": vae_manifest(vcfg),
        "defaults": {"steps": steps, "guidance": guidance, "width": width, "height": height},
        "source": {"weights": "checkpoint", "transformer": os.path.basename(os.path.normpath(transformer)),
                   "transformer_format": tfmt, "vae": os.path.basename(os.path.normpath(vae)), "vae_format": vfmt,
                   "text_encoder": os.path.basename(os.path.normpath(text_encoder)), "torch": torch.__version__},
    }
    return Models(tr, te, ae, manifest, None, tokenizer_file=tok)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m flux2_tools.export", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="tiny", choices=sorted(PRESETS), help="random weights at this size")
    ap.add_argument("--variant", default=None, choices=sorted(VARIANT_DEFAULTS),
                    help="default: dev for --preset; for checkpoints dev if it has a guidance embedding, else klein "
                         "(pass klein-base for a base checkpoint: the shapes cannot tell)")
    ap.add_argument("--text-encoder-arch", default="standin", choices=TEXT_ENCODER_ARCHS,
                    help="--preset only: the text encoder architecture of the random package")
    ap.add_argument("--transformer", default=None, help="BFL .safetensors or diffusers folder (root or transformer/)")
    ap.add_argument("--vae", default=None, help="ae.safetensors or diffusers folder (root or vae/)")
    ap.add_argument("--text-encoder", default=None, help="HF folder: config.json, *.safetensors, tokenizer.json")
    ap.add_argument("--tokenizer", default=None, help="tokenizer.json (default: in --text-encoder or ../tokenizer/)")
    ap.add_argument("--hidden-layers", default=None,
                    help="comma-separated hidden_states indices (default mistral 10,20,30; qwen3 9,18,27)")
    ap.add_argument("--vae-norm-groups", type=int, default=None, help="GroupNorm groups of the VAE (default 32)")
    ap.add_argument("--width", type=int, default=1024, help="checkpoints: defaults.width")
    ap.add_argument("--height", type=int, default=1024, help="checkpoints: defaults.height")
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
    real = [args.transformer, args.vae, args.text_encoder]
    if any(real):
        if not all(real):
            ap.error("checkpoint export needs --transformer, --vae and --text-encoder")
        layers = [int(x) for x in args.hidden_layers.split(",")] if args.hidden_layers else None
        models = build_from_checkpoints(args.transformer, args.vae, args.text_encoder, args.variant,
                                        args.tokenizer, layers, args.dtype, args.name, args.vae_norm_groups,
                                        args.width, args.height)
        write_package(models, args.out, args.dtype, copy_modules=False)
    else:
        models = build_random(args.preset, args.variant or "dev", args.seed, args.name, args.text_encoder_arch)
        write_package(models, args.out, args.dtype)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
