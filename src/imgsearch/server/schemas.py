"""The bodies of the /v1 API: what requests may hold (with every limit) and what answers hold.

Every string a client sends is bounded and must be valid Unicode: JSON can carry lone
surrogates (``"\\ud800"``) that no database or tokenizer accepts.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

from imgsearch.kinds import NAMES
from imgsearch.query.expression import REGION_SOURCES
from imgsearch.server.previews import MAX_PREVIEWS
from imgsearch.server.settings import MAX_IMAGE_BYTES, MAX_TEXT_CHARS
from imgsearch.store.records import MAX_DIMENSION, MAX_FILTER_VALUES, MAX_TEXT_PHRASE

MAX_ID = 2**63 - 1  # SQLite's largest integer


def _unicode(text: str) -> str:
    """JSON can carry lone surrogates (``"\\ud800"``), which no UTF-8 encoder accepts."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("is not valid Unicode text (it holds a lone surrogate)") from None
    return text


def _not_bool(value: object) -> object:
    """JSON's ``true`` and ``false`` are not numbers (Python would read them as 1 and 0)."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


def _written_day(value: object) -> object:
    """A date comes as ``YYYY-MM-DD`` text, not as a number of seconds or days."""
    if isinstance(value, bool | int | float):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


Number = Annotated[float, BeforeValidator(_not_bool)]
"""A number in a request: an integer or a decimal, never ``true``/``false``."""
Day = Annotated[dt.date, BeforeValidator(_written_day)]

MAX_PARTS = 16  # of one query, counting those of its expression (q)
MAX_WEIGHT = 100.0

Text = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS), AfterValidator(_unicode)]
Folder = Annotated[str, StringConstraints(max_length=4096), AfterValidator(_unicode)]
Source = Annotated[str, StringConstraints(pattern=f"^({'|'.join(REGION_SOURCES)})$")]
"""Where a region came from (:data:`imgsearch.query.expression.REGION_SOURCES`)."""
Format = Annotated[str, StringConstraints(max_length=16), AfterValidator(_unicode)]
Phrase = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_TEXT_PHRASE), AfterValidator(_unicode)
]
Url = Annotated[str, StringConstraints(max_length=4096), AfterValidator(_unicode)]


class BoxIn(BaseModel):
    """A region: top-left ``x, y`` and size ``w, h``, in pixels or fractions of the image."""

    x: Number = Field(ge=0)
    y: Number = Field(ge=0)
    w: Number = Field(gt=0)
    h: Number = Field(gt=0)
    unit: Literal["px", "fraction"] = "px"
    padding: Number = Field(0.0, ge=0, le=10)


class ImageIn(BaseModel):
    """Exactly one of: an indexed image id, a URL, base64-encoded bytes. ``box`` crops it."""

    image_id: StrictInt | None = Field(None, ge=1, le=MAX_ID)
    image_url: Url | None = None
    image_base64: str | None = Field(None, max_length=MAX_IMAGE_BYTES * 4 // 3 + 8)
    box: BoxIn | None = None


class PartIn(ImageIn):
    """One part of a query: a ``text`` or an image; a negative ``weight`` steers away."""

    text: Text | None = None
    region_id: StrictInt | None = Field(
        None, ge=1, le=2**63 - 1, description="A stored region (an object's box) as the query."
    )
    weight: Number = Field(1.0, ge=-MAX_WEIGHT, le=MAX_WEIGHT)


Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_unicode),
]


class FiltersIn(BaseModel):
    under: list[Folder] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Absolute folders (any of).",
    )
    after: Day | None = Field(None, description="Taken on or after (EXIF time, else mtime).")
    before: Day | None = Field(None, description="Taken before.")
    formats: list[Format] = Field(
        default_factory=list, max_length=MAX_FILTER_VALUES, description="e.g. JPEG, PNG."
    )
    min_width: StrictInt | None = Field(None, ge=1, le=MAX_DIMENSION)
    min_height: StrictInt | None = Field(None, ge=1, le=MAX_DIMENSION)
    media: str = Field(
        "all",
        pattern=f"^({'|'.join((*NAMES, 'all'))})$",
        description=f"One kind of item ({', '.join(NAMES)}), or all.",
    )
    contains_text: list[Phrase] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Phrases the text read in the picture (OCR) must each contain, ignoring "
        "case, accents, spaces and punctuation; pictures without read text never match.",
    )
    tags: list[Tag] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Only pictures tagged with one of these (exactly as tagged), by a user "
        "or automatically (zero-shot tags).",
    )
    min_rating: StrictInt | None = Field(
        None,
        ge=-1,
        le=5,
        description="Only pictures rated at least this (0 to 5 stars, -1 rejected) in their "
        "XMP metadata; pictures without a rating never match.",
    )
    not_tags: list[Tag] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Only pictures tagged with none of these (a user's or automatic).",
    )


Label = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_unicode)]


class SearchIn(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    q: Text | None = Field(
        None,
        description="A query expression, as typed on the command line or the page: "
        '`"2:golden retriever" + beach - grass` (texts joined by + and -, each optionally '
        "WEIGHT:, double quotes group; an http(s) URL is an image, fetched like image_url). "
        "Its parts come first, before `text` and `parts`. An image path in it is refused: "
        "send images as parts.",
    )
    text: Text | None = Field(None, description="Shorthand for one text part.")
    parts: list[PartIn] = Field(default_factory=list, max_length=MAX_PARTS)
    not_: list[Text] = Field(
        default_factory=list, alias="not", max_length=16, description="Texts to steer away from."
    )
    top: StrictInt = Field(10, ge=1, le=1000)
    offset: StrictInt = Field(0, ge=0, le=100_000)
    filters: FiltersIn | None = None
    metadata_weight: Number | None = Field(None, ge=0, le=1)
    min_confidence: Annotated[Number, Field(ge=0, le=1)] | Literal["auto"] | None = Field(
        None,
        description="Drop hits less confident than this (0..1), so that a query with no real "
        "match returns no hits; 'auto': keep hits more likely a match than not (0.5).",
    )
    regions: StrictBool = Field(
        True, description="Match inside images too (regions); false: whole images only."
    )
    labels: list[Label] = Field(
        default_factory=list,
        max_length=MAX_FILTER_VALUES,
        description="Only regions with one of these labels match.",
    )
    sources: list[Source] = Field(
        default_factory=list,
        max_length=len(REGION_SOURCES),
        description=f"Only regions from these sources match ({', '.join(REGION_SOURCES)}).",
    )
    objects: StrictBool = Field(False, description="Hits are regions (one per box), not images.")
    previews: StrictInt = Field(
        0,
        ge=0,
        le=MAX_PREVIEWS,
        description="Give the first this many still-picture hits a `preview` (an inline "
        "placeholder image; none for an object search, whose tiles are boxes).",
    )


MAX_TAGS = 64


class AnnotationIn(BaseModel):
    """An image's caption and tags, replacing the ones it had (``null`` / ``[]`` clear them)."""

    caption: Text | None = Field(None, description="Searched by the metadata score.")
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS)


class Links(BaseModel):
    self: str
    file: str
    thumbnail: str


class BoxOut(BaseModel):
    x: float
    y: float
    w: float
    h: float


class TextLineOut(BaseModel):
    """A line of text read in the picture (OCR), or on a PDF's page (its text layer)."""

    text: str
    box: BoxOut = Field(
        description="Where the line is, in pixels of the displayed image (on a page: points)."
    )
    confidence: float = Field(description="How sure the recogniser was, 0..1.")
    page: int | None = Field(None, description="The PDF page the line is on, from 1.")


class RegionOut(BaseModel):
    """The part of the image that matched: a box (pixels of the displayed image) with
    where it came from and its label."""

    id: int
    source: str = Field(description="annotation, detector, grid or frame (a video's kept frame)")
    label: str | None
    score: float | None
    box: BoxOut | None
    time: float | None = Field(description="Seconds into a video, for a frame.")
    frame: int | None = Field(
        None, description="A video frame's number in its stream; a PDF page's number (from 1)."
    )
    thumbnail: str | None = Field(
        None,
        description="Address of a JPEG of the box with some context, or of the video frame.",
    )


class VideoFacts(BaseModel):
    media: str = Field("image", description=f"What the item is: {', '.join(NAMES)}.")
    duration: float | None = Field(None, description="A video's length in seconds.")
    fps: float | None = Field(None, description="A video's average frame rate.")
    codec: str | None = Field(None, description="A video's codec (FFmpeg's name).")
    frame_count: int | None = Field(None, description="Frames the video's stream declares.")


PREVIEW = Field(
    None,
    description="When asked for (`previews`): a still picture's preview, a data: URL of a PNG "
    "of about 16 pixels a side in the picture's shape, made from the colour cells stored at "
    "index time — a placeholder to paint while the thumbnail loads; null otherwise.",
)


class ImageOut(VideoFacts):
    id: int
    path: str
    size: int
    width: int | None
    height: int | None
    format: str | None
    taken: str = Field(
        description="EXIF capture time, else the file's modification time: ISO 8601 in the "
        "server's time zone, with its offset (2023-06-01T14:03:00+02:00)."
    )
    camera: str | None
    latitude: float | None = Field(None, description="GPS position from EXIF, degrees.")
    longitude: float | None = None
    caption: str | None
    tags: list[str]
    archive: dict[str, Any] | None = Field(
        None,
        description="What archives say of it, read from its XMP (embedded and its sidecar), "
        "IPTC and EXIF descriptions: `title`, `description`, `keywords`, `rating` (-1 to 5), "
        "`creator`, and `problems` (what could not be read); null: nothing.",
    )
    auto_tags: dict[str, float] | None = Field(
        None,
        description="Its automatic (zero-shot) tags with their confidences; null while it "
        "is not tagged yet.",
    )
    regions: list[RegionOut] = Field(
        default_factory=list, description="Its regions (objects, patches), with boxes and labels."
    )
    text: list[TextLineOut] | None = Field(
        None,
        description="The lines of text read in it (imgsearch index --ocr), top to bottom; "
        "null when it was not read.",
    )
    links: Links
    preview: str | None = PREVIEW


class MomentOut(BaseModel):
    time: float
    cosine: float
    frame_id: int = Field(description="The kept frame's region id.")


class SegmentOut(BaseModel):
    """Consecutive matching frames of a video (see the README's video section)."""

    start: float = Field(description="Seconds from the video's start.")
    end: float
    best: float = Field(description="Timestamp of the best-matching frame.")
    cosine: float = Field(description="That frame's cosine, which ranks the segment.")
    frame_id: int
    frame: str = Field(description="Address of a JPEG of the best frame.")
    moments: list[MomentOut] = Field(description="Every matching frame of the segment.")


class PartOut(BaseModel):
    source: str = Field(description="What kind of part: page (a PDF's), frame (a video's).")
    number: int | None = Field(None, description="A page's number from 1; a frame's in its stream.")
    time: float | None = Field(None, description="A video frame's time, seconds.")
    label: str = Field(description="How a person names it: page 3, frame @ 00:00:03.0.")
    picture: str = Field(description="Address of a JPEG of the part.")
    open: str = Field(description="Address of the file, opened at the part where viewers can.")


class HitOut(BaseModel):
    rank: int
    id: int
    relevance: float
    cosine: float
    metadata_score: float
    confidence: float | None = Field(
        None,
        description="How likely the hit is a real match, 0..1, comparable across queries "
        "(docs/relevance.md); null when the collection is too small to tell.",
    )
    path: str
    width: int | None
    height: int | None
    format: str | None
    bytes: int = Field(description="The file's size.")
    taken: str = Field(description="As an image's `taken`: ISO 8601 with the offset.")
    captured_at_exif: bool = Field(description="Whether `taken` is the EXIF capture time.")
    region: RegionOut | None = Field(
        None, description="The region whose vector matched best; null: the whole image."
    )
    text: TextLineOut | None = Field(
        None,
        description="The line of text read in the picture that holds the query's words or "
        "its contains_text phrases; null when none does.",
    )
    archive: dict[str, Any] | None = Field(
        None,
        description="What archives say of the item (its XMP, IPTC, EXIF descriptions), as "
        "`GET /v1/images/{id}` gives it; null: nothing.",
    )
    words_in: list[str] = Field(
        default_factory=list,
        description="Where the query's words were found with the hit, beside its picture: "
        "name (file and folder names), caption, tags, camera, text (read in the picture), "
        "archive (its title, description or keywords); empty when they were not.",
    )
    media: str = Field("image", description=f"What the item is: {', '.join(NAMES)}.")
    part: PartOut | None = Field(
        None,
        description="The part of a many-part item the hit is on: a PDF's page, a video "
        "segment's best frame; null for a picture or a box in one.",
    )
    duration: float | None = None
    fps: float | None = None
    codec: str | None = None
    segment: SegmentOut | None = Field(
        None, description="For a video found by its frames: the matching moments."
    )
    links: Links
    preview: str | None = PREVIEW


class TermOut(BaseModel):
    term: str = Field(description="A text, or an image's URL, as written (quotes dropped).")
    weight: float
    image: bool = Field(description="Whether the term is an image (a URL, fetched).")


class JudgementOut(BaseModel):
    judged: bool = Field(
        description="Whether the hits have a confidence: false when the collection (or the "
        "boxes an object search looks at) is too small to tell what no match looks like "
        "(fewer than 32); every hit's confidence is then null and no cut is applied."
    )
    cut: float | None = Field(
        description="The confidence cut-off applied (min_confidence; null: none)."
    )
    note: str | None = Field(
        description="Why there is no confidence or no cut, in words for people (e.g. 'too "
        "few images to judge confidence (25 < 32); no cut applied'); null when as asked."
    )


class SearchOut(BaseModel):
    model: str
    hits: list[HitOut]
    confidence: JudgementOut = Field(
        description="What the hits' confidences rest on (docs/relevance.md)."
    )
    expression: list[TermOut] = Field(
        description="The parts `q` was read as, in order (negative weight: after a minus); "
        "empty without `q`. `imgsearch search` reads the same words the same way."
    )
    readable: bool = Field(
        description="Whether the model reads every text of the query. A closed-vocabulary "
        "model (demo-shapes) does not read a text with no word it knows that says something; "
        "every hit then has confidence 0."
    )
    unknown_words: list[str] = Field(
        description="Words of the query's texts the model never saw (closed-vocabulary "
        "models only; always empty for CLIP-family models)."
    )
    known_words: list[str] = Field(
        description="When the model cannot read the query (readable is false): the words "
        "it knows that say something, to suggest what it can search for; else empty."
    )


class VectorizeIn(BaseModel):
    texts: list[Text] = Field(default_factory=list, max_length=256)
    images: list[ImageIn] = Field(default_factory=list, max_length=64)


class VectorizeOut(BaseModel):
    model: str
    dim: int
    texts: list[list[float]]
    images: list[list[float]]
