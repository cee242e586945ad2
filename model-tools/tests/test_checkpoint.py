"""Loading checkpoints: BFL single-file and diffusers transformer/VAE, and the exporter on synthetic checkpoints."""
import json
import os
import tempfile
import unittest

import torch

from flux2_tools import autoencoder as A
from flux2_tools import checkpoint as C
from flux2_tools import export as E
from flux2_tools import llm as L
from flux2_tools import transformer as T
from flux2_tools.package import load_manifest, verify_checksums
from flux2_tools.safetensors_io import save_file
from flux2_tools.sampling import image_ids, reference_ids, text_ids
from flux2_tools.tokenizer import CHAT_SPECIAL, chat_vocab, write_tokenizer


def tr_args(C_dim, seed=0):
    g = torch.Generator().manual_seed(seed)
    x_ids = torch.cat([image_ids(2, 3), reference_ids(0, 2, 2)])[None]
    return (torch.randn(1, 10, 128, generator=g), x_ids, torch.tensor([0.6]),
            torch.randn(1, 16, C_dim, generator=g), text_ids(16)[None], torch.tensor([4.0]))


def write_diffusers_transformer(sd, folder, fused=False, shards=2, config=None):
    os.makedirs(folder, exist_ok=True)
    dsd = C.transformer_to_diffusers(sd, fused_qkv=fused)
    names = sorted(dsd)
    per = (len(names) + shards - 1) // shards
    wm = {}
    for i in range(shards):
        fn = f"diffusion_pytorch_model-{i + 1:05d}-of-{shards:05d}.safetensors"
        part = {k: dsd[k] for k in names[i * per:(i + 1) * per]}
        save_file(part, os.path.join(folder, fn))
        wm.update({k: fn for k in part})
    if shards > 1:
        with open(os.path.join(folder, "diffusion_pytorch_model.safetensors.index.json"), "w") as f:
            json.dump({"weight_map": wm}, f)
    if config:
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(config, f)


class TransformerCheckpointTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_grad_enabled(False)

    def check(self, cfg):
        m = T.Flux2Transformer(cfg).eval()
        T.init_random_(m, torch.Generator().manual_seed(3))
        args = tr_args(cfg.context_dim)
        want = m(*args)
        with tempfile.TemporaryDirectory() as d:
            save_file({"model.diffusion_model." + k: v for k, v in m.state_dict().items()},
                      os.path.join(d, "bfl.safetensors"))
            write_diffusers_transformer(m.state_dict(), os.path.join(d, "root", "transformer"))
            save_file(C.transformer_to_diffusers(m.state_dict(), fused_qkv=True), os.path.join(d, "fused.safetensors"))
            for path, fmt in (("bfl.safetensors", "bfl"), ("root", "diffusers"),
                              ("root/transformer", "diffusers"), ("fused.safetensors", "diffusers")):
                got, gcfg, gfmt = C.load_transformer(os.path.join(d, path))
                self.assertEqual((gcfg, gfmt), (cfg, fmt), path)
                out = torch.jit.script(got)(*args)
                self.assertTrue(torch.allclose(out, want, atol=1e-5), (path, (out - want).abs().max()))
            bf, _, _ = C.load_transformer(os.path.join(d, "root"), torch.bfloat16)
            self.assertEqual(bf.img_in.weight.dtype, torch.bfloat16)

    def test_dev_shapes(self):
        self.check(T.TransformerConfig(hidden_size=64, num_heads=2, head_dim=32, axes_dim=[8, 8, 8, 8],
                                       depth_double=2, depth_single=2, context_dim=48, guidance_embed=True))

    def test_klein_shapes(self):
        self.check(T.TransformerConfig(hidden_size=96, num_heads=3, head_dim=32, axes_dim=[8, 8, 8, 8],
                                       depth_double=1, depth_single=3, context_dim=72, guidance_embed=False))

    def test_adaln_rows_swapped_in_diffusers(self):
        m = T.Flux2Transformer(T.TransformerConfig()).eval()
        T.init_random_(m, torch.Generator().manual_seed(0))
        w = m.state_dict()["final_layer.adaLN_modulation.1.weight"]
        dw = C.transformer_to_diffusers(m.state_dict())["norm_out.linear.weight"]
        self.assertTrue(torch.equal(dw[:64], w[64:]))  # diffusers: scale rows first
        self.assertTrue(torch.equal(dw[64:], w[:64]))

    def test_diffusers_config_overrides_rope(self):
        cfg = T.TransformerConfig(axes_dim=[4, 12, 12, 4], guidance_embed=False)
        m = T.Flux2Transformer(cfg).eval()
        T.init_random_(m, torch.Generator().manual_seed(1))
        with tempfile.TemporaryDirectory() as d:
            write_diffusers_transformer(m.state_dict(), d, shards=1,
                                        config={"axes_dims_rope": [4, 12, 12, 4], "rope_theta": 2000})
            got, gcfg, _ = C.load_transformer(d)
            self.assertEqual(gcfg, cfg)

    def test_unknown_tensor_rejected(self):
        m = T.Flux2Transformer(T.TransformerConfig()).eval()
        with tempfile.TemporaryDirectory() as d:
            sd = C.transformer_to_diffusers(m.state_dict())
            sd["transformer_blocks.0.attn.to_q.bias"] = torch.zeros(64)
            save_file(sd, os.path.join(d, "x.safetensors"))
            with self.assertRaises(KeyError):
                C.load_transformer(os.path.join(d, "x.safetensors"))


class VAECheckpointTest(unittest.TestCase):
    def test_bfl_and_diffusers(self):
        torch.set_grad_enabled(False)
        vcfg = A.VAEConfig(ch=8, ch_mult=[1, 2, 4, 4], num_res_blocks=1, norm_groups=4)
        ae = A.AutoEncoder(vcfg)
        A.init_random_(ae, torch.Generator().manual_seed(5))
        img = torch.rand(1, 3, 32, 48, generator=torch.Generator().manual_seed(1)) * 2 - 1
        lat = A.VAEEncoderGraph(ae)(img)
        dec = A.VAEDecoderGraph(ae)(lat)
        with tempfile.TemporaryDirectory() as d:
            C.save_bfl_vae(ae, os.path.join(d, "ae.safetensors"))
            os.makedirs(os.path.join(d, "root", "vae"))
            dsd = C.vae_to_diffusers(ae.state_dict(), 4)
            self.assertIn("encoder.mid_block.attentions.0.to_q.weight", dsd)
            self.assertEqual(dsd["encoder.mid_block.attentions.0.to_q.weight"].dim(), 2)
            self.assertIn("decoder.up_blocks.0.upsamplers.0.conv.weight", dsd)  # lowest resolution first
            self.assertIn("quant_conv.weight", dsd)
            save_file(dsd, os.path.join(d, "root", "vae", "diffusion_pytorch_model.safetensors"))
            with open(os.path.join(d, "root", "vae", "config.json"), "w") as f:
                json.dump({"norm_num_groups": 4}, f)
            for path, groups, fmt in (("ae.safetensors", 4, "bfl"), ("root", None, "diffusers")):
                got, gcfg, gfmt = C.load_vae(os.path.join(d, path), groups)
                self.assertEqual((gcfg, gfmt), (vcfg, fmt))
                enc = torch.jit.script(A.VAEEncoderGraph(got))
                dg = torch.jit.script(A.VAEDecoderGraph(got))
                self.assertTrue(torch.allclose(enc(img), lat, atol=1e-5))
                self.assertTrue(torch.allclose(dg(lat), dec, atol=1e-5))


class ExportFromCheckpointsTest(unittest.TestCase):
    def test_cli_export(self):
        """Synthetic diffusers transformer + BFL ae + HF Qwen3 folder -> package whose graphs equal the sources."""
        torch.set_grad_enabled(False)
        tcfg = T.TransformerConfig(hidden_size=64, num_heads=2, head_dim=32, axes_dim=[8, 8, 8, 8], depth_double=1,
                                   depth_single=1, context_dim=96, guidance_embed=False)
        tr = T.Flux2Transformer(tcfg).eval()
        T.init_random_(tr, torch.Generator().manual_seed(7))
        ae = A.AutoEncoder(A.VAEConfig(ch=8, norm_groups=4))
        A.init_random_(ae, torch.Generator().manual_seed(8))
        vocab = chat_vocab("qwen3")
        lcfg = L.LLMConfig(kind="qwen3", vocab_size=len(vocab), hidden_size=32, intermediate_size=48,
                           num_hidden_layers=4, num_attention_heads=2, num_key_value_heads=1, head_dim=16,
                           hidden_layers=[1, 2, 3])
        full = L.LLMTextEncoder(L.LLMConfig(**{**lcfg.to_json(), "hidden_layers": [4]})).eval()
        L.init_random_(full, torch.Generator().manual_seed(9))
        with tempfile.TemporaryDirectory() as d:
            write_diffusers_transformer(tr.state_dict(), os.path.join(d, "klein", "transformer"))
            C.save_bfl_vae(ae, os.path.join(d, "ae.safetensors"), torch.bfloat16)
            te_dir = os.path.join(d, "klein", "text_encoder")
            L.write_hf_checkpoint(full, lcfg, te_dir, "model.", dtype=torch.bfloat16)
            tok_dir = os.path.join(d, "klein", "tokenizer")
            os.makedirs(tok_dir)
            write_tokenizer(os.path.join(tok_dir, "tokenizer.json"), vocab, 512, CHAT_SPECIAL["qwen3"])
            with open(os.path.join(tok_dir, "tokenizer_config.json"), "w") as f:
                json.dump({"pad_token": "[PAD]"}, f)
            out = os.path.join(d, "pkg")
            E.main(["--transformer", os.path.join(d, "klein"), "--vae", os.path.join(d, "ae.safetensors"),
                    "--text-encoder", te_dir, "--vae-norm-groups", "4", "--hidden-layers", "1,2,3",
                    "--name", "synthetic", "--out", out])
            verify_checksums(out)
            m = load_manifest(out)
            self.assertEqual((m["variant"], m["name"], m["defaults"]["steps"], m["defaults"]["guidance"]),
                             ("klein", "synthetic", 4, 1.0))
            te = m["text_encoder"]
            self.assertEqual((te["architecture"], te["padding_side"], te["pad_token_id"], te["output_dim"]),
                             ("qwen3", "right", 0, 96))
            self.assertEqual(m["source"]["transformer_format"], "diffusers")
            g_tr = torch.jit.load(os.path.join(out, "transformer.pt"))
            args = tr_args(96)
            self.assertTrue(torch.allclose(g_tr(*args), tr(*args), atol=1e-5))
            # the text encoder: bf16 weights in the checkpoint, exported float32 -> same as the rounded source
            ref_te = L.LLMTextEncoder(lcfg).eval()
            ref_te.load_state_dict({k: v.bfloat16().float() for k, v in full.state_dict().items()
                                    if not k.startswith("layers.3") and k != "norm.weight"})
            ids = torch.zeros(1, 512, dtype=torch.long)
            ids[0, :5] = torch.tensor([373, 377, 2, 103, 374])
            mask = (torch.arange(512) < 5).long()[None]
            g_te = torch.jit.load(os.path.join(out, "text_encoder.pt"))
            self.assertTrue(torch.allclose(g_te(ids, mask), ref_te(ids, mask), atol=1e-5))
            g_dec = torch.jit.load(os.path.join(out, "vae_decoder.pt"))
            lat = torch.randn(1, 128, 2, 2)
            ae_bf = A.AutoEncoder(A.VAEConfig(ch=8, norm_groups=4))
            ae_bf.load_state_dict({k: (v.bfloat16().float() if v.is_floating_point() else v)
                                   for k, v in ae.state_dict().items()})
            self.assertTrue(torch.allclose(g_dec(lat), A.VAEDecoderGraph(ae_bf.eval())(lat), atol=1e-5))
            with open(os.path.join(out, "tokenizer.json"), "rb") as a, \
                    open(os.path.join(tok_dir, "tokenizer.json"), "rb") as b:
                self.assertEqual(a.read(), b.read())


if __name__ == "__main__":
    unittest.main()
