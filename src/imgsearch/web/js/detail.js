// The detail view of one hit: the large image, its facts and scores, "similar", a box
// drawn on the image (a region search), the original file, and editing its caption and
// tags. A video hit shows its segment's best frame, a strip of the matching moments and
// a play button that starts the video there; a hit on another item's part (a PDF's page)
// shows that part, and the file opens at it. ←/→ move between hits, Esc closes.

import { call, hasKey, imageSource } from "./api.js";
import { BoxDrawer } from "./box.js";
import { basename, clock, outline, partPicture, score, showImage, sized } from "./grid.js";

const LARGE = 1024;
// Where a query's words were found with a hit (hit.words_in), as a person names it.
const WORD_FIELDS = { name: "file name", caption: "caption", tags: "tags", camera: "camera", text: "text in the picture", archive: "title, description or keywords" };
const MOMENT_SIZE = 128;
const SWIPE_PX = 50; // a finger moved at least this far sideways, within SWIPE_MS, is a swipe
const SWIPE_MS = 800;

function bytes(size) {
  if (size >= 1e6) return `${(size / 1e6).toFixed(1)} MB`;
  if (size >= 1e3) return `${(size / 1e3).toFixed(0)} kB`;
  return `${size} B`;
}

// The picture the viewer shows is in the URL (`open=ID`), on a history entry of its own: a
// link to it can be shared, Back closes the viewer and leaves the results (and where the
// page was scrolled) as they were, Forward opens it again. ←/→ replace the entry.
export function openedId(location = window.location) {
  return Number(new URLSearchParams(location.search).get("open")) || null;
}

function urlOpening(id) {
  const params = new URLSearchParams(window.location.search);
  if (id == null) params.delete("open");
  else params.set("open", String(id));
  const query = params.toString();
  return query ? `?${query}` : window.location.pathname;
}

// ISO 8601 with its offset, as the API gives times: shown in the reader's own time zone.
function when(iso) {
  if (!iso) return null;
  return new Date(iso).toLocaleString();
}

export class Detail {
  constructor({ onSimilar, onRegion, onSaved, onError }) {
    this.dialog = document.getElementById("detail");
    this.image = document.getElementById("detail-image");
    this.path = document.getElementById("detail-path");
    this.facts = document.getElementById("detail-facts");
    this.form = document.getElementById("annotate");
    this.note = document.getElementById("annotate-note");
    this.open = document.getElementById("detail-open");
    this.video = document.getElementById("detail-video");
    this.moments = document.getElementById("detail-moments");
    this.play = document.getElementById("detail-play");
    this.hint = document.getElementById("detail-hint");
    this.frame = document.getElementById("detail-frame");
    this.videoSource = null; // a blob: URL when an API key made us fetch the file
    this.hits = [];
    this.position = 0;
    this.record = null;
    this.loads = 0; // which load() is the latest: only its answer is shown
    this.edited = false; // the caption or tags typed since the image was shown
    this.onError = onError;

    document.getElementById("detail-close").addEventListener("click", () => this.dialog.close());
    document.getElementById("detail-prev").addEventListener("click", () => this.move(-1));
    document.getElementById("detail-next").addEventListener("click", () => this.move(1));
    document.getElementById("detail-similar").addEventListener("click", () => {
      const id = this.hits[this.position].id;
      this.leaving = true;
      this.dialog.close();
      onSimilar(id);
    });
    this.drawer = new BoxDrawer(document.getElementById("detail-frame"), this.image, (box) => {
      if (!box) return;
      const id = this.hits[this.position].id;
      this.leaving = true;
      this.dialog.close();
      onRegion(id, box);
    });
    // A finger swipes between pictures; it draws a box only after Region… (a swipe is not
    // a thin box that starts a search).
    this.drawer.armedTouch = true;
    this.drawer.arm(false);
    if (window.matchMedia("(pointer: coarse)").matches) {
      this.hint.textContent = "Swipe for the next or previous picture; Region… puts a box to drag and size, searched when you let go.";
    }
    this.swipes(this.frame);
    this.open.addEventListener("click", (event) => this.openOriginal(event));
    document.getElementById("detail-region").addEventListener("click", () => this.drawer.place());
    this.play.addEventListener("click", () => {
      const segment = this.hits[this.position].segment;
      if (segment) this.playFrom(segment.start);
    });
    this.dialog.addEventListener("close", () => {
      this.stopVideo();
      // closed here (Esc, ✕, the backdrop): the viewer's history entry goes too — Back
      // if we pushed it, else (a shared link opened the page on it) the URL loses `open`.
      // A search it started (Similar, a box) keeps it, so that Back returns to it.
      if (!this.fromHistory && !this.leaving && openedId() !== null) {
        if (history.state?.viewer) history.back();
        else history.replaceState(history.state, "", urlOpening(null));
      }
      this.fromHistory = false;
      // back to the tile of the picture last shown (←/→ may have moved on): the keyboard
      // continues from there. A search the viewer started (Similar, a box) replaces the
      // tiles: focus then goes to its first one, when it comes.
      const tile = document.querySelectorAll("#grid .tile")[this.position];
      if (tile && !this.leaving) tile.focus({ preventScroll: false });
      this.leaving = false;
    });
    this.dialog.addEventListener("keydown", (event) => {
      if (event.target.closest("input, textarea")) return;
      if (event.key === "ArrowLeft") this.move(-1);
      else if (event.key === "ArrowRight") this.move(1);
      else return;
      event.preventDefault();
    });
    this.dialog.addEventListener("click", (event) => {
      if (event.target === this.dialog) this.dialog.close(); // the backdrop
    });
    this.form.addEventListener("input", () => {
      this.edited = true;
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save().then(onSaved, onError);
    });
  }

  // `fromHistory`: the URL already names the picture (Forward, a shared link).
  show(hits, position, { fromHistory = false } = {}) {
    this.hits = hits;
    if (!this.dialog.open) {
      this.dialog.showModal();
      // the keys (←/→, Esc) go to the viewer from the first one: focus is put in it, not
      // left to the autofocus step (which a busy page was seen to skip)
      if (!this.dialog.contains(document.activeElement)) document.getElementById("detail-similar").focus();
      if (!fromHistory) history.pushState({ viewer: true }, "", urlOpening(hits[position].id));
    }
    this.load(position);
  }

  // The viewer as the URL says after Back or Forward (or on a shared link's first load):
  // closed without `open`, else showing that picture — from `hits` (the results on the
  // page) when it is among them, else on its own.
  async follow(id, hits) {
    if (id == null) {
      if (this.dialog.open) {
        this.fromHistory = true; // the entry is gone already: closing must not go back again
        this.dialog.close();
      }
      return;
    }
    if (this.dialog.open && this.hits[this.position]?.id === id) return;
    const position = hits.findIndex((hit) => hit.id === id);
    if (position >= 0) {
      this.show(hits, position, { fromHistory: true });
      return;
    }
    try {
      // the picture as a hit of no search: its facts, no scores, no matched box or line
      const { regions, text, ...record } = await call("GET", `/v1/images/${id}`);
      this.show([{ ...record, rank: null, region: null, text: null, segment: null, part: null }], 0, { fromHistory: true });
    } catch (error) {
      history.replaceState(history.state, "", urlOpening(null));
      this.onError(error);
    }
  }

  // A horizontal swipe on the picture (a finger, not while a box is being drawn) shows the
  // next (leftwards) or previous picture.
  swipes(frame) {
    let start = null;
    frame.addEventListener("pointerdown", (event) => {
      start = event.pointerType === "touch" && !this.drawer.armed ? { x: event.clientX, y: event.clientY, t: event.timeStamp } : null;
    });
    frame.addEventListener("pointercancel", () => {
      start = null;
    });
    frame.addEventListener("pointerup", (event) => {
      if (!start) return;
      const dx = event.clientX - start.x;
      const dy = event.clientY - start.y;
      const quick = event.timeStamp - start.t < SWIPE_MS;
      start = null;
      if (quick && Math.abs(dx) >= SWIPE_PX && Math.abs(dx) > 1.5 * Math.abs(dy)) this.move(dx < 0 ? 1 : -1);
    });
  }

  move(step) {
    const next = this.position + step;
    if (next >= 0 && next < this.hits.length) this.load(next);
  }

  async load(position) {
    this.position = position;
    const hit = this.hits[position];
    if (openedId() !== hit.id) history.replaceState(history.state, "", urlOpening(hit.id));
    const load = ++this.loads;
    this.record = null;
    this.edited = false;
    this.form.elements.caption.value = "";
    this.form.elements.tags.value = "";
    this.note.textContent = "";
    this.image.removeAttribute("src");
    this.drawer.set(null);
    this.showRegions(hit, []);
    this.image.alt = basename(hit.path);
    this.stopVideo();
    const segment = hit.segment;
    const part = partPicture(hit); // a box is drawn on a picture, not on a frame or a page
    this.drawer.enabled = !part;
    this.hint.hidden = Boolean(part);
    document.getElementById("detail-region").hidden = Boolean(part);
    this.play.hidden = !segment;
    if (segment) this.play.textContent = `▶ Play from ${clock(segment.start)}`;
    this.showMoments(hit);
    showImage(this.image, sized(part || hit.links.thumbnail, LARGE));
    this.path.textContent = hit.part && !segment ? `${hit.path} — ${hit.part.label}` : hit.path;
    this.open.href = hit.part ? hit.part.open : hit.links.file; // at the page, the moment
    document.getElementById("detail-prev").disabled = position === 0;
    document.getElementById("detail-next").disabled = position === this.hits.length - 1;
    this.fill(hit, null);
    try {
      const record = await call("GET", hit.links.self);
      // moved on meanwhile (even away and back: an older answer for this same image
      // must not land after the newer one, or over what the user has typed since)
      if (load !== this.loads) return;
      this.record = record;
      this.fill(hit, record);
      this.showRegions(hit, record.regions || []);
    } catch (error) {
      this.onError(error);
    }
  }

  // Every region of the image outlined with its label; the one that matched stands out.
  // Outlines let pointers through: drawing a box on the image still works over them.
  showRegions(hit, regions) {
    const frame = document.getElementById("detail-frame");
    for (const old of frame.querySelectorAll(".region-outline")) old.remove();
    if (!hit.width || !hit.height) return;
    if (hit.text) {
      // the line of text read in the picture that held the query's words
      const line = outline(hit.text.box, hit.width, hit.height, "region-outline text-outline");
      const tag = document.createElement("span");
      tag.className = "region-label";
      tag.textContent = hit.text.text;
      line.append(tag);
      frame.append(line);
    }
    const matched = hit.region ? hit.region.id : null;
    for (const region of regions) {
      if (!region.box) continue;
      const mark = outline(region.box, hit.width, hit.height, "region-outline");
      if (region.id === matched) mark.classList.add("matched");
      mark.dataset.id = String(region.id);
      const tag = document.createElement("span");
      tag.className = "region-label";
      tag.textContent = region.label || region.source;
      mark.append(tag);
      frame.append(mark);
    }
  }

  // The segment's matching frames as small pictures with their times; one starts the video
  // there. The best is marked.
  showMoments(hit) {
    const segment = hit.segment;
    this.moments.hidden = !segment;
    if (!segment) {
      this.moments.replaceChildren();
      return;
    }
    const buttons = segment.moments.map((moment) => {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.time = String(moment.time);
      button.title = `${clock(moment.time)} — cosine ${score(moment.cosine)}`;
      if (moment.time === segment.best) button.classList.add("best");
      const img = document.createElement("img");
      img.alt = ""; // the button's own text names the moment: said once, not twice
      img.loading = "lazy";
      showImage(img, sized(`/v1/videos/${hit.id}/frame?t=${moment.time.toFixed(3)}`, MOMENT_SIZE));
      const time = document.createElement("span");
      time.textContent = clock(moment.time);
      button.append(img, time);
      button.addEventListener("click", () => this.playFrom(moment.time));
      return button;
    });
    this.moments.replaceChildren(...buttons);
  }

  // The video in place of the frame, from `time` seconds. With an API key the file needs
  // the key header, so it is fetched whole first (a <video> cannot send headers).
  async playFrom(time) {
    const hit = this.hits[this.position];
    try {
      if (!this.video.src) {
        this.videoSource = hasKey() ? await imageSource(hit.links.file) : null;
        if (this.hits[this.position] !== hit) return;
        this.video.preload = "auto";
        this.video.src = this.videoSource || hit.links.file;
      }
      this.frame.hidden = true;
      this.video.hidden = false;
      const start = () => {
        this.video.currentTime = time;
        this.video.play().catch(() => {}); // autoplay refused: the controls are there
      };
      if (this.video.readyState >= 1) start();
      else this.video.addEventListener("loadedmetadata", start, { once: true });
    } catch (error) {
      this.onError(error);
    }
  }

  stopVideo() {
    this.video.pause();
    this.video.preload = "none";
    this.video.removeAttribute("src");
    this.video.load();
    this.video.hidden = true;
    this.frame.hidden = false;
    if (this.videoSource) URL.revokeObjectURL(this.videoSource);
    this.videoSource = null;
  }

  fill(hit, record) {
    const rows = [
      ["Rank", hit.rank === undefined ? null : `#${hit.rank}`], // a browsed item has none
      ["Relevance", hit.relevance === undefined ? null : score(hit.relevance)],
      ["Cosine", hit.cosine === undefined ? null : score(hit.cosine)],
      ["Confidence", hit.confidence == null ? null : score(hit.confidence)],
      ["Words found in", hit.words_in && hit.words_in.length ? hit.words_in.map((f) => WORD_FIELDS[f] || f).join(", ") : null],
      [
        "Matched",
        hit.region && !hit.segment ? `${hit.region.label || hit.region.source} (${hit.region.source})` : null,
      ],
      ["Text", hit.text ? `“${hit.text.text}” (read, ${score(hit.text.confidence)} sure)` : null],
      [
        "Moments",
        hit.segment
          ? `${clock(hit.segment.start)}–${clock(hit.segment.end)}, best at ${clock(hit.segment.best)}`
          : null,
      ],
      ["Part", hit.part && !hit.segment ? hit.part.label : null],
      ["Size", hit.width && hit.height ? `${hit.width} × ${hit.height}` : null],
      ["Taken", when(hit.taken)],
    ];
    if (record) {
      rows.push(
        ["File", `${bytes(record.size)}${record.format ? `, ${record.format}` : ""}`],
        [
          "Video",
          record.media === "video"
            ? `${clock(record.duration)}, ${record.codec}${record.fps ? `, ${record.fps.toFixed(2)} fps` : ""}`
            : null,
        ],
        ["Camera", record.camera],
        [
          "GPS",
          record.latitude != null && record.longitude != null
            ? `${record.latitude.toFixed(5)}, ${record.longitude.toFixed(5)}`
            : null,
        ],
        ["Read text", record.text && record.text.length ? record.text.map((line) => line.text).join(" · ") : null],
        ["Caption", record.caption],
        ["Tags", record.tags.length ? record.tags.join(", ") : null],
        ["Automatic tags", autoTags(record.auto_tags)],
        ...archiveRows(record.archive),
      );
      if (!this.edited) {
        this.form.elements.caption.value = record.caption || "";
        this.form.elements.tags.value = record.tags.join(", ");
      }
    }
    const items = [];
    for (const [name, value] of rows) {
      if (value == null || value === "") continue;
      const term = document.createElement("dt");
      term.textContent = name;
      const description = document.createElement("dd");
      description.textContent = value;
      items.push(term, description);
    }
    this.facts.replaceChildren(...items);
  }

  async save() {
    const hit = this.hits[this.position];
    const caption = this.form.elements.caption.value.trim();
    const tags = this.form.elements.tags.value
      .split(",")
      .map((tag) => tag.trim())
      .filter(Boolean);
    this.note.textContent = "Saving…";
    const record = await call("PUT", `${hit.links.self}/annotation`, { caption: caption || null, tags });
    if (this.hits[this.position] !== hit) return; // saved; the view has moved on
    this.record = record;
    this.edited = false;
    this.fill(hit, record);
    this.note.textContent = "Saved";
  }

  // With an API key the file needs the key header: fetched, then shown from a blob: URL.
  async openOriginal(event) {
    if (!hasKey()) return;
    event.preventDefault();
    try {
      window.open(await imageSource(this.open.href), "_blank", "noopener");
    } catch (error) {
      this.onError(error);
    }
  }
}

// A picture's automatic (zero-shot) tags, most confident first, each with its confidence.
function autoTags(tags) {
  const sorted = Object.entries(tags || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return sorted.length ? sorted.map(([tag, c]) => `${tag} ${c.toFixed(2)}`).join(", ") : null;
}

// What an archive says of the picture (its XMP, IPTC, EXIF descriptions), as viewer rows.
function archiveRows(archive) {
  if (!archive) return [];
  const stars = archive.rating == null ? null : archive.rating < 0 ? "rejected" : "★".repeat(archive.rating) || "no stars";
  return [
    ["Title", archive.title || null],
    ["Description", archive.description || null],
    ["Keywords", archive.keywords && archive.keywords.length ? archive.keywords.join(", ") : null],
    ["Rating", stars],
    ["Creator", archive.creator || null],
  ];
}

