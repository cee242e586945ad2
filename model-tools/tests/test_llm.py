"""Mistral / Qwen3 text-encoder graphs (llm.py): HF-format loading, truncation, masks, GQA, qk-norm, templates."""
import json
import os
import tempfile
import unittest

import torch

from flux2_tools import llm as L
from flux2_tools.tokenizer import CHAT_SPECIAL, WordLevelTokenizer, chat_vocab, write_tokenizer


def tiny_cfg(kind, **kw):
    d = dict(kind=kind, vocab_size=60, hidden_size=32, intermediate_size=48, num_hidden_layers=5,
             num_attention_heads=4, num_key_value_heads=2, head_dim=12, hidden_layers=[1, 2, 3],
             rope_theta=10000.0 if kind == "mistral" else 1e6, rms_norm_eps=1e-5 if kind == "mistral" else 1e-6)
    d.update(kw)
    return L.LLMConfig(**d)


def build(cfg, seed=0):
    m = L.LLMTextEncoder(cfg).eval()
    L.init_random_(m, torch.Generator().manual_seed(seed))
    return m


def ids_mask(n_real, length=24, seed=0, left=False):
    g = torch.Generator().manual_seed(seed)
    real = torch.randint(1, 60, (1, n_real), generator=g)
    pad = torch.zeros(1, length - n_real, dtype=torch.long)
    ids = torch.cat([pad, real] if left else [real, pad], dim=1)
    mask = torch.cat([pad, torch.ones_like(real)] if left else [torch.ones_like(real), pad], dim=1)
    return ids, mask


class LLMTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_grad_enabled(False)

    def test_shape_truncation_and_script(self):
        for kind in ("qwen3", "mistral"):
            cfg = tiny_cfg(kind)
            m = build(cfg)
            self.assertEqual(len(m.layers), 3)  # stops at max(hidden_layers) of 5
            names = {n for n, _ in m.named_parameters()}
            self.assertNotIn("norm.weight", names)
            self.assertIn("layers.2.mlp.gate_proj.weight", names)
            self.assertEqual("layers.0.self_attn.q_norm.weight" in names, kind == "qwen3")
            ids, mask = ids_mask(10)
            out = m(ids, mask)
            self.assertEqual((out.shape, out.dtype), ((1, 24, 96), torch.float32))
            s = torch.jit.script(m)
            self.assertTrue(torch.equal(s(ids, mask), out))

    def test_hidden_state_indexing(self):
        cfg = tiny_cfg("qwen3", num_hidden_layers=3, hidden_layers=[0, 1, 3])
        m = build(cfg)
        ids, mask = ids_mask(8)
        out = m(ids, mask)
        self.assertTrue(torch.equal(out[..., :32], m.embed_tokens(ids)))  # index 0 = embeddings
        # index num_hidden_layers is after the final norm (HF); an inner index is not
        cfg2 = tiny_cfg("qwen3", num_hidden_layers=3, hidden_layers=[3])
        m2 = build(cfg2)
        m2.load_state_dict(m.state_dict())
        with torch.no_grad():
            m2.norm.weight.mul_(2.0)
        self.assertTrue(torch.allclose(m2(ids, mask), 2.0 * out[..., 64:], atol=1e-5))

    def test_right_padding_leaves_real_tokens_alone(self):
        for kind in ("qwen3", "mistral"):
            m = build(tiny_cfg(kind))
            ids, mask = ids_mask(9, 24)
            full = m(ids, mask)
            short = m(ids[:, :9], mask[:, :9])
            self.assertTrue(torch.allclose(full[:, :9], short, atol=1e-5), kind)
            self.assertTrue(torch.isfinite(full).all())
            # pads are masked as keys: changing a pad id changes nothing at real positions
            ids2 = ids.clone()
            ids2[0, 15] = 7
            self.assertTrue(torch.allclose(m(ids2, mask)[:, :9], full[:, :9], atol=1e-6))

    def test_left_padding_rope_is_relative(self):
        """Left pads are masked keys, and RoPE depends on position differences only: the real tokens' outputs equal
        those of the unpadded sequence; the pad rows (no key allowed) are finite."""
        m = build(tiny_cfg("mistral"))
        ids, mask = ids_mask(9, 24, left=True)
        full = m(ids, mask)
        short = m(ids[:, 15:], mask[:, 15:])
        self.assertTrue(torch.allclose(full[:, 15:], short, atol=1e-4), (full[:, 15:] - short).abs().max())
        self.assertTrue(torch.isfinite(full).all())

    def test_qk_norm_applied_in_qwen3(self):
        m = build(tiny_cfg("qwen3"))
        ids, mask = ids_mask(10)
        a = m(ids, mask)
        with torch.no_grad():
            m.layers[0].self_attn.q_norm.weight.mul_(1.7)
        b = m(ids, mask)
        self.assertGreater((a[..., :32] - b[..., :32]).abs().max().item(), 1e-4)

    def test_gqa_equals_repeated_kv_heads(self):
        cfg = tiny_cfg("mistral", num_key_value_heads=2)
        m = build(cfg)
        full = L.LLMTextEncoder(tiny_cfg("mistral", num_key_value_heads=4)).eval()
        sd = dict(m.state_dict())
        for i in range(3):
            for p in ("k_proj", "v_proj"):
                w = sd[f"layers.{i}.self_attn.{p}.weight"].reshape(2, 12, 32)
                sd[f"layers.{i}.self_attn.{p}.weight"] = w.repeat_interleave(2, dim=0).reshape(48, 32)
        full.load_state_dict(sd)
        ids, mask = ids_mask(12)
        self.assertTrue(torch.allclose(m(ids, mask), full(ids, mask), atol=1e-5))

    def test_hf_folders(self):
        """Sharded HF folders under the three prefixes load only the needed layers, in float32 and bfloat16."""
        for kind, prefix in (("qwen3", "model."), ("mistral", "language_model.model."),
                             ("mistral", "model.language_model.")):
            cfg = tiny_cfg(kind, num_hidden_layers=4)
            full = build(L.LLMConfig(**{**cfg.to_json(), "hidden_layers": [1, 2, 3, 4]}))
            extra = {"lm_head.weight": torch.randn(60, 32)}
            with tempfile.TemporaryDirectory() as d:
                hf = cfg.to_hf()
                if kind == "mistral" and prefix != "model.":
                    hf = {"model_type": "mistral3", "architectures": ["Mistral3ForConditionalGeneration"],
                          "text_config": cfg.to_hf(), "vision_config": {"hidden_size": 8}}
                    extra["vision_tower.x.weight"] = torch.randn(4, 4)
                L.write_hf_checkpoint(full, cfg, d, prefix, shards=2, extra=extra, config_override=hf)
                m = L.load_hf_text_encoder(d, [1, 2, 3])
                self.assertEqual(len(m.layers), 3)
                ids, mask = ids_mask(11)
                want = full(ids, mask)[..., :96]
                self.assertTrue(torch.allclose(m(ids, mask), want, atol=1e-6), (kind, prefix))
                mb = L.load_hf_text_encoder(d, [1, 2, 3], torch.bfloat16)
                self.assertEqual(mb.layers[0].mlp.up_proj.weight.dtype, torch.bfloat16)
                self.assertLess((mb(ids, mask) - want).abs().max().item(), 0.25)
        self.assertEqual(L.LLMConfig.from_hf({"model_type": "qwen3", "vocab_size": 10, "hidden_size": 2560,
                                              "intermediate_size": 9728, "num_hidden_layers": 36,
                                              "num_attention_heads": 32, "num_key_value_heads": 8,
                                              "head_dim": 128}).hidden_layers, [9, 18, 27])

    def test_templates(self):
        self.assertEqual(L.format_prompt("qwen3", "a cat"),
                         "<|im_start|>user\na cat<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n")
        sysmsg = ("You are an AI that reasons about image descriptions. You give structured responses focusing on "
                  "object relationships, object\nattribution and actions without speculation.")
        self.assertEqual(L.format_prompt("mistral", "a [IMG]dog"),
                         "<s>[SYSTEM_PROMPT]" + sysmsg + "[/SYSTEM_PROMPT][INST]a dog[/INST]")
        vocab = chat_vocab("qwen3")
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "tokenizer.json")
            write_tokenizer(p, vocab, 16, CHAT_SPECIAL["qwen3"])
            ids, mask = WordLevelTokenizer.from_file(p).encode(L.format_prompt("qwen3", "a red cat"))
        v = vocab
        self.assertEqual(ids[:10], [v["<|im_start|>"], v["user"], v["a"], v["red"], v["cat"], v["<|im_end|>"],
                                    v["<|im_start|>"], v["assistant"], v["<think>"], v["</think>"]])
        self.assertEqual(sum(mask), 10)


if __name__ == "__main__":
    unittest.main()
