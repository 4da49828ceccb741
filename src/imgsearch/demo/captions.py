"""The texts the demo model learns from: many phrasings of a scene, and what each claims.

A caption may say less than the picture shows ("a red circle" of a scene with a red
circle and a blue star) but never more: every text comes with the atoms it claims, and
training treats an image as a match for a text when the image holds all of them.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from imgsearch.demo.shapes import (
    COLOURS,
    SHAPES,
    SIZES,
    TONES,
    Scene,
    Thing,
    describe_things,
    sample_scene,
)
from imgsearch.models.vocabulary import Vocabulary

PREFIXES = ("a photo of ", "an image of ", "a picture of ", "an image with ")
FILLER = (
    "a",
    "an",
    "and",
    "on",
    "of",
    "with",
    "photo",
    "image",
    "picture",
    "something",
    "shape",
    "to",
)
"""Words the phrasings wrap around what a text describes: a text of only these (and words
the model never saw) says nothing to the model."""


def scene_atoms(scene: Scene) -> frozenset[str]:
    """Every statement a caption may make about the whole scene."""
    atoms = {f"bg:{scene.background.describe()}"}
    for thing in scene.things:
        atoms |= _thing_atoms(thing, sized=True)
    return frozenset(atoms)


def crop_atoms(thing: Thing) -> frozenset[str]:
    """What a box around ``thing`` shows (its size is relative to a scene, so not that)."""
    return frozenset(_thing_atoms(thing, sized=False))


def _thing_atoms(thing: Thing, *, sized: bool) -> set[str]:
    atoms = {thing.name, thing.shape, thing.colour}
    return atoms | {f"{thing.size} {thing.name}"} if sized else atoms


def scene_text(scene: Scene, rng: random.Random) -> tuple[str, frozenset[str]]:
    """One phrasing of what ``scene`` shows, and the atoms it claims."""
    things = list(scene.things)
    rng.shuffle(things)
    roll = rng.random()
    background = f"bg:{scene.background.describe()}"
    if roll < 0.25:
        return scene.caption, frozenset({background} | {f"{t.size} {t.name}" for t in scene.things})
    if roll < 0.45:
        text = _listing(things, rng)
        if rng.random() < 0.5:
            return f"{text} on {scene.background.describe()}", frozenset(
                {background} | {t.name for t in things}
            )
        return _prefixed(text, rng), frozenset(t.name for t in things)
    if roll < 0.85:
        chosen = things[: 2 if roll >= 0.75 and len(things) > 1 else 1]
        return _prefixed(_listing(chosen, rng), rng), frozenset(t.name for t in chosen)
    thing = things[0]
    if roll < 0.93:
        return _prefixed(rng.choice((f"a {thing.shape}", thing.shape)), rng), frozenset(
            {thing.shape}
        )
    return rng.choice(
        (f"something {thing.colour}", f"a {thing.colour} shape", thing.colour)
    ), frozenset({thing.colour})


def crop_text(thing: Thing, rng: random.Random) -> tuple[str, frozenset[str]]:
    return _prefixed(_listing([thing], rng), rng), frozenset({thing.name})


def _listing(things: Sequence[Thing], rng: random.Random) -> str:
    if rng.random() < 0.35:
        return " and ".join(t.name for t in things)
    return describe_things(things, sizes=False)


def _prefixed(text: str, rng: random.Random) -> str:
    return rng.choice(PREFIXES) + text if rng.random() < 0.25 else text


def training_vocabulary(scenes: int = 2000) -> Vocabulary:
    """Every word the demo model's training texts use: each phrasing of ``scenes`` scenes
    and crops, and the word lists they draw from (written into the model's manifest)."""
    rng = random.Random("vocabulary")
    texts = [*PREFIXES, *COLOURS, *SHAPES, *TONES, *SIZES]
    for number in range(scenes):
        scene = sample_scene(random.Random(f"vocabulary/{number}"))
        texts.append(scene.caption)
        texts += [scene_text(scene, rng)[0] for _ in range(4)]
        texts += [crop_text(thing, rng)[0] for thing in scene.things]
    return Vocabulary.of(texts, FILLER, slots=(COLOURS, SHAPES))
