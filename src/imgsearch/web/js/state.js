// What is searched lives in the URL: a search can be shared, bookmarked, reloaded, and
// back/forward move between searches. The query image is an indexed image's id
// (`similar`) or this tab's upload (`upload`, a token: the bytes stay in the tab), with an
// optional `box` (fractions "x,y,w,h") and weight `iw`.

import { formatBox, parseBox } from "./box.js";

const FILTERS = ["under", "after", "before", "media", "formats", "min_width", "min_height", "text", "metadata_weight", "labels", "objects", "confidence"];
// The page cuts at confidence 0.5 ("auto": more likely a real match than not) unless the
// URL says otherwise; "confidence=0" shows every hit.
export const AUTO_CONFIDENCE = "0.5";

export function readState(location = window.location) {
  const params = new URLSearchParams(location.search);
  const filters = {};
  for (const name of FILTERS) {
    const value = params.get(name);
    if (value) filters[name] = value;
  }
  const weight = Number(params.get("iw"));
  return {
    q: params.get("q") || "",
    similar: Number(params.get("similar")) || null,
    upload: params.get("upload") || null,
    box: parseBox(params.get("box")),
    imageWeight: Number.isFinite(weight) && weight !== 0 ? weight : 1,
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
  const f = state.filters || {};
  const filters = {};
  if (f.under) filters.under = [f.under];
  if (f.after) filters.after = f.after;
  if (f.before) filters.before = f.before;
  if (/^[a-z]{1,16}$/.test(f.media || "")) filters.media = f.media; // a kind: image, video, pdf …
  if (f.formats) filters.formats = f.formats.split(/[\s,]+/).filter(Boolean);
  if (f.min_width) filters.min_width = Number(f.min_width);
  if (f.min_height) filters.min_height = Number(f.min_height);
  const phrases = String(f.text || "").split(",").map((phrase) => phrase.trim()).filter(Boolean);
  if (phrases.length) filters.contains_text = phrases;
  if (Object.keys(filters).length) body.filters = filters;
  if (f.metadata_weight !== undefined && f.metadata_weight !== "") body.metadata_weight = Number(f.metadata_weight);
  const labels = String(f.labels || "").split(",").map((label) => label.trim()).filter(Boolean);
  if (labels.length) body.labels = labels;
  if (f.objects) body.objects = true;
  const cut = f.confidence === undefined || f.confidence === "" ? AUTO_CONFIDENCE : f.confidence;
  if (cut === AUTO_CONFIDENCE) body.min_confidence = "auto";
  else if (Number(cut) > 0) body.min_confidence = Math.min(Number(cut), 1);
  return body;
}
