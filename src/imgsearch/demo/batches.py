"""What the demo model trains on: a pool of preprocessed scenes and the batches drawn from it.

The pool holds each scene squashed to the model's input and one of its objects cut out
by its box (with random padding), so a box drawn around an object is a kind of image
the model has seen. A batch is images with one text each, plus *hard negatives* (texts
with one binding wrong) when asked for; :func:`truth` says which texts are true of
which images, from the atoms each claims and shows (:mod:`imgsearch.demo.captions`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from imgsearch.demo.captions import crop_atoms, crop_text, scene_atoms, scene_text
from imgsearch.demo.shapes import COLOURS, SHAPES, Scene, Thing, bounding_box, render, sample_scene
from imgsearch.pipeline import ordered_map


@dataclass
class Pool:
    scenes: list[Scene]
    full: NDArray[np.uint8]  # (n, size, size, 3): each scene, squashed to the model input
    crops: NDArray[np.uint8]  # (n, size, size, 3): one object of each scene, cut out by its box
    cropped: list[Thing]


def build_pool(seed: int, count: int, size: int, workers: int = 2) -> Pool:
    def draw(index: int) -> tuple[Scene, NDArray[np.uint8], NDArray[np.uint8], Thing]:
        rng = random.Random(f"train/{seed}/{index}")
        scene = sample_scene(rng)
        image = render(scene)
        thing = rng.choice(scene.things)
        x, y, w, h = bounding_box(thing, scene.width, scene.height)
        pad_x, pad_y = w * rng.uniform(0, 0.25), h * rng.uniform(0, 0.25)
        shift_x, shift_y = w * rng.uniform(-0.08, 0.08), h * rng.uniform(-0.08, 0.08)
        left = max(0, round(x - pad_x + shift_x))
        top = max(0, round(y - pad_y + shift_y))
        right = min(scene.width, round(x + w + pad_x + shift_x))
        bottom = min(scene.height, round(y + h + pad_y + shift_y))
        crop = image.crop((left, top, max(right, left + 2), max(bottom, top + 2)))
        squash = Image.Resampling.BICUBIC
        return (
            scene,
            np.asarray(image.resize((size, size), squash)),
            np.asarray(crop.resize((size, size), squash)),
            thing,
        )

    scenes, full, crops, cropped = [], [], [], []
    for future in ordered_map(draw, range(count), workers=workers, window=8 * workers):
        scene, whole, crop, thing = future.result()
        scenes.append(scene)
        full.append(whole)
        crops.append(crop)
        cropped.append(thing)
    return Pool(scenes, np.stack(full), np.stack(crops), cropped)


def draw_batch(
    pool: Pool, rng: random.Random, size: int, crop_share: float, hard_negatives: float
) -> tuple[NDArray[np.uint8], list[str], list[frozenset[str]], list[frozenset[str]]]:
    picks = [rng.randrange(len(pool.scenes)) for _ in range(size)]
    pixels, texts, text_atoms, image_atoms = [], [], [], []
    extra_texts: list[str] = []
    extra_atoms: list[frozenset[str]] = []
    for i in picks:
        cropped = rng.random() < crop_share
        if cropped:
            thing = pool.cropped[i]
            image, shown = pool.crops[i], crop_atoms(thing)
            text, claimed = crop_text(thing, rng)
        else:
            image, shown = pool.full[i], scene_atoms(pool.scenes[i])
            text, claimed = scene_text(pool.scenes[i], rng)
        pixels.append(image[:, ::-1] if rng.random() < 0.5 else image)
        texts.append(text)
        text_atoms.append(claimed)
        image_atoms.append(shown)
        hard = hard_negative(cropped, pool, i, rng, hard_negatives)
        if hard is not None:
            extra_texts.append(hard[0])
            extra_atoms.append(hard[1])
    texts, text_atoms = texts + extra_texts, text_atoms + extra_atoms
    return np.ascontiguousarray(np.stack(pixels)), texts, text_atoms, image_atoms


def hard_negative(
    cropped: bool, pool: Pool, i: int, rng: random.Random, share: float
) -> tuple[str, frozenset[str]] | None:
    """A text that is almost, but not, true of pool image ``i``: one binding is wrong.

    For a whole scene of several objects: one object's colour with another's shape
    (a combination the scene lacks). For a single object (a crop, or a scene of one):
    the object with its colour or its shape changed.
    """
    if rng.random() >= share:
        return None
    things = [pool.cropped[i]] if cropped else list(pool.scenes[i].things)
    present = {t.name for t in things}
    swaps = [
        replace(a, shape=b.shape)
        for a in things
        for b in things
        if a.colour != b.colour and a.shape != b.shape
    ]
    swaps = [t for t in swaps if t.name not in present]
    if not swaps:
        thing = rng.choice(things)
        if rng.random() < 0.5:
            swaps = [replace(thing, colour=c) for c in COLOURS if c != thing.colour]
        else:
            swaps = [replace(thing, shape=s) for s in SHAPES if s != thing.shape]
        swaps = [t for t in swaps if t.name not in present]
    return crop_text(rng.choice(swaps), rng) if swaps else None


def truth(texts: list[frozenset[str]], images: list[frozenset[str]]) -> NDArray[np.float32]:
    """``[t, i]`` = 1 when everything text ``t`` claims is shown by image ``i``.

    Text ``k < len(images)`` was written for image ``k`` (always a positive); texts
    past the images are hard negatives, true only where their atoms say so.
    """
    vocabulary = {atom: j for j, atom in enumerate(sorted(set().union(*texts, *images)))}
    claimed = np.zeros((len(texts), len(vocabulary)), np.float32)
    shown = np.zeros((len(images), len(vocabulary)), np.float32)
    for row, atoms in enumerate(texts):
        claimed[row, [vocabulary[a] for a in atoms]] = 1
    for row, atoms in enumerate(images):
        shown[row, [vocabulary[a] for a in atoms]] = 1
    truth: NDArray[np.float32] = (claimed @ (1 - shown).T == 0).astype(np.float32)
    np.fill_diagonal(truth, 1.0)
    return truth
