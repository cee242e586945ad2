"""The TorchScript graphs equal the eager modules, and weight names/shapes follow BFL's checkpoint keys."""
import unittest

import torch

from flux2_tools import autoencoder as A
from flux2_tools import export as E
from flux2_tools import text_encoder as TE
from flux2_tools import transformer as T
from flux2_tools.sampling import image_ids, reference_ids, text_ids


def transformer_inputs(h=4, w=4, L=16, C=96, refs=0, seed=0):
    g = torch.Generator().manual_seed(seed)
    ids = [image_ids(h, w)] + [reference_ids(k, 2, 3) for k in range(refs)]
    x_ids = torch.cat(ids)[None]
    x = torch.randn(1, x_ids.shape[1], 128, generator=g)
    ctx = torch.randn(1, L, C, generator=g)
    return x, x_ids, torch.tensor([0.7]), ctx, text_ids(L)[None], torch.tensor([4.0])


class ScriptedMatchesEagerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_grad_enabled(False)

    def check_transformer(self, cfg, refs=0):
        m = T.Flux2Transformer(cfg).eval()
        T.init_random_(m, torch.Generator().manual_seed(1))
        s = torch.jit.script(m)
        args = transformer_inputs(C=cfg.context_dim, refs=refs)
        a, b = m(*args), s(*args)
        self.assertEqual(a.shape, args[0].shape)
        self.assertEqual(a.dtype, torch.float32)
        self.assertGreater(a.std().item(), 1e-3)
        self.assertTrue(torch.allclose(a, b, atol=1e-5), (a - b).abs().max())
        return m, s, args

    def test_transformer_dev(self):
        m, s, args = self.check_transformer(T.TransformerConfig(), refs=2)
        # guidance is an input of a dev graph
        g2 = list(args)
        g2[5] = torch.tensor([2.5])
        self.assertFalse(torch.allclose(s(*args), s(*g2)))
        # batch of two = two single forwards
        batched = [torch.cat([t, t]) for t in args]
        out = s(*batched)
        self.assertTrue(torch.allclose(out[0], out[1], atol=1e-6))
        self.assertTrue(torch.allclose(out[:1], s(*args), atol=1e-5))

    def test_transformer_klein_ignores_guidance(self):
        cfg = T.TransformerConfig(hidden_size=96, num_heads=3, head_dim=32, axes_dim=[4, 12, 12, 4],
                                  depth_double=2, depth_single=1, context_dim=48, guidance_embed=False)
        m, s, args = self.check_transformer(cfg)
        g2 = list(args)
        g2[5] = torch.tensor([9.0])
        self.assertTrue(torch.equal(s(*args), s(*g2)))

    def test_text_encoder(self):
        cfg = TE.TextEncoderConfig(vocab_size=50, hidden_size=16, num_layers=2, num_heads=2, max_length=32,
                                   hidden_layers=[0, 1, 2])
        m = TE.TextEncoder(cfg).eval()
        TE.init_random_(m, torch.Generator().manual_seed(0))
        s = torch.jit.script(m)
        ids = torch.zeros(2, 32, dtype=torch.long)
        ids[0, :4] = torch.tensor([5, 6, 7, 8])
        mask = (ids != 0).long()
        a, b = m(ids, mask), s(ids, mask)
        self.assertEqual(a.shape, (2, 32, 48))
        self.assertTrue(torch.isfinite(a).all())  # the all-padding row too
        self.assertTrue(torch.allclose(a, b, atol=1e-6))
        # causal: a real token does not see later ones; padding (masked keys) does not change real tokens
        ids2 = ids.clone()
        ids2[0, 10] = 9  # a later token, masked out by attention_mask
        self.assertTrue(torch.allclose(s(ids2, mask)[0, :4], a[0, :4], atol=1e-6))
        # hidden layer 0 is the embedding output
        emb = m.embed_tokens(ids) + m.embed_positions(torch.arange(32))[None]
        self.assertTrue(torch.allclose(a[..., :16], emb, atol=1e-6))

    def test_vae_graphs(self):
        cfg = A.VAEConfig(ch=8, ch_mult=[1, 2, 2, 2], num_res_blocks=1, norm_groups=2)
        ae = A.AutoEncoder(cfg)
        A.init_random_(ae, torch.Generator().manual_seed(0))
        enc, dec = A.VAEEncoderGraph(ae).eval(), A.VAEDecoderGraph(ae).eval()
        senc, sdec = torch.jit.script(enc), torch.jit.script(dec)
        img = torch.rand(1, 3, 32, 48) * 2 - 1
        z, zs = enc(img), senc(img)
        self.assertEqual(z.shape, (1, 128, 2, 3))
        self.assertTrue(torch.allclose(z, zs, atol=1e-6))
        # encoder = mean half of the moments, patchified, BN-normalised
        mean = ae.encoder(img)[:, :32]
        want = (A.patchify(mean) - ae.bn.running_mean[None, :, None, None]) / torch.sqrt(
            ae.bn.running_var[None, :, None, None] + 1e-4)
        self.assertTrue(torch.allclose(z, want, atol=1e-5))
        # and BatchNorm2d in eval mode computes the same normalisation
        self.assertTrue(torch.allclose(z, ae.bn(A.patchify(mean)), atol=1e-5))
        y, ys = dec(z), sdec(z)
        self.assertEqual(y.shape, (1, 3, 32, 48))
        self.assertTrue(torch.allclose(y, ys, atol=1e-5))
        self.assertGreater(y.std().item(), 1e-2)

    def test_tiny_preset_graphs(self):
        models = E.build_random("tiny", "dev", 0)
        eager = E.graph_modules(models)
        scripted = E.script_graphs(models)
        ids = torch.zeros(1, 512, dtype=torch.long)
        ids[0, :3] = torch.tensor([4, 5, 6])
        mask = (ids != 0).long()
        self.assertTrue(torch.allclose(eager["text_encoder.pt"](ids, mask),
                                       scripted["text_encoder.pt"](ids, mask), atol=1e-6))
        lat = torch.randn(1, 128, 2, 2)
        self.assertTrue(torch.allclose(eager["vae_decoder.pt"](lat), scripted["vae_decoder.pt"](lat), atol=1e-5))


class WeightNamesTest(unittest.TestCase):
    def test_transformer_keys_and_shapes(self):
        cfg = T.TransformerConfig(depth_double=2, depth_single=2)
        sd = T.Flux2Transformer(cfg).state_dict()
        D, M, C = 64, 192, 96
        want = {
            "img_in.weight": [D, 128], "txt_in.weight": [D, C],
            "time_in.in_layer.weight": [D, 256], "time_in.out_layer.weight": [D, D],
            "guidance_in.in_layer.weight": [D, 256], "guidance_in.out_layer.weight": [D, D],
            "double_stream_modulation_img.lin.weight": [6 * D, D],
            "double_stream_modulation_txt.lin.weight": [6 * D, D],
            "single_stream_modulation.lin.weight": [3 * D, D],
            "final_layer.adaLN_modulation.1.weight": [2 * D, D], "final_layer.linear.weight": [128, D],
        }
        for i in range(2):
            for s in ("img", "txt"):
                p = f"double_blocks.{i}.{s}_"
                want[p + "attn.qkv.weight"] = [3 * D, D]
                want[p + "attn.norm.query_norm.scale"] = [32]
                want[p + "attn.norm.key_norm.scale"] = [32]
                want[p + "attn.proj.weight"] = [D, D]
                want[p + "mlp.0.weight"] = [2 * M, D]
                want[p + "mlp.2.weight"] = [D, M]
            p = f"single_blocks.{i}."
            want[p + "linear1.weight"] = [3 * D + 2 * M, D]
            want[p + "linear2.weight"] = [D, D + M]
            want[p + "norm.query_norm.scale"] = [32]
            want[p + "norm.key_norm.scale"] = [32]
        self.assertEqual({k: list(v.shape) for k, v in sd.items()}, want)

    def test_no_guidance_keys_without_guidance_embed(self):
        sd = T.Flux2Transformer(T.TransformerConfig(guidance_embed=False)).state_dict()
        self.assertFalse(any(k.startswith("guidance_in") for k in sd))

    def test_vae_keys(self):
        sd = A.AutoEncoder(A.VAEConfig()).state_dict()
        for k in ["encoder.conv_in.weight", "encoder.down.0.block.0.norm1.weight", "encoder.down.1.block.0.nin_shortcut.weight",
                  "encoder.down.0.downsample.conv.weight", "encoder.mid.attn_1.q.weight", "encoder.mid.block_2.conv2.bias",
                  "encoder.norm_out.weight", "encoder.conv_out.weight", "encoder.quant_conv.weight",
                  "decoder.post_quant_conv.weight", "decoder.conv_in.weight", "decoder.mid.attn_1.proj_out.weight",
                  "decoder.up.0.block.1.conv2.weight", "decoder.up.3.upsample.conv.weight", "decoder.norm_out.weight",
                  "decoder.conv_out.weight", "bn.running_mean", "bn.running_var"]:
            self.assertIn(k, sd)
        self.assertNotIn("decoder.up.0.upsample.conv.weight", sd)
        self.assertNotIn("encoder.down.3.downsample.conv.weight", sd)
        self.assertEqual(list(sd["encoder.mid.attn_1.q.weight"].shape), [32, 32, 1, 1])
        self.assertEqual(list(sd["encoder.quant_conv.weight"].shape), [64, 64, 1, 1])
        self.assertEqual(list(sd["decoder.post_quant_conv.weight"].shape), [32, 32, 1, 1])
        # decoder level 0 works at full resolution with ch channels
        self.assertEqual(list(sd["decoder.conv_out.weight"].shape), [3, 8, 3, 3])
        self.assertEqual(list(sd["decoder.up.0.block.0.conv1.weight"].shape), [8, 16, 3, 3])


if __name__ == "__main__":
    unittest.main()
