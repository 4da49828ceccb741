"""A scratch home holding every file the README's examples name, so they run as printed.

A reader's ``~/Pictures`` is a generated collection of labelled shapes with the names the
examples use (``dog.jpg``, ``IMG_0042.jpg``, ``2023/``); ``~/dataset`` and ``~/VOC2012``
the same objects as COCO, YOLO and Pascal VOC files; ``~/Videos``, ``~/Documents`` and
``~/Scans`` a generated video, a PDF and pictures with printed words; the working folder
the example images (``street.jpg``, ``pool.jpg`` …), a detector (``yolo11n.onnx``: an
ONNX graph with the Ultralytics export's interface), a model folder (``my-model``: the
shipped demo model's files) and two files of labelled queries of ``~/Pictures``.
``~/my-index`` is an index of ``~/Pictures``, as a reader's own index would be.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from imgsearch import Index
from imgsearch.demo.collection import ANNOTATIONS, IMAGES, generate_collection
from imgsearch.demo.queries import write_query_files
from imgsearch.models.catalog import bundled_folder
from tests.kinds.pdfs import write_pdf
from tests.regions.annotations.writers import write_yolo_and_voc
from tests.regions.detector.graphs import colour_detector
from tests.scaffold.words import FONT_FILES, FONTS, generate_word_pictures

MODEL = "demo-shapes"


def build_world(home: Path) -> Path:
    """Fill ``home``; return the working folder the examples run in (``~/work``)."""
    pictures = generate_collection(home / "Pictures", 60, seed=11)
    images = sorted(pictures.root.glob(f"{IMAGES}/*.jpg"))
    for name, source in (("dog.jpg", 0), ("IMG_0042.jpg", 1), ("2023/beach.jpg", 2)):
        (pictures.root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(images[source], pictures.root / name)
    (pictures.root / "2024").mkdir()
    shutil.copy(images[3], pictures.root / "2024" / "copy-of-a-shape.jpg")  # a duplicate
    evaluate, fit = write_query_files(pictures)
    phone = home / "Phone"
    phone.mkdir()
    for n, source in enumerate(images[4:7]):
        Image.open(source).rotate(90 * (n + 1), expand=True).save(phone / f"PXL_{n:04d}.jpg")

    dataset = generate_collection(home / "dataset", 24, seed=12, mode="scenes")
    write_yolo_and_voc(dataset.root / ANNOTATIONS, dataset.root)
    voc = home / "VOC2012"
    shutil.copytree(dataset.root / IMAGES, voc / "JPEGImages")
    shutil.move(dataset.root / "Annotations", voc / "Annotations")

    from imgsearch.demo.moments import generate_videos

    generate_videos(home / "Videos", 2, seed=3, k=0)
    documents = home / "Documents"
    documents.mkdir()
    write_pdf(documents / "catalogue.pdf", [Image.open(path) for path in images[7:10]])
    generate_word_pictures(home / "Scans", 3, seed=4)
    _invoice(home / "Scans" / "invoice-4711.png")

    work = home / "work"
    (work / "examples").mkdir(parents=True)
    for name, source in (
        ("street.jpg", 10),
        ("pool.jpg", 11),
        ("photo.jpg", 12),
        ("car.jpg", 13),
        ("swatch.jpg", 14),
        ("a.jpg", 15),
        ("c.jpg", 16),
        ("examples/bus.jpg", 17),
    ):  # fmt: skip  (photo-sized, so that the examples' boxes fall inside them)
        Image.open(images[source]).resize((640, 480)).save(work / name)
    Image.open(images[18]).resize((640, 480)).save(work / "b.png")
    shutil.copy(home / "Scans" / "invoice-4711.png", work / "form.png")
    colour_detector(work / "yolo11n.onnx")
    shutil.copytree(bundled_folder(MODEL), work / "my-model")
    _moved_queries(evaluate, work / "queries.jsonl")  # a reader's labelled queries
    _moved_queries(fit, work / "other-queries.jsonl")
    with Index.open(home / "my-index", model=MODEL, create=True) as index:
        index.update([pictures.root])
    return work


def _invoice(path: Path) -> None:
    picture = Image.new("RGB", (640, 360), (250, 250, 245))
    draw = ImageDraw.Draw(picture)
    font = ImageFont.truetype(str(FONTS / FONT_FILES[0]), 44)
    draw.text((40, 60), "ACME GmbH", font=font, fill=(20, 20, 30))
    draw.text((40, 160), "INVOICE 4711", font=font, fill=(20, 20, 30))
    draw.text((40, 260), "Bahnhofstr. 12", font=font, fill=(20, 20, 30))
    picture.save(path)


def _moved_queries(source: Path, target: Path) -> None:
    """The labelled queries of ``source`` in a file at ``target``: its paths (relative to
    the file's folder) rewritten to name the same images from there."""

    def moved(path: str) -> str:
        return os.path.relpath(source.parent / path, target.parent)

    lines = []
    for line in source.read_text().splitlines():
        query = json.loads(line)
        if "image" in query:
            query["image"] = moved(query["image"])
        query["relevant"] = [moved(path) for path in query["relevant"]]
        lines.append(json.dumps(query) + "\n")
    target.write_text("".join(lines))
