"""Loading real checkpoints into the model-tools modules (spec sections 2.2 and 3), tensor by tensor.

Transformer:
- BFL single file (`flux2-dev.safetensors`, `flux-2-klein-4b.safetensors`): key names are our module names
  (a leading `model.diffusion_model.` or `diffusion_model.` is stripped).
- diffusers folder (`transformer/diffusion_pytorch_model*.safetensors`, with or without the index json; the model
  root or the `transformer/` folder may be given): names mapped per section 2.2, q/k/v concatenated (split or
  already fused `to_qkv` / `to_added_qkv`), `.weight` of the QK norms -> `.scale`, and the final `norm_out.linear`
  rows un-swapped (diffusers stores [scale; shift], BFL [shift; scale]).
- The config is inferred from tensor shapes: hidden size, context dim, head_dim (QK-norm scale length), heads,
  block counts, MLP ratio, guidance embedding; axes_dim = 4 x head_dim/4 and rope_theta 2000 (FLUX.2's values;
  a diffusers config.json's `axes_dims_rope` / `rope_theta` override them).

VAE:
- BFL `ae.safetensors`: our module names; `bn.num_batches_tracked` is not in the file and is filled in.
- diffusers `vae/` (AutoencoderKL-style names: down_blocks/resnets/downsamplers, mid_block.attentions.0.to_q with
  2-D weights, conv_norm_out, top-level quant_conv/post_quant_conv, up_blocks.k = level 3-k). The mapping follows
  diffusers' AutoencoderKL conventions and `bn.running_*`; it is tested only against our own writer (UNVERIFIED
  against a real FLUX.2 `vae/` folder). norm_groups cannot be inferred from shapes (32 for the real VAE; a
  diffusers config.json's `norm_num_groups` is used when present).
"""
import json
import os
import re
from typing import Callable, Dict, List, Optional, Tuple

import torch
from torch import Tensor

from . import autoencoder as ae_mod
from . import transformer as tr_mod
from .llm import assign_parameters
from .safetensors_io import ShardedCheckpoint, open_checkpoint, save_file

Getter = Callable[[], Tensor]


# ---------------------------------------------------------------------------------------------------------------
# transformer

_BFL_STRIP = ["model.diffusion_model.", "diffusion_model."]


def _swap_halves(t: Tensor) -> Tensor:
    a, b = t.chunk(2, dim=0)
    return torch.cat([b, a], dim=0)


def _diffusers_to_bfl(ck: ShardedCheckpoint, keep_bf16: bool) -> Dict[str, Getter]:
    keys = set(ck.keys())
    used: set = set()
    out: Dict[str, Getter] = {}

    def one(dk: str, fn: Optional[Callable[[Tensor], Tensor]] = None) -> Getter:
        used.add(dk)
        return lambda: fn(ck.get(dk, keep_bf16)) if fn else ck.get(dk, keep_bf16)

    def cat(dks: List[str]) -> Getter:
        used.update(dks)
        return lambda: torch.cat([ck.get(k, keep_bf16) for k in dks], dim=0)

    simple = {
        "x_embedder.weight": "img_in.weight",
        "context_embedder.weight": "txt_in.weight",
        "time_guidance_embed.timestep_embedder.linear_1.weight": "time_in.in_layer.weight",
        "time_guidance_embed.timestep_embedder.linear_2.weight": "time_in.out_layer.weight",
        "time_guidance_embed.guidance_embedder.linear_1.weight": "guidance_in.in_layer.weight",
        "time_guidance_embed.guidance_embedder.linear_2.weight": "guidance_in.out_layer.weight",
        "double_stream_modulation_img.linear.weight": "double_stream_modulation_img.lin.weight",
        "double_stream_modulation_txt.linear.weight": "double_stream_modulation_txt.lin.weight",
        "single_stream_modulation.linear.weight": "single_stream_modulation.lin.weight",
        "proj_out.weight": "final_layer.linear.weight",
    }
    for dk, bk in simple.items():
        if dk in keys:
            out[bk] = one(dk)
    if "norm_out.linear.weight" in keys:
        out["final_layer.adaLN_modulation.1.weight"] = one("norm_out.linear.weight", _swap_halves)

    doubles = sorted({int(m.group(1)) for k in keys for m in [re.match(r"transformer_blocks\.(\d+)\.", k)] if m})
    for i in doubles:
        p = f"transformer_blocks.{i}."
        b = f"double_blocks.{i}."
        if p + "attn.to_qkv.weight" in keys:
            out[b + "img_attn.qkv.weight"] = one(p + "attn.to_qkv.weight")
        else:
            out[b + "img_attn.qkv.weight"] = cat([p + "attn.to_q.weight", p + "attn.to_k.weight",
                                                  p + "attn.to_v.weight"])
        if p + "attn.to_added_qkv.weight" in keys:
            out[b + "txt_attn.qkv.weight"] = one(p + "attn.to_added_qkv.weight")
        else:
            out[b + "txt_attn.qkv.weight"] = cat([p + "attn.add_q_proj.weight", p + "attn.add_k_proj.weight",
                                                  p + "attn.add_v_proj.weight"])
        for dk, bk in [("attn.norm_q.weight", "img_attn.norm.query_norm.scale"),
                       ("attn.norm_k.weight", "img_attn.norm.key_norm.scale"),
                       ("attn.norm_added_q.weight", "txt_attn.norm.query_norm.scale"),
                       ("attn.norm_added_k.weight", "txt_attn.norm.key_norm.scale"),
                       ("attn.to_out.0.weight", "img_attn.proj.weight"),
                       ("attn.to_add_out.weight", "txt_attn.proj.weight"),
                       ("ff.linear_in.weight", "img_mlp.0.weight"),
                       ("ff.linear_out.weight", "img_mlp.2.weight"),
                       ("ff_context.linear_in.weight", "txt_mlp.0.weight"),
                       ("ff_context.linear_out.weight", "txt_mlp.2.weight")]:
            out[b + bk] = one(p + dk)
    singles = sorted({int(m.group(1)) for k in keys
                      for m in [re.match(r"single_transformer_blocks\.(\d+)\.", k)] if m})
    for j in singles:
        p = f"single_transformer_blocks.{j}."
        b = f"single_blocks.{j}."
        for dk, bk in [("attn.to_qkv_mlp_proj.weight", "linear1.weight"), ("attn.to_out.weight", "linear2.weight"),
                       ("attn.norm_q.weight", "norm.query_norm.scale"),
                       ("attn.norm_k.weight", "norm.key_norm.scale")]:
            out[b + bk] = one(p + dk)
    missing = [k for k in used if k not in keys]
    if missing:
        raise KeyError(f"diffusers checkpoint lacks {sorted(missing)[:8]}")
    extra = sorted(keys - used)
    if extra:
        raise KeyError(f"diffusers checkpoint has tensors this loader does not know: {extra[:8]}")
    return out


def _bfl_getters(ck: ShardedCheckpoint, keep_bf16: bool) -> Tuple[Dict[str, Getter], Dict[str, List[int]]]:
    out: Dict[str, Getter] = {}
    shapes: Dict[str, List[int]] = {}
    for k in ck.keys():
        name = k
        for p in _BFL_STRIP:
            if name.startswith(p):
                name = name[len(p):]
        out[name] = (lambda kk: (lambda: ck.get(kk, keep_bf16)))(k)
        shapes[name] = ck.shape(k)
    return out, shapes


def infer_transformer_config(shapes: Dict[str, List[int]], overrides: Optional[dict] = None
                             ) -> tr_mod.TransformerConfig:
    d, in_ch = shapes["img_in.weight"]
    ctx_dim = shapes["txt_in.weight"][1]
    nd = len({int(m.group(1)) for k in shapes for m in [re.match(r"double_blocks\.(\d+)\.", k)] if m})
    ns = len({int(m.group(1)) for k in shapes for m in [re.match(r"single_blocks\.(\d+)\.", k)] if m})
    if nd:
        hd = shapes["double_blocks.0.img_attn.norm.query_norm.scale"][0]
        mlp_hidden = shapes["double_blocks.0.img_mlp.2.weight"][1]
    else:
        hd = shapes["single_blocks.0.norm.query_norm.scale"][0]
        mlp_hidden = shapes["single_blocks.0.linear2.weight"][1] - d
    if d % hd or hd % 8:
        raise ValueError(f"head_dim {hd} does not divide hidden {d} or is not a multiple of 8")
    cfg = dict(hidden_size=d, num_heads=d // hd, head_dim=hd, axes_dim=[hd // 4] * 4, depth_double=nd,
               depth_single=ns, in_channels=in_ch, context_dim=ctx_dim, mlp_ratio=mlp_hidden / d,
               rope_theta=2000, guidance_embed="guidance_in.in_layer.weight" in shapes)
    if overrides:
        cfg.update(overrides)
    tc = tr_mod.TransformerConfig(**cfg)
    if int(tc.hidden_size * tc.mlp_ratio) != mlp_hidden:
        raise ValueError(f"MLP hidden {mlp_hidden} is not int(hidden * ratio)")
    tc.validate()
    return tc


def _transformer_source(path: str) -> Tuple[ShardedCheckpoint, str, dict]:
    """-> (checkpoint, "bfl"|"diffusers", config overrides from a diffusers config.json)."""
    overrides: dict = {}
    if os.path.isdir(path):
        if os.path.isdir(os.path.join(path, "transformer")):
            path = os.path.join(path, "transformer")
        names = os.listdir(path)
        stem = "diffusion_pytorch_model" if any(n.startswith("diffusion_pytorch_model") for n in names) else None
        ck = ShardedCheckpoint.from_folder(path, stem)
        cj = os.path.join(path, "config.json")
        if os.path.exists(cj):
            with open(cj, encoding="utf-8") as f:
                c = json.load(f)
            if c.get("axes_dims_rope"):
                overrides["axes_dim"] = list(c["axes_dims_rope"])
            if c.get("rope_theta"):
                overrides["rope_theta"] = int(c["rope_theta"])
    else:
        ck = open_checkpoint(path)
    keys = set(ck.keys())
    if "x_embedder.weight" in keys:
        return ck, "diffusers", overrides
    if any(k.endswith("img_in.weight") for k in keys):
        return ck, "bfl", overrides
    raise ValueError(f"{path}: neither a BFL (img_in.weight) nor a diffusers (x_embedder.weight) transformer")


def load_transformer(path: str, dtype: torch.dtype = torch.float32
                     ) -> Tuple[tr_mod.Flux2Transformer, tr_mod.TransformerConfig, str]:
    """Builds the module on the meta device and assigns the checkpoint tensors one by one (cast to dtype)."""
    ck, fmt, overrides = _transformer_source(path)
    keep = dtype == torch.bfloat16
    if fmt == "diffusers":
        getters = _diffusers_to_bfl(ck, keep)
        shapes = _diffusers_shapes(ck, getters)
    else:
        getters, shapes = _bfl_getters(ck, keep)
    cfg = infer_transformer_config(shapes, overrides)
    with tr_mod.build_on(torch.device("meta")):
        model = tr_mod.Flux2Transformer(cfg)
    expected = {n for n, _ in model.named_parameters()}
    unknown = sorted(set(getters) - expected)
    if unknown:
        raise KeyError(f"checkpoint tensors with no place in the model: {unknown[:8]}")
    assign_parameters(model, {n: getters[n]().to(dtype) for n in sorted(expected)})
    return model.eval(), cfg, fmt


def _diffusers_shapes(ck: ShardedCheckpoint, getters: Dict[str, Getter]) -> Dict[str, List[int]]:
    """Shapes of the BFL tensors without reading data (only the few the config inference needs are exact)."""
    inv = {
        "img_in.weight": "x_embedder.weight", "txt_in.weight": "context_embedder.weight",
        "guidance_in.in_layer.weight": "time_guidance_embed.guidance_embedder.linear_1.weight",
        "double_blocks.0.img_attn.norm.query_norm.scale": "transformer_blocks.0.attn.norm_q.weight",
        "double_blocks.0.img_mlp.2.weight": "transformer_blocks.0.ff.linear_out.weight",
        "single_blocks.0.norm.query_norm.scale": "single_transformer_blocks.0.attn.norm_q.weight",
        "single_blocks.0.linear2.weight": "single_transformer_blocks.0.attn.to_out.weight",
    }
    shapes: Dict[str, List[int]] = {n: [] for n in getters}
    for b, d in inv.items():
        if b in getters and d in ck:
            shapes[b] = ck.shape(d)
    return shapes


def transformer_to_diffusers(sd: Dict[str, Tensor], fused_qkv: bool = False) -> Dict[str, Tensor]:
    """Tests: BFL-named state dict -> diffusers names (the converter's direction, with the adaLN swap)."""
    out: Dict[str, Tensor] = {}
    ren = {
        "img_in.weight": "x_embedder.weight", "txt_in.weight": "context_embedder.weight",
        "time_in.in_layer.weight": "time_guidance_embed.timestep_embedder.linear_1.weight",
        "time_in.out_layer.weight": "time_guidance_embed.timestep_embedder.linear_2.weight",
        "guidance_in.in_layer.weight": "time_guidance_embed.guidance_embedder.linear_1.weight",
        "guidance_in.out_layer.weight": "time_guidance_embed.guidance_embedder.linear_2.weight",
        "double_stream_modulation_img.lin.weight": "double_stream_modulation_img.linear.weight",
        "double_stream_modulation_txt.lin.weight": "double_stream_modulation_txt.linear.weight",
        "single_stream_modulation.lin.weight": "single_stream_modulation.linear.weight",
        "final_layer.linear.weight": "proj_out.weight",
    }
    blk = {"img_attn.norm.query_norm.scale": "attn.norm_q.weight", "img_attn.norm.key_norm.scale": "attn.norm_k.weight",
           "txt_attn.norm.query_norm.scale": "attn.norm_added_q.weight",
           "txt_attn.norm.key_norm.scale": "attn.norm_added_k.weight",
           "img_attn.proj.weight": "attn.to_out.0.weight", "txt_attn.proj.weight": "attn.to_add_out.weight",
           "img_mlp.0.weight": "ff.linear_in.weight", "img_mlp.2.weight": "ff.linear_out.weight",
           "txt_mlp.0.weight": "ff_context.linear_in.weight", "txt_mlp.2.weight": "ff_context.linear_out.weight"}
    sblk = {"linear1.weight": "attn.to_qkv_mlp_proj.weight", "linear2.weight": "attn.to_out.weight",
            "norm.query_norm.scale": "attn.norm_q.weight", "norm.key_norm.scale": "attn.norm_k.weight"}
    for k, v in sd.items():
        if k in ren:
            out[ren[k]] = v
        elif k == "final_layer.adaLN_modulation.1.weight":
            out["norm_out.linear.weight"] = _swap_halves(v)
        elif k.startswith("double_blocks."):
            _, i, rest = k.split(".", 2)
            p = f"transformer_blocks.{i}."
            if rest in ("img_attn.qkv.weight", "txt_attn.qkv.weight"):
                img = rest.startswith("img")
                if fused_qkv:
                    out[p + ("attn.to_qkv.weight" if img else "attn.to_added_qkv.weight")] = v
                else:
                    names = ["to_q", "to_k", "to_v"] if img else ["add_q_proj", "add_k_proj", "add_v_proj"]
                    for n, part in zip(names, v.chunk(3, dim=0)):
                        out[p + "attn." + n + ".weight"] = part.contiguous()
            else:
                out[p + blk[rest]] = v
        elif k.startswith("single_blocks."):
            _, j, rest = k.split(".", 2)
            out[f"single_transformer_blocks.{j}." + sblk[rest]] = v
        else:
            raise KeyError(k)
    return out


# ---------------------------------------------------------------------------------------------------------------
# VAE

def _vae_diffusers_to_bfl_name(k: str, levels: int) -> Tuple[str, bool]:
    """-> (BFL name, whether a 2-D attention weight must become a 1x1 conv)."""
    if k in ("quant_conv.weight", "quant_conv.bias"):
        return "encoder." + k, False
    if k in ("post_quant_conv.weight", "post_quant_conv.bias"):
        return "decoder." + k, False
    if k.startswith("bn."):
        return k, False
    side, rest = k.split(".", 1)
    rest = rest.replace("conv_norm_out.", "norm_out.")
    m = re.match(r"(down|up)_blocks\.(\d+)\.(resnets|downsamplers|upsamplers)\.(\d+)\.(.*)", rest)
    if m:
        kind, i, sub, j, tail = m.groups()
        lvl = int(i) if kind == "down" else levels - 1 - int(i)
        tail = tail.replace("conv_shortcut.", "nin_shortcut.")
        if sub == "resnets":
            return f"{side}.{kind}.{lvl}.block.{j}.{tail}", False
        return f"{side}.{kind}.{lvl}.{'downsample' if kind == 'down' else 'upsample'}.{tail}", False
    m = re.match(r"mid_block\.resnets\.(\d)\.(.*)", rest)
    if m:
        tail = m.group(2).replace("conv_shortcut.", "nin_shortcut.")
        return f"{side}.mid.block_{int(m.group(1)) + 1}.{tail}", False
    m = re.match(r"mid_block\.attentions\.0\.(group_norm|to_q|to_k|to_v|to_out\.0)\.(weight|bias)", rest)
    if m:
        n = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}[m.group(1)]
        return f"{side}.mid.attn_1.{n}.{m.group(2)}", m.group(1) != "group_norm" and m.group(2) == "weight"
    return f"{side}.{rest}", False


def _vae_bfl_to_diffusers_name(k: str, levels: int) -> str:
    if k.startswith("encoder.quant_conv."):
        return k[len("encoder."):]
    if k.startswith("decoder.post_quant_conv."):
        return k[len("decoder."):]
    if k.startswith("bn."):
        return k
    side, rest = k.split(".", 1)
    rest = rest.replace("nin_shortcut.", "conv_shortcut.")
    m = re.match(r"(down|up)\.(\d+)\.(block|downsample|upsample)\.(.*)", rest)
    if m:
        kind, lvl, sub, tail = m.groups()
        i = int(lvl) if kind == "down" else levels - 1 - int(lvl)
        if sub == "block":
            return f"{side}.{kind}_blocks.{i}.resnets.{tail}"
        return f"{side}.{kind}_blocks.{i}.{kind}samplers.0.{tail}"
    m = re.match(r"mid\.block_(\d)\.(.*)", rest)
    if m:
        return f"{side}.mid_block.resnets.{int(m.group(1)) - 1}.{m.group(2)}"
    m = re.match(r"mid\.attn_1\.(norm|q|k|v|proj_out)\.(.*)", rest)
    if m:
        n = {"norm": "group_norm", "q": "to_q", "k": "to_k", "v": "to_v", "proj_out": "to_out.0"}[m.group(1)]
        return f"{side}.mid_block.attentions.0.{n}.{m.group(2)}"
    if rest.startswith("norm_out."):
        return f"{side}.conv_norm_out." + rest[len("norm_out."):]
    return k


def vae_to_diffusers(sd: Dict[str, Tensor], levels: int) -> Dict[str, Tensor]:
    """Tests: BFL-named VAE state dict -> diffusers names (2-D attention weights)."""
    out: Dict[str, Tensor] = {}
    for k, v in sd.items():
        if k.endswith("num_batches_tracked"):
            continue
        dk = _vae_bfl_to_diffusers_name(k, levels)
        if ".attentions.0.to_" in dk and dk.endswith(".weight"):
            v = v.reshape(v.shape[0], v.shape[1])
        out[dk] = v
    return out


def infer_vae_config(shapes: Dict[str, List[int]], norm_groups: int = 32) -> ae_mod.VAEConfig:
    ch = shapes["encoder.conv_in.weight"][0]
    levels = len({int(m.group(1)) for k in shapes for m in [re.match(r"encoder\.down\.(\d+)\.", k)] if m})
    mult = [shapes[f"encoder.down.{i}.block.0.conv1.weight"][0] // ch for i in range(levels)]
    nrb = len({int(m.group(1)) for k in shapes for m in [re.match(r"encoder\.down\.0\.block\.(\d+)\.", k)] if m})
    return ae_mod.VAEConfig(ch=ch, ch_mult=mult, num_res_blocks=nrb, norm_groups=norm_groups,
                            downscale=2 ** (levels - 1))


def load_vae(path: str, norm_groups: Optional[int] = None) -> Tuple[ae_mod.AutoEncoder, ae_mod.VAEConfig, str]:
    """ae.safetensors (BFL) or a diffusers vae folder (or a model root containing `vae/`). Loaded in float32."""
    cfg_json: dict = {}
    if os.path.isdir(path):
        if os.path.isdir(os.path.join(path, "vae")):
            path = os.path.join(path, "vae")
        ck = ShardedCheckpoint.from_folder(path)
        cj = os.path.join(path, "config.json")
        if os.path.exists(cj):
            with open(cj, encoding="utf-8") as f:
                cfg_json = json.load(f)
    else:
        ck = open_checkpoint(path)
    keys = ck.keys()
    fmt = "diffusers" if any(".down_blocks." in k or ".up_blocks." in k for k in keys) else "bfl"
    if fmt == "diffusers":
        levels = len({int(m.group(1)) for k in keys for m in [re.match(r"encoder\.down_blocks\.(\d+)\.", k)] if m})
        names: Dict[str, Tuple[str, bool]] = {k: _vae_diffusers_to_bfl_name(k, levels) for k in keys}
    else:
        names = {k: (k, False) for k in keys}
    shapes = {bn: ck.shape(k) for k, (bn, _) in names.items()}
    groups = norm_groups or int(cfg_json.get("norm_num_groups", 32))
    cfg = infer_vae_config(shapes, groups)
    ae = ae_mod.AutoEncoder(cfg)
    want = ae.state_dict()
    sd: Dict[str, Tensor] = {}
    for k, (bn, to_conv) in names.items():
        if bn not in want:
            raise KeyError(f"VAE tensor {k} ({bn}) has no place in the model")
        t = ck.get(k).float()
        if to_conv:
            t = t.reshape(t.shape[0], t.shape[1], 1, 1)
        sd[bn] = t
    missing = [k for k in want if k not in sd and not k.endswith("num_batches_tracked")]
    if missing:
        raise KeyError(f"VAE checkpoint lacks {missing[:8]}")
    ae.load_state_dict(sd, strict=False)
    return ae.eval(), cfg, fmt


def save_bfl_vae(ae: ae_mod.AutoEncoder, path: str, dtype: torch.dtype = torch.float32) -> None:
    save_file({k: v.to(dtype) for k, v in ae.state_dict().items() if not k.endswith("num_batches_tracked")}, path)
