import json
import os
import unittest

from flux2_tools.tokenizer import PAD, UNK, WordLevelTokenizer, default_vocab, tokenizer_json

TINY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "packages", "tiny")


class TokenizerJsonTest(unittest.TestCase):
    def setUp(self):
        with open(os.path.join(TINY, "tokenizer.json"), encoding="utf-8") as f:
            self.data = json.load(f)
        self.tok = WordLevelTokenizer(self.data)

    def test_json_layout_for_rust_tokenizers(self):
        d = self.data
        self.assertEqual(d["version"], "1.0")
        self.assertEqual(d["model"]["type"], "WordLevel")
        self.assertEqual(d["model"]["unk_token"], UNK)
        self.assertEqual(d["normalizer"], {"type": "Lowercase"})
        self.assertEqual(d["pre_tokenizer"], {"type": "Whitespace"})
        self.assertIsNone(d["post_processor"])
        self.assertIsNone(d["decoder"])
        self.assertEqual(d["padding"], {"strategy": {"Fixed": 512}, "direction": "Right", "pad_to_multiple_of": None,
                                        "pad_id": 0, "pad_type_id": 0, "pad_token": PAD})
        self.assertEqual(d["truncation"], {"direction": "Right", "max_length": 512, "strategy": "LongestFirst",
                                           "stride": 0})
        self.assertEqual([(t["id"], t["content"], t["special"]) for t in d["added_tokens"]],
                         [(0, PAD, True), (1, UNK, True)])

    def test_vocab(self):
        v = self.data["model"]["vocab"]
        self.assertEqual(v[PAD], 0)
        self.assertEqual(sorted(v.values()), list(range(len(v))))  # dense ids
        self.assertEqual(v, default_vocab())
        self.assertEqual(self.data, json.loads(json.dumps(tokenizer_json(default_vocab(), 512))))
        for w in ["red", "blue", "green", "circle", "square", "triangle", "left", "right", "top", "bottom"]:
            self.assertIn(w, v)
        self.assertGreater(len(v), 300)

    def test_reader_matches_vocab(self):
        v = self.data["model"]["vocab"]
        for word, i in v.items():
            if word in (PAD, UNK):
                continue
            ids, mask = self.tok.encode(word)
            self.assertEqual(ids[0], i, word)
            self.assertEqual(sum(mask), 1, word)

    def test_encode(self):
        v = self.data["model"]["vocab"]
        ids, mask = self.tok.encode("A RED Circle, top-left!! zebra")
        self.assertEqual(self.tok.tokenize("A RED Circle, top-left!! zebra"),
                         ["a", "red", "circle", ",", "top", "-", "left", "!!", "zebra"])
        self.assertEqual(ids[:9], [v["a"], v["red"], v["circle"], v[","], v["top"], v["-"], v["left"], v[UNK], v[UNK]])
        self.assertEqual(len(ids), 512)
        self.assertEqual(len(mask), 512)
        self.assertEqual(mask[:9], [1] * 9)
        self.assertEqual(set(ids[9:]), {0})
        self.assertEqual(set(mask[9:]), {0})

    def test_empty_and_whitespace(self):
        for text in ("", "   \n\t "):
            ids, mask = self.tok.encode(text)
            self.assertEqual(ids, [0] * 512)
            self.assertEqual(mask, [0] * 512)

    def test_truncation(self):
        ids, mask = self.tok.encode("red " * 600)
        self.assertEqual(len(ids), 512)
        self.assertEqual(mask, [1] * 512)
        self.assertEqual(set(ids), {self.data["model"]["vocab"]["red"]})

    def test_special_tokens_in_raw_text(self):
        # added tokens are matched before normalisation, so "[PAD]" stays one token and "[pad]" does not
        self.assertEqual(self.tok.tokenize("red[PAD]blue [pad]"), ["red", "[PAD]", "blue", "[", "pad", "]"])


if __name__ == "__main__":
    unittest.main()
