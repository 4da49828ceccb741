// What is searched lives in the URL: a search can be shared, bookmarked, reloaded, and
// back/forward move between searches. The query image is an indexed image's id
// (`similar`) or this tab's upload (`upload`, a token: the bytes stay in the tab), with an
// optional `box` (fractions "x,y,w,h") and weight `iw`.

import { formatBox, parseBox } from "./box.js";

const FILTERS = ["under", "after", "before", "media", "formats", "min_width", "min_height", "text", "tags", "min_rating", "metadata_weight", "labels", "objects", "confidence"];
// How the collection is listed without a query (the browse view); the first is the default.
export const ORDERS = ["newest", "oldest", "path"];
// The page cuts at confidence 0.5 ("auto": more likely a real match than not) unless the
// URL says otherwise; "confidence=0" shows every hit.
export const AUTO_CONFIDENCE = "0.5";

export function readState(location = window.location) {
  const params = new URLSearchParams(location.search);
  const filters = {};
  // the duplicates view's `confidence` is its own threshold, never a search's cut-off
  const duplicates = params.get("view") === "duplicates";
  for (const name of FILTERS) {
    const value = params.get(name);
    if (value && !(duplicates && name === "confidence")) filters[name] = value;
  }
  const weight = Number(params.get("iw"));
  return {
    q: params.get("q") || "",
    similar: Number(params.get("similar")) || null,
    upload: params.get("upload") || null,
    box: parseBox(params.get("box")),
    imageWeight: Number.isFinite(weight) && weight !== 0 ? weight : 1,
    order: ORDERS.includes(params.get("order")) ? params.get("order") : ORDERS[0],
    filters,
  };
}

export function hasQuery(state) {
  return Boolean(state.q.trim()) || hasImage(state);
}

export function hasImage(state) {
  return Boolean(state.similar || state.upload);
}

export function writeState(state, { replace = false } = {}) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  if (state.similar) params.set("similar", String(state.similar));
  if (state.upload) params.set("upload", state.upload);
  if (hasImage(state) && state.box) params.set("box", formatBox(state.box));
  if (hasImage(state) && state.imageWeight !== 1) params.set("iw", String(state.imageWeight));
  if (!hasQuery(state) && state.order && state.order !== ORDERS[0]) params.set("order", state.order);
  for (const [name, value] of Object.entries(state.filters || {})) {
    if (value !== "" && value != null) params.set(name, value);
  }
  const url = params.toString() ? `?${params}` : window.location.pathname;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
}

// The /v1/search body: the typed expression as `q` (the server reads it, URLs included);
// `imageBase64` is the upload's content when the state names one.
export function searchBody(state, offset, top, imageBase64 = null) {
  const body = { parts: [], top, offset };
  if (state.q.trim()) body.q = state.q.trim();
  const image = state.similar ? { image_id: state.similar } : imageBase64 ? { image_base64: imageBase64 } : null;
  if (image) {
    if (state.box) image.box = { ...state.box, unit: "fraction" };
    body.parts.push({ ...image, weight: state.imageWeight });
  }
  const filters = filtersBody(state.filters || {});
  if (Object.keys(filters).length) body.filters = filters;
  const f = state.filters || {};
  if (f.metadata_weight !== undefined && f.metadata_weight !== "") body.metadata_weight = Number(f.metadata_weight);
  const labels = list(f.labels);
  if (labels.length) body.labels = labels;
  if (f.objects) body.objects = true;
  const cut = f.confidence === undefined || f.confidence === "" ? AUTO_CONFIDENCE : f.confidence;
  if (cut === AUTO_CONFIDENCE) body.min_confidence = "auto";
  else if (Number(cut) > 0) body.min_confidence = Math.min(Number(cut), 1);
  return body;
}

// The /v1/browse body: the collection without a query, under the same filters.
export function browseBody(state, offset, top, facets) {
  const body = { top, offset, order: state.order || ORDERS[0], facets };
  const filters = filtersBody(state.filters || {});
  if (Object.keys(filters).length) body.filters = filters;
  const labels = list((state.filters || {}).labels);
  if (labels.length) body.labels = labels;
  return body;
}

// "a, b ,c" as ["a", "b", "c"].
export function list(text) {
  return String(text || "").split(",").map((value) => value.trim()).filter(Boolean);
}

// The filters of the URL as the API's `filters` object (search and browse alike).
function filtersBody(f) {
  const filters = {};
  if (f.under) filters.under = [f.under];
  if (f.after) filters.after = f.after;
  if (f.before) filters.before = f.before;
  if (/^[a-z]{1,16}$/.test(f.media || "")) filters.media = f.media; // a kind: image, video, pdf …
  if (f.formats) filters.formats = f.formats.split(/[\s,]+/).filter(Boolean);
  if (f.min_width) filters.min_width = Number(f.min_width);
  if (f.min_height) filters.min_height = Number(f.min_height);
  const phrases = list(f.text);
  if (phrases.length) filters.contains_text = phrases;
  const tags = list(f.tags);
  if (tags.length) filters.tags = tags;
  if (/^[1-5]$/.test(f.min_rating || "")) filters.min_rating = Number(f.min_rating);
  return filters;
}
