// Result tiles. Everything that comes from the collection (paths, names) is set as text
// or as an attribute value, never parsed as HTML.

import { imageSource } from "./api.js";

export const THUMBNAIL_SIZE = 256;

export function basename(path) {
  return path.slice(path.lastIndexOf("/") + 1) || path;
}

export function score(value) {
  return Number.isFinite(value) ? value.toFixed(3) : "–";
}

// Shows an API image in an <img>; a failed load leaves the alt text and a mark.
export function showImage(img, path) {
  img.addEventListener("error", () => img.classList.add("broken"), { once: true });
  imageSource(path).then(
    (source) => {
      img.src = source;
    },
    () => img.classList.add("broken"),
  );
}

// A moment of a video as hh:mm:ss.d (minutes and seconds only under an hour).
export function clock(seconds) {
  const tenths = Math.floor(Math.max(seconds, 0) * 10 + 1e-6);
  const hours = Math.floor(tenths / 36000);
  const minutes = Math.floor((tenths % 36000) / 600);
  const rest = ((tenths % 600) / 10).toFixed(1).padStart(4, "0");
  const mm = String(minutes).padStart(2, "0");
  return hours ? `${hours}:${mm}:${rest}` : `${mm}:${rest}`;
}

// The day of an ISO 8601 time as the API gives it ("2023-06-01T14:03:00+02:00"), as written
// in the server's time zone: the date the picture was taken there.
export function day(iso) {
  return iso ? iso.slice(0, 10) : "";
}

// An API image address with a size asked for (the address may carry a query already).
export function sized(path, size) {
  return `${path}${path.includes("?") ? "&" : "?"}size=${size}`;
}

function label(className, text) {
  const span = document.createElement("span");
  span.className = className;
  span.textContent = text;
  return span;
}

// The grid's row height in CSS pixels (its --row), read once per page of tiles.
export function rowHeight(grid) {
  return parseFloat(getComputedStyle(grid).getPropertyValue("--row")) || 168;
}

// About how many tiles a row of the grid holds (pictures of every shape average out
// near square): how many of a new search's thumbnails to fetch first.
export function perRow(grid) {
  return Math.max(1, Math.round(grid.clientWidth / rowHeight(grid)));
}

// A tile's shape: its picture's, kept between a tall portrait and a wide panorama so that
// neither becomes a sliver nor a whole row.
export function ratioOf(width, height) {
  if (!width || !height) return 1;
  return Math.min(Math.max(width / height, 0.5), 2.5);
}

// The thumbnail size to ask for: the tile's long side at the row's height (its width when
// wide, the row's height when tall), in this screen's pixels; the server answers with the
// smallest of its sizes (64–1024) at least this large, never under THUMBNAIL_SIZE.
export function thumbnailSize(ratio, row) {
  const long = row * Math.max(ratio, 1) * (window.devicePixelRatio || 1);
  return Math.min(1024, Math.max(THUMBNAIL_SIZE, Math.ceil(long)));
}

// The picture of the part of an item a hit names — a video segment's best frame, a PDF's
// page — or null for a hit on a whole picture.
export function partPicture(hit) {
  if (hit.segment) return hit.segment.frame;
  return hit.part ? hit.part.picture : null;
}

// One hit as a focusable tile: thumbnail, rank, relevance; the scores on hover. The first
// row of a search is fetched at once and first (`urgent`); the rest when they come near
// the screen, so that a new search's first thumbnails never queue behind its last ones.
// In object mode (`crop`) a hit with a box shows the crop of that box, named by its label.
export function tile(hit, position, onOpen, urgent = false, crop = false, row = 168) {
  const item = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "tile";
  button.dataset.id = String(hit.id);
  const name = basename(hit.path);
  const ranked = hit.rank !== undefined; // a search's hit; else an item of a browsed collection
  button.title = ranked
    ? `${name}\nrelevance ${score(hit.relevance)} = cosine ${score(hit.cosine)}` +
      ` + metadata ${score(hit.metadata_score)}` +
      (hit.confidence == null ? "" : `\nconfidence ${score(hit.confidence)}`)
    : `${name}\n${day(hit.taken)}`;
  const region = hit.region;
  const segment = hit.segment;
  if (segment) button.title += `\nvideo: ${clock(segment.start)}–${clock(segment.end)}, best at ${clock(segment.best)}`;
  else if (hit.part) button.title += `\n${hit.part.label}`;
  else if (region) button.title += `\nmatched: ${region.label || region.source} (${region.source})`;
  if (hit.text) button.title += `\ntext: “${hit.text.text}”`;
  const img = document.createElement("img");
  img.alt = name;
  img.loading = urgent ? "eager" : "lazy";
  img.decoding = urgent ? "auto" : "async";
  img.fetchPriority = urgent ? "high" : "auto";
  img.setAttribute("elementtiming", "result"); // when it was painted: PerformanceObserver "element"
  const cropped = crop && region && region.box && region.thumbnail;
  const shape = cropped ? region.box : { w: hit.width, h: hit.height };
  const ratio = ratioOf(shape.w, shape.h);
  item.style.setProperty("--ratio", ratio.toFixed(4)); // the row gives the tile this shape
  const size = thumbnailSize(ratio, row);
  if (shape.w && shape.h) {
    const scale = size / Math.max(shape.w, shape.h);
    img.width = Math.max(1, Math.round(shape.w * scale));
    img.height = Math.max(1, Math.round(shape.h * scale));
  }
  // a video hit shows the best frame of its segment, a PDF hit its page
  const source = cropped ? region.thumbnail : partPicture(hit) || hit.links.thumbnail;
  const thumbnail = () => showImage(img, sized(source, size));
  // a previewed tile asks for its thumbnail once the preview is on screen: the requests
  // (and the server making thumbnails on the same cores) would hold back that first frame
  if (cropped || partPicture(hit) || !previewFirst(img, hit.preview, thumbnail)) thumbnail();
  button.append(cropped ? img : framed(img, hit));
  if (ranked) button.append(label("rank", `#${hit.rank}`), label("score", score(hit.relevance)));
  if (segment) {
    button.classList.add("video");
    button.append(label("moment", `▶ ${clock(segment.start)}–${clock(segment.end)}`));
  }
  if (hit.part && !segment) {
    button.classList.add("part", hit.part.source);
    button.append(label("moment", hit.part.label));
  }
  if (cropped) {
    button.classList.add("object");
    button.append(label("object-label", region.label || region.source));
  }
  button.addEventListener("click", (event) => onOpen(position, event));
  item.append(button);
  return item;
}

// The answer's inline preview of the picture (a tiny PNG made from colour cells stored at
// index time), the tile's image until ``then`` gives it its thumbnail, once the preview is
// decoded and painted: the rows on screen show the pictures' colours and layout in the
// answer's first frame, not empty tiles waiting on the network. (An image keeps showing
// what it has until a new source is decoded — but drops a source still loading, hence the
// wait.) Whether the tile got one.
const PREVIEW = /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/;
function previewFirst(img, preview, then) {
  if (typeof preview !== "string" || !PREVIEW.test(preview)) return false;
  img.classList.add("previewed");
  img.decoding = "sync";
  const shown = () => {
    if (img.currentSrc.startsWith("data:")) {
      img.decoding = "async";
      afterPaint(then);
      return;
    }
    img.classList.remove("previewed"); // the thumbnail, in its place
    img.removeEventListener("load", shown);
  };
  img.addEventListener("load", shown);
  img.addEventListener("error", () => img.src.startsWith("data:") && then(), { once: true });
  img.src = preview;
  return true;
}

// Run ``job`` just after the next frame is painted.
function afterPaint(job) {
  requestAnimationFrame(() => setTimeout(job, 0));
}

// The thumbnail in a frame of the image's own shape (the tile is square), so that the box
// that matched — a region's, else the line of read text that held the words — can be drawn
// over it in fractions of the image.
function framed(img, hit) {
  const box = (hit.region && hit.region.box) || (hit.text && hit.text.box);
  if (!box || !hit.width || !hit.height) return img;
  const frame = document.createElement("span");
  frame.className = "fit";
  const wide = hit.width >= hit.height;
  frame.style.width = wide ? "100%" : `${(100 * hit.width) / hit.height}%`;
  frame.style.height = wide ? `${(100 * hit.height) / hit.width}%` : "100%";
  const matched = hit.region && hit.region.box ? "region-mark" : "region-mark text-mark";
  frame.append(img, outline(box, hit.width, hit.height, matched));
  return frame;
}

// A box (pixels of a width × height image) as an outline placed in fractions of it.
export function outline(box, width, height, className) {
  const mark = document.createElement("span");
  mark.className = className;
  mark.style.left = `${(100 * box.x) / width}%`;
  mark.style.top = `${(100 * box.y) / height}%`;
  mark.style.width = `${(100 * box.w) / width}%`;
  mark.style.height = `${(100 * box.h) / height}%`;
  return mark;
}
