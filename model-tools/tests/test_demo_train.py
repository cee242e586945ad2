"""The demo trainer's pieces: training-only fast kernels and the feature forward match the exported modules' math,
VAE channel pruning gives exact zeros, and a minimal run exports a package that the reference pipeline samples
exactly as the trainer's in-process sampler does."""
import os
import random
import tempfile
import unittest

import numpy as np
import torch

from flux2_tools import autoencoder as A
from flux2_tools import demo_data as D
from flux2_tools import demo_train as T
from flux2_tools import reference as R
from flux2_tools import transformer as TR
from flux2_tools.sampling import image_ids, pack, reference_ids, text_ids


class PiecesTest(unittest.TestCase):
    def test_fast_kernels_and_feature_forward(self):
        tr, x, ids, t, ctx, cids = small_edit_forward_inputs(0)
        with torch.no_grad():
            ref = tr(x, ids, t, ctx, cids, torch.ones(2))
            out, feats, _ = T.forward_with_features(tr, x, ids, t, ctx, cids)
            self.assertTrue(torch.equal(ref, out))
            self.assertEqual(len(feats), tr_depth(tr))
            with T.fast_kernels(tr):
                fast, _, _ = T.forward_with_features(tr, x, ids, t, ctx, cids)
            self.assertLess((fast - ref).abs().max().item(), 1e-4)
            again = tr(x, ids, t, ctx, cids, torch.ones(2))  # patches removed on exit
            self.assertTrue(torch.equal(again, ref))

    def test_copy_logits_are_the_first_blocks_own_attention_and_the_copy_loss_rewards_looking_at_the_same_place(self):
        tr, x, ids, t, ctx, cids = small_edit_forward_inputs(1)
        seen = {}
        block = tr.double_blocks[0]
        plain = TR.attention_core
        try:
            # the block's own attention weights, captured through the plain core
            def capture(q, k, v):
                seen["w"] = torch.softmax(q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5, dim=-1)
                return TR._plain_attention(q, k, v)
            TR.attention_core = capture
            with torch.no_grad():
                vec = tr.time_in(TR.timestep_embedding(t * 1000.0, 256, 1.0))
                img, txt = tr.img_in(x), tr.txt_in(ctx)
                cos, sin = TR.rope_tables(torch.cat([cids, ids], dim=1), tr.axes_dim, tr.rope_theta)
                mi, mt = tr.double_stream_modulation_img(vec), tr.double_stream_modulation_txt(vec)
                block(img, txt, mi, mt, cos, sin)
                logits = T.copy_logits(block, img, txt, mi, mt, cos, sin, 2)
        finally:
            TR.attention_core = plain
        with torch.no_grad():
            _, _, via_forward = T.forward_with_features(tr, x, ids, t, ctx, cids, copy_heads=2)
        self.assertEqual(tuple(logits.shape), (2, 2, 64, 24 + 128))
        self.assertLess((torch.softmax(logits, -1) - seen["w"][:, :2, 24:24 + 64]).abs().max().item(), 1e-5)
        self.assertTrue(torch.equal(logits, via_forward))
        # a head that looks at the reference token at its own place has (near) zero loss; one that looks elsewhere not
        n, s = 64, 24 + 128
        at_place = torch.full((1, 1, n, s), -20.0)
        at_place[0, 0, torch.arange(n), s - n + torch.arange(n)] = 20.0
        elsewhere = torch.full((1, 1, n, s), -20.0)
        elsewhere[0, 0, torch.arange(n), s - n + (torch.arange(n) + 1) % n] = 20.0
        self.assertLess(T.copy_loss(at_place, None).item(), 1e-6)
        self.assertGreater(T.copy_loss(elsewhere, None).item(), 30.0)
        # with a mask only the kept tokens count
        mixed = at_place.clone()
        mixed[0, 0, :32] = elsewhere[0, 0, :32]
        keep = torch.zeros(1, n)
        keep[0, 32:] = 1.0
        self.assertLess(T.copy_loss(mixed, keep).item(), 1e-6)
        self.assertGreater(T.copy_loss(mixed, None).item(), 15.0)

    def test_kept_tokens_are_those_an_edit_leaves_alone(self):
        src = torch.randn(2, 64, 128)
        tgt = src.clone()
        tgt[0, 10] += 1.0
        tgt[1, :, :64] += 1.0  # the channels in use all change: nothing kept
        tgt[1, 5, 64:] += 5.0  # unused channels are not read
        kept = T.kept_tokens(src, tgt, 64, 0.05)
        self.assertEqual(kept[0].sum().item(), 63.0)
        self.assertEqual(kept[0, 10].item(), 0.0)
        self.assertEqual(kept[1].sum().item(), 0.0)
        self.assertEqual(T.kept_tokens(src, src + torch.cat([torch.zeros(64), torch.ones(64)]), 64, 0.05).sum(), 128)

    def test_token_helpers(self):
        s = D.Scene("blue", (D.Shape("square", "red", "large", "bottom-right"),))
        m = T.shape_tokens(s).reshape(8, 8)
        self.assertTrue(m[7, 7] and not m[0, 0])
        lab = T.token_labels(s).reshape(8, 8, 2)
        self.assertEqual(lab[7, 7, 0], D.COLOUR_NAMES.index("red"))
        self.assertEqual(lab[7, 7, 1], 1 + D.CLASSES.index("square"))
        self.assertEqual(tuple(lab[0, 0]), (D.COLOUR_NAMES.index("blue"), 0))
        # a small circle in the centre is the majority of no token, yet its tokens carry its class
        small = D.Scene("white", (D.Shape("circle", "black", "small", "centre"),))
        self.assertTrue((T.token_labels(small)[:, 1] == 0).all())
        cls = T.token_classes(small)
        self.assertEqual(set(cls[3:5, 3:5].reshape(-1)), {1 + D.CLASSES.index("circle")})
        self.assertEqual(cls.sum(), 4 * (1 + D.CLASSES.index("circle")))

    def test_context_pairs_mark_only_tokens_whose_surroundings_did_not_change(self):
        src, tgt, same = T.context_pairs(16, random.Random(3))
        self.assertEqual(tuple(same.shape), (16, 64))
        self.assertTrue(same.any(dim=1).all())  # every pair keeps some place
        self.assertFalse(same.all(dim=1).any())  # and changes some
        for i in range(16):
            for k in same[i].nonzero().flatten().tolist():
                r, c = divmod(k, 8)
                window = (slice(None), slice(max(0, 16 * r - 16), 16 * r + 32), slice(max(0, 16 * c - 16), 16 * c + 32))
                self.assertTrue(torch.equal(src[i][window], tgt[i][window]))
            changed = [k for k in range(64) if not same[i, k]]
            r, c = divmod(changed[0], 8)
            self.assertTrue(any(not torch.equal(src[i][:, 16 * rr:16 * rr + 16, 16 * cc:16 * cc + 16],
                                                tgt[i][:, 16 * rr:16 * rr + 16, 16 * cc:16 * cc + 16])
                                for rr in range(max(0, r - 1), min(8, r + 2)) for cc in range(max(0, c - 1), min(8, c + 2))))

    def test_context_crops_cut_pictures_and_mask_at_one_token_aligned_window(self):
        src, tgt, same = T.context_pairs(6, random.Random(4))
        jj = [5, 0, 3]
        c_src, c_tgt, c_same = T.context_crops(src, tgt, same, jj, 64, random.Random(7))
        self.assertEqual(tuple(c_src.shape), (3, 3, 64, 64))
        self.assertEqual(tuple(c_same.shape), (3, 16))
        for n, j in enumerate(jj):
            # find the window by matching the cropped source against every token-aligned place
            places = [(t, l) for t in range(5) for l in range(5)
                      if torch.equal(src[j, :, 16 * t:16 * t + 64, 16 * l:16 * l + 64], c_src[n])
                      and torch.equal(tgt[j, :, 16 * t:16 * t + 64, 16 * l:16 * l + 64], c_tgt[n])]
            self.assertTrue(places)
            self.assertTrue(any(torch.equal(same[j].reshape(8, 8)[t:t + 4, l:l + 4].reshape(-1), c_same[n])
                                for t, l in places))
        whole = T.context_crops(src, tgt, same, jj, 0, random.Random(7))
        self.assertTrue(torch.equal(whole[0], src[jj]) and torch.equal(whole[2], same[jj]))
    def test_a_blas_run_starts_again_on_the_openmp_openblas_once_when_it_is_installed_and_not_loaded(self):
        with tempfile.TemporaryDirectory() as d:
            omp = os.path.join(d, "openblas-openmp")
            reference = "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0"
            self.assertIsNone(T.env_for_openblas_openmp([reference], {}, omp), "not installed")
            os.makedirs(omp)
            open(os.path.join(omp, "libblas.so.3"), "wb").close()
            env = T.env_for_openblas_openmp([reference], {"LD_LIBRARY_PATH": "/opt/lib", "HOME": "/root"}, omp)
            self.assertEqual(env, {"LD_LIBRARY_PATH": omp + ":/opt/lib", "HOME": "/root"})
            self.assertEqual(T.env_for_openblas_openmp([reference], {}, omp), {"LD_LIBRARY_PATH": omp})
            self.assertIsNone(T.env_for_openblas_openmp(
                [os.path.join(omp, "libblas.so.3"), os.path.join(omp, "libopenblasp-r0.3.21.so")], {}, omp),
                "already on it")
            lapack_only = [reference, os.path.join(omp, "liblapack.so.3"), os.path.join(omp, "libopenblasp-r0.3.21.so")]
            self.assertEqual(T.env_for_openblas_openmp(lapack_only, {}, omp), {"LD_LIBRARY_PATH": omp},
                             "LAPACK from OpenBLAS, the products still on the reference BLAS")
            self.assertIsNone(T.env_for_openblas_openmp([reference], env, omp), "started again and still not on it")

    def test_a_training_run_starts_again_with_pinned_kernels_and_spinning_threads_unless_the_caller_chose(self):
        self.assertEqual(T.env_with_pinned_kernels({"HOME": "/root"}),
                         {"HOME": "/root", "OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2"})
        self.assertEqual(T.env_with_pinned_kernels({"OPENBLAS_CORETYPE": "Zen"}),
                         {"OPENBLAS_CORETYPE": "Zen", "ATEN_CPU_CAPABILITY": "avx2"}, "the caller's choice is kept")
        self.assertIsNone(T.env_with_pinned_kernels(dict(T.PINNED_KERNELS)), "started again: nothing to change")
        # the module set PASSIVE for itself; the training command wants ACTIVE unless the caller set a policy
        self.assertEqual(T.env_with_training_wait_policy({"OMP_WAIT_POLICY": "PASSIVE"}, given=False),
                         {"OMP_WAIT_POLICY": "ACTIVE"})
        self.assertIsNone(T.env_with_training_wait_policy({"OMP_WAIT_POLICY": "PASSIVE"}, given=True))
        self.assertIsNone(T.env_with_training_wait_policy({"OMP_WAIT_POLICY": "ACTIVE"}, given=False))

    def test_pruned_vae_channels_are_exact_zeros(self):
        class Args:
            vae_ch, vae_mult = 8, "1,2,4,8"
        ae = A.AutoEncoder(T.vae_config(Args)).eval()
        A.init_random_(ae, torch.Generator().manual_seed(0))
        T.prune_vae(ae, 8)
        ae.bn.running_mean[32:] = 0.0
        ae.bn.running_var[32:] = 0.0
        x = torch.from_numpy(D.to_tensor_array(D.render(D.random_scene(random.Random(0)))))[None]
        with torch.no_grad():
            lat = A.VAEEncoderGraph(ae)(x)
        self.assertTrue(torch.equal(lat[:, 32:], torch.zeros_like(lat[:, 32:])))
        self.assertGreater(lat[:, :32].abs().sum().item(), 0)


def small_edit_forward_inputs(seed: int):
    """A random 2-head transformer and the inputs of an edit's forward: batch 2, an 8x8 target and its reference,
    24 text tokens."""
    torch.manual_seed(seed)
    tr = TR.Flux2Transformer(TR.TransformerConfig(**dict(T.TRANSFORMER, hidden_size=64, num_heads=2))).eval()
    TR.init_random_(tr, torch.Generator().manual_seed(seed))
    x = torch.randn(2, 128, 128)
    ids = torch.cat([image_ids(8, 8), reference_ids(0, 8, 8)])[None].expand(2, -1, -1)
    ctx = torch.randn(2, 24, 192)
    cids = text_ids(24)[None].expand(2, -1, -1)
    t = torch.rand(2)
    return tr, x, ids, t, ctx, cids


def tr_depth(tr):
    return len(tr.double_blocks)


class DecoderTuningTest(unittest.TestCase):
    def test_the_decoder_learns_the_pictures_its_latents_were_asked_for_and_the_encoder_is_untouched(self):
        import types
        from flux2_tools import text_encoder as TE
        torch.manual_seed(0)
        ae = A.AutoEncoder(T.vae_config(types.SimpleNamespace(vae_ch=8, vae_mult="1,2,4,8"))).eval()
        A.init_random_(ae, torch.Generator().manual_seed(0))
        tr = TR.Flux2Transformer(TR.TransformerConfig(**dict(T.TRANSFORMER, hidden_size=64, num_heads=2))).eval()
        TR.init_random_(tr, torch.Generator().manual_seed(1))
        vocab = T.demo_vocab()
        te = TE.TextEncoder(TE.TextEncoderConfig(vocab_size=len(vocab), **T.TEXT_ENCODER)).eval()
        TE.init_random_(te, torch.Generator().manual_seed(2))
        args = types.SimpleNamespace(seed=0, dec_pairs=6, dec_real_frac=0.5, dec_start_max=2, sample_steps=3,
                                     vae_fg_weight=4.0, dec_edge_weight=16.0, dec_lr=1e-3, dec_batch=3, dec_steps=40,
                                     dec_fast_attention=True)
        lat, scenes = T.decoder_pairs(tr, te, ae, T.Tokens(vocab), args, 2.0)
        self.assertEqual((tuple(lat.shape), len(scenes)), ((6, 64, 128), 6))
        target, wgt = T.pair_targets(scenes, args)
        image = torch.from_numpy(D.to_tensor_array(D.render(scenes[0])))[None]
        with torch.no_grad():
            before = T.decoder_loss(A.VAEDecoderGraph(ae), lat, target, wgt).item()
            encoded = A.VAEEncoderGraph(ae)(image)
        T.tune_decoder(tr, te, ae, vocab, args, lambda msg: None, 2.0)
        with torch.no_grad():
            after = T.decoder_loss(A.VAEDecoderGraph(ae), lat, target, wgt).item()
            self.assertTrue(torch.equal(A.VAEEncoderGraph(ae)(image), encoded))
        self.assertLess(after, 0.8 * before)
        self.assertIs(A.attention_matmul, A._plain_matmul)  # the exported graphs script the plain product

    def test_the_fast_vae_attention_computes_the_same_attention(self):
        block = A.AttnBlock(16, 4).eval()
        x = torch.randn(3, 16, 5, 7, generator=torch.Generator().manual_seed(3))
        with torch.no_grad():
            plain = block(x)
            with T.fast_vae_attention():
                fast = block(x)
        torch.testing.assert_close(fast, plain, rtol=1e-5, atol=1e-5)
        self.assertIs(A.attention_matmul, A._plain_matmul)


class MinimalRunTest(unittest.TestCase):
    def test_train_export_and_sample_like_the_reference_pipeline(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "pkg")
            argv = ["--out", out, "--work", os.path.join(d, "work"), "--vae-steps", "2", "--vae-pool", "16",
                    "--bn-images", "32", "--t2i-pool", "16", "--edit-pool", "8", "--steps", "2", "--batch", "4",
                    "--edit-batch", "2", "--variant", "klein-base", "--guidance", "2.0", "--sample-steps", "3",
                    "--bench-t2i", "0", "--bench-edits", "0", "--dec-pairs", "4", "--dec-steps", "2"]
            self.assertEqual(T.main(argv), 0)
            pkg = R.Package(out)
            m = pkg.manifest
            self.assertEqual((m["variant"], m["text_encoder"]["max_length"], m["defaults"]["steps"]),
                             ("klein-base", 24, 3))
            size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
            self.assertLess(size, 20e6)
            # the trainer's in-process sampler == the reference pipeline over the exported graphs
            ck = torch.load(os.path.join(d, "work", "flow_ema.pt"))
            tr = TR.Flux2Transformer(TR.TransformerConfig(**ck["config"])).eval()
            tr.load_state_dict(ck["transformer"])
            vocab = T.demo_vocab()
            from flux2_tools import text_encoder as TE
            te = TE.TextEncoder(TE.TextEncoderConfig(vocab_size=len(vocab), **T.TEXT_ENCODER)).eval()
            te.load_state_dict(ck["text_encoder"])
            src = D.Scene("white", (D.Shape("circle", "red", "medium", "centre"),))
            ref_img = torch.from_numpy(D.to_tensor_array(D.render(src)))[None]
            with torch.no_grad():
                refs = pack(pkg.vae_encoder(ref_img))
                mine = T.sample(tr, te, pkg.vae_decoder, T.Tokens(vocab), ["make the circle blue"], [5], 3, refs,
                                2.0)
                theirs = R.generate(pkg, "make the circle blue", 128, 128, 3, 2.0, R.seed_noise(5, 128, 128),
                                    references=[ref_img])
            self.assertLess((mine - theirs).abs().max().item(), 1e-4)

    def test_the_vae_stage_runs_on_the_fast_attention_only_when_asked_and_gives_the_plain_one_back(self):
        from unittest import mock
        with tempfile.TemporaryDirectory() as d:
            base = ["--out", os.path.join(d, "pkg"), "--work", os.path.join(d, "work"), "--vae-steps", "2",
                    "--vae-pool", "16", "--bn-images", "32", "--vae-context-pool", "4", "--stop-after", "vae"]
            for flag, used in (([], False), (["--vae-fast-attention"], True)):
                with mock.patch.object(T, "_gbmm", wraps=T._gbmm) as fast:
                    self.assertEqual(T.main(base + flag), 0)
                self.assertEqual(fast.called, used, flag)
                self.assertIs(A.attention_matmul, A._plain_matmul)

    def test_the_flow_stage_runs_on_onednn_or_on_the_system_blas_as_asked_and_the_log_names_the_library(self):
        from unittest import mock
        with tempfile.TemporaryDirectory() as d:
            base = ["--out", os.path.join(d, "pkg"), "--work", os.path.join(d, "work"), "--vae-steps", "2",
                    "--vae-pool", "16", "--bn-images", "32", "--vae-context-pool", "4", "--t2i-pool", "16",
                    "--edit-pool", "8", "--steps", "2", "--batch", "4", "--edit-batch", "2", "--variant",
                    "klein-base", "--guidance", "2.0", "--sample-steps", "2", "--val-t2i", "2", "--val-edits", "2",
                    "--dec-pairs", "0", "--no-export", "--out-class-weight", "0", "--cfg-candidates", "",
                    "--log", os.path.join(d, "train.log")]
            plain_attention = TR.attention_core
            for kernels, used in (("onednn", True), ("blas", False)):
                with mock.patch.object(T._DnnlLinear, "apply", wraps=T._DnnlLinear.apply) as dnnl:
                    self.assertEqual(T.main(base + ["--kernels", kernels]), 0)
                self.assertEqual(dnnl.called, used, kernels)
                with open(os.path.join(d, "train.log"), encoding="utf-8") as f:
                    header = f.read().splitlines()[2]
                self.assertIn(f"kernels {kernels}, blas /", header)
                self.assertIn("blas", header.rsplit("blas ", 1)[1])
                self.assertIs(TR.attention_core, plain_attention, kernels)


if __name__ == "__main__":
    unittest.main()
