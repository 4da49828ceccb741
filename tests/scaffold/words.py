"""Pictures with words in them, and the words: the ground truth for reading text (OCR).

Each picture holds 1–4 lines of 1–3 made-up words (letter–vowel patterns, some with
digits, so no dictionary helps the reader) drawn with one of Debian's DejaVu fonts
(the only fonts these tests may rely on) onto a background of one of four kinds:

- ``plain``: one light colour;
- ``noisy``: a light colour with grain;
- ``gradient``: a smooth photo-like wash of colours (text in a darker tone);
- ``photo``: smooth shapes and gradients, words on a translucent band (a caption, a sign).

A picture is ``rotated`` (the whole canvas turned 5–15° either way) or not, and its
text is ``small`` (14–20 px cap height on an 800-px picture) or ``large`` (28–64 px).
The same seed gives the same pictures.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf")
BACKGROUNDS = ("plain", "noisy", "gradient", "photo")
TRUTH = "words.json"
_CONSONANTS = "bcdfghjklmnprstvwz"
_VOWELS = "aeiou"


@dataclass(frozen=True)
class WordPicture:
    """One generated picture: its file (relative to the collection), the words it shows
    line by line, and how it was drawn."""

    file: str
    lines: list[list[str]]
    background: str
    rotated: float
    size: str
    font: str

    @property
    def words(self) -> list[str]:
        return [word for line in self.lines for word in line]


def made_up_word(rng: random.Random) -> str:
    """A pronounceable non-word of 4–9 letters, sometimes with a number, sometimes
    capitalised (``Bolivek``, ``tamuro``, ``KESAN``, ``ridol4711``)."""
    word = "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(rng.randint(2, 4)))
    if rng.random() < 0.3:
        word = word[: rng.randint(3, len(word))] + rng.choice(_CONSONANTS)
    if rng.random() < 0.2:
        word += str(rng.randint(2, 9999))
    style = rng.random()
    return word.upper() if style < 0.15 else word.capitalize() if style < 0.5 else word


def draw_picture(rng: random.Random, file: str) -> tuple[Image.Image, WordPicture]:
    width, height = rng.choice(((800, 600), (800, 533), (640, 800), (800, 800)))
    background = rng.choice(BACKGROUNDS)
    size = rng.choice(("small", "large", "large"))
    rotated = rng.choice((0.0, 0.0, 0.0, rng.uniform(5, 15) * rng.choice((-1, 1))))
    font_file = rng.choice(FONT_FILES)
    picture = _background(background, width, height, rng)
    draw = ImageDraw.Draw(picture, "RGBA")
    px = rng.randint(14, 20) if size == "small" else rng.randint(28, 64)
    font = ImageFont.truetype(str(FONTS / font_file), round(px * 1.4))  # cap height ≈ px
    lines: list[list[str]] = []
    y = rng.randint(int(height * 0.08), int(height * 0.25))
    for _ in range(rng.randint(1, 4)):
        words = [made_up_word(rng) for _ in range(rng.randint(1, 3))]
        text = " ".join(words)
        left, top, right, bottom = (round(v) for v in draw.textbbox((0, 0), text, font=font))
        if right - left > width * 0.9 or y + bottom > height * 0.92:
            break
        x = rng.randint(int(width * 0.05), int(width * 0.95) - (right - left))
        if background == "photo":
            draw.rectangle(
                (x - 8, y + top - 6, x + right + 8, y + bottom + 6), (255, 255, 255, 190)
            )
        ink = _ink(rng, background)
        draw.text((x, y), text, font=font, fill=ink)
        lines.append(words)
        y += int((bottom - top) * rng.uniform(1.6, 2.4))
    if rotated:
        picture = picture.rotate(rotated, resample=Image.Resampling.BICUBIC, expand=True,
                                 fillcolor=picture.getpixel((0, 0)))  # fmt: skip
    return picture, WordPicture(file, lines, background, round(rotated, 1), size, font_file)


def generate_word_pictures(out: Path, count: int, seed: int) -> list[WordPicture]:
    """Write ``count`` pictures (PNG and JPEG) under ``out/images`` and their words to
    ``out/words.json``; the list, in order."""
    (out / "images").mkdir(parents=True, exist_ok=True)
    pictures: list[WordPicture] = []
    n = 0
    while len(pictures) < count:  # (a draw whose first line did not fit is skipped)
        rng = random.Random(f"words/{seed}/{n}")
        n += 1
        suffix = rng.choice((".png", ".jpg"))
        image, truth = draw_picture(rng, f"images/words-{n:05d}{suffix}")
        if not truth.lines:
            continue
        if suffix == ".jpg":
            image.convert("RGB").save(out / truth.file, quality=88)
        else:
            image.save(out / truth.file)
        pictures.append(truth)
    (out / TRUTH).write_text(json.dumps([asdict(p) for p in pictures], indent=1), "utf-8")
    return pictures


def load_word_pictures(out: Path) -> list[WordPicture]:
    return [WordPicture(**entry) for entry in json.loads((out / TRUTH).read_text("utf-8"))]


def _background(kind: str, width: int, height: int, rng: random.Random) -> Image.Image:
    tone = tuple(rng.randint(215, 250) for _ in range(3))
    if kind in ("plain", "noisy"):
        picture = Image.new("RGB", (width, height), tone)
        if kind == "noisy":
            grain = np.random.default_rng(rng.randrange(2**32)).normal(0, 14, (height, width, 3))
            noisy = np.clip(np.asarray(picture, np.float32) + grain, 0, 255).astype(np.uint8)
            picture = Image.fromarray(noisy)
        return picture
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    channels = []
    for _ in range(3):
        fx, fy, phase = rng.uniform(0.3, 2.5), rng.uniform(0.3, 2.5), rng.uniform(0, 6.28)
        wave = np.sin(x / width * fx * 3.14 + y / height * fy * 3.14 + phase)
        channels.append(175 + 60 * wave if kind == "gradient" else 127 + 110 * wave)
    picture = Image.fromarray(np.clip(np.stack(channels, -1), 0, 255).astype(np.uint8))
    if kind == "photo":
        draw = ImageDraw.Draw(picture)
        for _ in range(rng.randint(3, 8)):
            cx, cy, r = rng.randrange(width), rng.randrange(height), rng.randint(20, width // 3)
            colour = tuple(rng.randint(0, 255) for _ in range(3))
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
        picture = picture.filter(ImageFilter.GaussianBlur(rng.uniform(1, 4)))
    return picture


def _ink(rng: random.Random, background: str) -> tuple[int, int, int]:
    if background == "gradient":
        return (rng.randint(0, 50), rng.randint(0, 50), rng.randint(20, 80))
    return (rng.randint(0, 60), rng.randint(0, 60), rng.randint(0, 60))
