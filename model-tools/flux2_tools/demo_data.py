"""Procedural data of the demo model (packages/demo): flat-colour images of one or two shapes on a plain
background, captions from templates, and editing triples (source image, instruction, target image).

A scene is a background colour and up to two shapes; each shape has a class (circle, square, triangle), a colour
(COLOURS), a size (small, medium, large) and a position on a 3x3 grid (POSITIONS), plus a small pixel jitter.
Everything is drawn from a `random.Random(seed)`, so a seed gives the same scene, caption and pixels on any machine.

    from flux2_tools import demo_data as D
    rng = random.Random(7)
    scene = D.random_scene(rng)
    D.caption(scene, rng)          # "a small red circle at the top left on a blue background"
    D.render(scene)                # uint8 [128,128,3]
    src, text, tgt = D.random_edit(rng)

Positions are the cells of a 3x3 grid over the image (the evaluator, demo_eval.py, reads them back the same way);
a shape's bounding-box centre is its cell centre plus at most JITTER pixels. Sizes are the side of the bounding
box: small 24, medium 30, large 36 px at 128x128, scaled with the image side (large is the most that keeps shapes in
neighbouring cells 2 px apart; small is as large as it can be while still telling sizes apart)."""
import math
import random
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

SIDE = 128  # training resolution

# name -> RGB. Chosen far apart in RGB so that the nearest named colour of a slightly-off pixel is unambiguous.
COLOURS: Dict[str, Tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "orange": (245, 140, 15),
    "yellow": (245, 225, 35),
    "green": (35, 170, 55),
    "cyan": (30, 215, 230),
    "blue": (35, 65, 215),
    "purple": (135, 45, 180),
    "pink": (250, 135, 205),
    "white": (245, 245, 245),
    "black": (25, 25, 25),
}
COLOUR_NAMES = list(COLOURS)
CLASSES = ["circle", "square", "triangle"]
SIZES = {"small": 24, "medium": 30, "large": 36}
SIZE_NAMES = list(SIZES)
# 3x3 grid cells, (row, col), named as the evaluator reports them
POSITIONS = ["top-left", "top", "top-right", "left", "centre", "right", "bottom-left", "bottom", "bottom-right"]
POSITION_CELL = {p: (i // 3, i % 3) for i, p in enumerate(POSITIONS)}
JITTER = 2

# how captions and instructions say a position
POSITION_PHRASES: Dict[str, List[str]] = {
    "top-left": ["at the top left", "in the top left corner", "in the top left"],
    "top": ["at the top", "at the top centre", "at the top middle"],
    "top-right": ["at the top right", "in the top right corner", "in the top right"],
    "left": ["on the left", "at the left", "on the left side"],
    "centre": ["in the centre", "in the center", "in the middle"],
    "right": ["on the right", "at the right", "on the right side"],
    "bottom-left": ["at the bottom left", "in the bottom left corner", "in the bottom left"],
    "bottom": ["at the bottom", "at the bottom centre", "at the bottom middle"],
    "bottom-right": ["at the bottom right", "in the bottom right corner", "in the bottom right"],
}
# "move the circle ..."
MOVE_PHRASES: Dict[str, List[str]] = {
    "top-left": ["to the top left", "to the top left corner"],
    "top": ["to the top", "to the top centre"],
    "top-right": ["to the top right", "to the top right corner"],
    "left": ["to the left", "to the left side"],
    "centre": ["to the centre", "to the center", "to the middle"],
    "right": ["to the right", "to the right side"],
    "bottom-left": ["to the bottom left", "to the bottom left corner"],
    "bottom": ["to the bottom", "to the bottom centre"],
    "bottom-right": ["to the bottom right", "to the bottom right corner"],
}
SIZE_WORDS = {"small": ["small", "little"], "medium": ["", "medium"], "large": ["large", "big"]}
EDIT_KINDS = ["recolour", "move", "background", "add"]


@dataclass(frozen=True)
class Shape:
    cls: str
    colour: str
    size: str
    position: str
    dx: int = 0  # jitter in pixels at SIDE (scaled with the image)
    dy: int = 0

    def describe(self) -> dict:
        return {"colour": self.colour, "class": self.cls, "position": self.position}


@dataclass(frozen=True)
class Scene:
    background: str
    shapes: Tuple[Shape, ...] = field(default_factory=tuple)

    def describe(self) -> dict:
        """What the evaluator should read back: {background, shapes: [{colour, class, position}]}."""
        return {"background": self.background, "shapes": [s.describe() for s in self.shapes]}


# ---------------------------------------------------------------------------------------------------------------
# scenes

def random_shape(rng: random.Random, background: str, taken: Sequence[str] = (),
                 others: Sequence[Shape] = ()) -> Shape:
    """A shape whose colour differs from the background, at a free position, distinguishable from `others`
    (differs in class or colour, so "the red circle" names exactly one shape)."""
    while True:
        cls = rng.choice(CLASSES)
        colour = rng.choice([c for c in COLOUR_NAMES if c != background])
        if all(o.cls != cls or o.colour != colour for o in others):
            break
    size = rng.choice(SIZE_NAMES)
    position = rng.choice([p for p in POSITIONS if p not in taken])
    return Shape(cls, colour, size, position, rng.randint(-JITTER, JITTER), rng.randint(-JITTER, JITTER))


def random_scene(rng: random.Random, n_shapes: Optional[int] = None, p_two: float = 0.4) -> Scene:
    background = rng.choice(COLOUR_NAMES)
    if n_shapes is None:
        n_shapes = 2 if rng.random() < p_two else 1
    shapes: List[Shape] = []
    for _ in range(n_shapes):
        shapes.append(random_shape(rng, background, [s.position for s in shapes], shapes))
    return Scene(background, tuple(shapes))


# ---------------------------------------------------------------------------------------------------------------
# captions

def _size_word(rng: random.Random, size: str) -> str:
    w = rng.choice(SIZE_WORDS[size])
    return w + " " if w else ""


def shape_phrase(rng: random.Random, s: Shape, always_position: bool) -> str:
    """"a small red circle at the top left"; a centred shape may omit its position unless always_position."""
    text = f"a {_size_word(rng, s.size)}{s.colour} {s.cls}"
    if s.position != "centre" or always_position or rng.random() < 0.5:
        text += " " + rng.choice(POSITION_PHRASES[s.position])
    return text


def caption(scene: Scene, rng: random.Random) -> str:
    """One of several templates; a lone shape without a position phrase is in the centre."""
    bg = scene.background
    if not scene.shapes:
        return rng.choice([f"a {bg} background", f"a plain {bg} background", f"an empty {bg} background"])
    two = len(scene.shapes) == 2
    parts = [shape_phrase(rng, s, two) for s in scene.shapes]
    things = " and ".join(parts)
    k = rng.randrange(3)
    if k == 0:
        return f"{things} on a {bg} background"
    if k == 1:
        return f"a {bg} background with {things}"
    return f"{things}, {bg} background"


def canonical_caption(scene: Scene) -> str:
    """The plainest template (first choices): 'a red circle on a blue background' for a centred medium shape."""
    bg = scene.background
    parts = []
    for s in scene.shapes:
        size = {"small": "small ", "medium": "", "large": "large "}[s.size]
        text = f"a {size}{s.colour} {s.cls}"
        if s.position != "centre" or len(scene.shapes) > 1:
            text += " " + POSITION_PHRASES[s.position][0]
        parts.append(text)
    if not parts:
        return f"a {bg} background"
    return " and ".join(parts) + f" on a {bg} background"


# ---------------------------------------------------------------------------------------------------------------
# editing

def _ref(rng: random.Random, s: Shape, scene: Scene) -> str:
    """How an instruction names shape s: "circle" when its class is unique in the scene, else "red circle"."""
    unique = sum(1 for o in scene.shapes if o.cls == s.cls) == 1
    if unique and rng.random() < 0.6:
        return s.cls
    return f"{s.colour} {s.cls}"


def edit_scene(rng: random.Random, src: Scene, kind: str) -> Tuple[str, Scene]:
    """(instruction, target scene) for an edit of `kind` on src; everything not named stays as it is."""
    shapes = list(src.shapes)
    if kind == "background":
        used = {s.colour for s in shapes} | {src.background}
        new = rng.choice([c for c in COLOUR_NAMES if c not in used])
        text = rng.choice([f"change the background to {new}", f"make the background {new}",
                           f"turn the background {new}", f"change the background colour to {new}",
                           f"change the background color to {new}"])
        return text, Scene(new, src.shapes)
    if kind == "add":
        new = random_shape(rng, src.background, [s.position for s in shapes], shapes)
        text = rng.choice(["add ", "also draw ", "put "]) + shape_phrase(rng, new, True)
        return text, Scene(src.background, tuple(shapes + [new]))
    i = rng.randrange(len(shapes))
    s = shapes[i]
    name = _ref(rng, s, src)
    if kind == "recolour":
        others = [o for j, o in enumerate(shapes) if j != i]
        choices = [c for c in COLOUR_NAMES if c not in (src.background, s.colour)
                   and all(o.cls != s.cls or o.colour != c for o in others)]
        new = rng.choice(choices)
        text = rng.choice([f"make the {name} {new}", f"turn the {name} {new}", f"paint the {name} {new}",
                           f"change the {name} to {new}", f"change the colour of the {name} to {new}",
                           f"change the color of the {name} to {new}"])
        shapes[i] = replace(s, colour=new)
        return text, Scene(src.background, tuple(shapes))
    if kind == "move":
        taken = {o.position for o in shapes}
        new = rng.choice([p for p in POSITIONS if p not in taken])
        text = rng.choice(["move the ", "put the ", "shift the "]) + name + " " + rng.choice(MOVE_PHRASES[new])
        shapes[i] = replace(s, position=new)
        return text, Scene(src.background, tuple(shapes))
    raise ValueError(f"unknown edit kind {kind}")


def random_edit(rng: random.Random, kind: Optional[str] = None) -> Tuple[Scene, str, Scene]:
    """(source scene, instruction, target scene). Sources have one shape (two for some recolour/move/background
    edits); "add" turns one shape into two."""
    kind = kind or rng.choice(EDIT_KINDS)
    n = 1 if kind == "add" else (2 if rng.random() < 0.3 else 1)
    src = random_scene(rng, n_shapes=n)
    text, tgt = edit_scene(rng, src, kind)
    return src, text, tgt


# ---------------------------------------------------------------------------------------------------------------
# pixels

def shape_mask(s: Shape, side: int = SIDE, supersample: int = 2) -> np.ndarray:
    """float32 [side, side] coverage in [0,1] (supersample x supersample samples per pixel). Only the pixels of the
    shape's bounding box (plus one) are sampled: every sample is computed exactly as over the whole image, the
    rest is zero, and drawing the training pools takes a fraction of the time."""
    scale = side / SIDE
    row, col = POSITION_CELL[s.position]
    cx = (col + 0.5) * side / 3 + s.dx * scale
    cy = (row + 0.5) * side / 3 + s.dy * scale
    half = SIZES[s.size] * scale / 2
    x0, x1 = max(0, math.floor(cx - half) - 1), min(side, math.ceil(cx + half) + 1)
    y0, y1 = max(0, math.floor(cy - half) - 1), min(side, math.ceil(cy + half) + 1)
    cov = np.zeros((side, side), dtype=np.float32)
    if x0 >= x1 or y0 >= y1:
        return cov
    ys = (np.arange(y0 * supersample, y1 * supersample, dtype=np.float64) + 0.5) / supersample  # pixel units
    xs = (np.arange(x0 * supersample, x1 * supersample, dtype=np.float64) + 0.5) / supersample
    y, x = np.meshgrid(ys, xs, indexing="ij")
    if s.cls == "circle":
        inside = (x - cx) ** 2 + (y - cy) ** 2 <= half * half
    elif s.cls == "square":
        inside = (np.abs(x - cx) <= half) & (np.abs(y - cy) <= half)
    elif s.cls == "triangle":  # pointing up; bounding box 2*half wide and 2*half high
        top, bottom = cy - half, cy + half
        frac = (y - top) / (bottom - top)
        inside = (y >= top) & (y <= bottom) & (np.abs(x - cx) <= frac * half)
    else:
        raise ValueError(f"unknown shape class {s.cls}")
    cov[y0:y1, x0:x1] = inside.astype(np.float32).reshape(y1 - y0, supersample, x1 - x0, supersample).mean(axis=(1, 3))
    return cov


def render(scene: Scene, side: int = SIDE) -> np.ndarray:
    """uint8 [side, side, 3]: background, then the shapes in order, antialiased by 2x2 supersampling."""
    img = np.empty((side, side, 3), dtype=np.float32)
    img[:] = np.array(COLOURS[scene.background], dtype=np.float32)
    for s in scene.shapes:
        a = shape_mask(s, side)[:, :, None]
        img = img * (1 - a) + np.array(COLOURS[s.colour], dtype=np.float32) * a
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def to_tensor_array(rgb: np.ndarray) -> np.ndarray:
    """uint8 [H,W,3] -> float32 [3,H,W] in [-1,1], the reference pipeline's float32(p) / 255 * 2 - 1."""
    return (rgb.astype(np.float32).transpose(2, 0, 1) / np.float32(255.0) * np.float32(2.0) - np.float32(1.0))


# ---------------------------------------------------------------------------------------------------------------
# vocabulary

def vocabulary() -> List[str]:
    """Every word the captions and instructions use (sorted), plus a few common synonyms."""
    words = set()
    for text in _all_template_words():
        words.update(text.split())
    return sorted(words)


def _all_template_words() -> List[str]:
    out = list(COLOUR_NAMES) + list(CLASSES) + SIZE_NAMES
    for v in SIZE_WORDS.values():
        out += [w for w in v if w]
    for v in list(POSITION_PHRASES.values()) + list(MOVE_PHRASES.values()):
        out += v
    out += ["a an on with and background plain empty", "change the to make turn paint colour color of",
            "add also draw put move shift", "grey gray brown shape shapes image picture colored coloured",
            "corner side center centre middle upper lower",
            "circles squares triangles one two"]
    return out


PUNCTUATION = [",", "."]
