"""WordLevel tokenizer: writes a Hugging Face tokenizers `tokenizer.json` and reads/tokenises it in pure Python the
way the Rust library (0.21) does for this configuration: added special tokens matched in the raw text, Lowercase
normalizer, Whitespace pre-tokenizer (regex \\w+|[^\\w\\s]+), WordLevel lookup with [UNK], truncation then right
padding to a fixed length with [PAD] = 0."""
import json
import re
from typing import Dict, List, Tuple

PAD = "[PAD]"
UNK = "[UNK]"
SPECIAL = [PAD, UNK]

# A few hundred common English words for prompts: colours, shapes, positions, objects, scenes, styles.
WORDS = """
a an the and or of in on at to with without from by for over under above below behind beside between near far
left right top bottom middle center centre front back inside outside up down around through across along next
corner edge side upper lower foreground background
is are was be has have this that these those it its there here very more most less small large big tiny huge
little long short tall wide narrow thin thick round square flat sharp soft smooth rough bright dark light pale
deep vivid shiny matte glowing old new young ancient modern
red orange yellow green blue purple violet pink brown black white gray grey gold silver cyan magenta teal navy
beige turquoise crimson colorful colourful monochrome rainbow
circle square triangle rectangle star heart cube sphere cone cylinder pyramid line lines dot dots stripe stripes
grid spiral ring wave waves pattern shape shapes
one two three four five six seven eight nine ten many few several some all single double pair group
cat cats dog dogs bird birds fish horse cow sheep rabbit fox bear lion tiger elephant mouse owl butterfly dragon
man woman person people child children boy girl face eyes hand hands hair smile portrait
tree trees flower flowers grass leaf leaves forest garden field mountain mountains hill river lake sea ocean
beach island desert snow ice rain cloud clouds sky sun moon stars night day sunset sunrise morning evening
fog storm water fire rock rocks stone sand
house houses building city street road bridge tower castle window door wall roof room kitchen table chair bed
lamp car bus train boat ship plane bicycle clock book cup bottle box ball hat shoe shirt dress glasses
apple banana orange cake bread coffee tea pizza
photo photograph painting drawing sketch illustration render art style watercolor oil pencil pixel cartoon anime
realistic photorealistic abstract minimal minimalist detailed cinematic vintage retro neon pastel studio
lighting shadow shadows reflection texture view close closeup macro wide angle aerial
sitting standing running walking flying swimming holding wearing looking eating playing sleeping reading
happy sad calm quiet beautiful cute scary simple
high quality resolution sharp focus blurry bokeh
""".split()
PUNCT = [".", ",", "!", "?", ":", ";", "'", "\"", "-", "(", ")", "/", "&", "..."]


def default_vocab() -> Dict[str, int]:
    vocab: Dict[str, int] = {}
    for tok in SPECIAL + WORDS + PUNCT:
        if tok not in vocab:
            vocab[tok] = len(vocab)
    return vocab


# Chat-template markers of the real encoders (llm.prompt_template) and the words of the Mistral system message, so
# that tiny packages with LLM-style encoders tokenise their templates into real ids (markers as added tokens).
CHAT_SPECIAL = {
    "qwen3": ["<|im_start|>", "<|im_end|>", "<think>", "</think>"],
    "mistral": ["<s>", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[INST]", "[/INST]"],
}
CHAT_WORDS = {
    "qwen3": ["user", "assistant"],
    "mistral": "you ai reasons about image descriptions give structured responses focusing object relationships "
               "attribution actions speculation".split(),
}


def chat_vocab(kind: str) -> Dict[str, int]:
    """default_vocab() plus the template markers and words of an LLM kind ("qwen3" | "mistral")."""
    vocab = default_vocab()
    for tok in CHAT_SPECIAL[kind] + CHAT_WORDS[kind]:
        if tok not in vocab:
            vocab[tok] = len(vocab)
    return vocab


def tokenizer_json(vocab: Dict[str, int], max_length: int = 512, special: List[str] = None,
                   padding_side: str = "right") -> dict:
    if vocab.get(PAD) != 0 or UNK not in vocab:
        raise ValueError("vocab needs [PAD]=0 and [UNK]")
    added = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for t in SPECIAL + list(special or [])]
    return {
        "version": "1.0",
        "truncation": {"direction": "Right", "max_length": max_length, "strategy": "LongestFirst", "stride": 0},
        "padding": {"strategy": {"Fixed": max_length}, "direction": padding_side.capitalize(),
                    "pad_to_multiple_of": None,
                    "pad_id": vocab[PAD], "pad_type_id": 0, "pad_token": PAD},
        "added_tokens": added,
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": UNK},
    }


def write_tokenizer(path: str, vocab: Dict[str, int], max_length: int = 512, special: List[str] = None,
                    padding_side: str = "right") -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(vocab, max_length, special, padding_side), f, ensure_ascii=False, indent=2)
        f.write("\n")


_WORD_RE = re.compile(r"\w+|[^\w\s]+")


class WordLevelTokenizer:
    """Reads a tokenizer.json written by write_tokenizer and encodes like the Rust library."""

    def __init__(self, data: dict):
        model = data["model"]
        if model.get("type") != "WordLevel":
            raise ValueError("only WordLevel tokenizer.json files are supported")
        self.vocab: Dict[str, int] = dict(model["vocab"])
        self.unk_id = self.vocab[model["unk_token"]]
        self.added: List[str] = sorted((t["content"] for t in data.get("added_tokens", [])), key=len, reverse=True)
        self.lowercase = (data.get("normalizer") or {}).get("type") == "Lowercase"
        pad = data.get("padding") or {}
        trunc = data.get("truncation") or {}
        self.max_length = int(trunc["max_length"]) if trunc else None
        fixed = (pad.get("strategy") or {}).get("Fixed") if isinstance(pad.get("strategy"), dict) else None
        self.pad_length = int(fixed) if fixed is not None else None
        self.pad_id = int(pad.get("pad_id", 0))
        self.padding_side = str(pad.get("direction", "Right")).lower()

    @staticmethod
    def from_file(path: str) -> "WordLevelTokenizer":
        with open(path, encoding="utf-8") as f:
            return WordLevelTokenizer(json.load(f))

    def tokenize(self, text: str) -> List[str]:
        """Pieces before id lookup (added tokens kept verbatim)."""
        pieces: List[str] = []
        if self.added:
            parts = re.split("(" + "|".join(re.escape(t) for t in self.added) + ")", text)
        else:
            parts = [text]
        for i, part in enumerate(parts):
            if i % 2 == 1:
                pieces.append(part)
            elif part:
                norm = part.lower() if self.lowercase else part
                pieces.extend(_WORD_RE.findall(norm))
        return pieces

    def encode(self, text: str, pad: bool = True) -> Tuple[List[int], List[int]]:
        """-> (input_ids, attention_mask), truncated (right) and, with pad, padded per the json (either side)."""
        ids = [self.vocab.get(p, self.unk_id) for p in self.tokenize(text)]
        if self.max_length is not None:
            ids = ids[: self.max_length]
        mask = [1] * len(ids)
        if pad and self.pad_length is not None and len(ids) < self.pad_length:
            n = self.pad_length - len(ids)
            if self.padding_side == "left":
                ids = [self.pad_id] * n + ids
                mask = [0] * n + mask
            else:
                ids = ids + [self.pad_id] * n
                mask = mask + [0] * n
        return ids, mask
