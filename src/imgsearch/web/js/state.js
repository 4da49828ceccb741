// What is searched lives in the URL: a search can be shared, bookmarked, reloaded, and
// back/forward move between searches.

const FILTERS = ["under", "after", "before", "formats", "min_width", "min_height", "metadata_weight"];

export function readState(location = window.location) {
  const params = new URLSearchParams(location.search);
  const filters = {};
  for (const name of FILTERS) {
    const value = params.get(name);
    if (value) filters[name] = value;
  }
  const similar = Number(params.get("similar")) || null;
  return { q: params.get("q") || "", similar, filters };
}

export function writeState(state, { replace = false } = {}) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  if (state.similar) params.set("similar", String(state.similar));
  for (const [name, value] of Object.entries(state.filters || {})) {
    if (value !== "" && value != null) params.set(name, value);
  }
  const url = params.toString() ? `?${params}` : window.location.pathname;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
}

export function searchBody(state, parts, offset, top) {
  const body = { parts: [], top, offset };
  for (const part of parts) body.parts.push({ text: part.text, weight: part.weight });
  if (state.similar) body.parts.push({ image_id: state.similar });
  const f = state.filters || {};
  const filters = {};
  if (f.under) filters.under = [f.under];
  if (f.after) filters.after = f.after;
  if (f.before) filters.before = f.before;
  if (f.formats) filters.formats = f.formats.split(/[\s,]+/).filter(Boolean);
  if (f.min_width) filters.min_width = Number(f.min_width);
  if (f.min_height) filters.min_height = Number(f.min_height);
  if (Object.keys(filters).length) body.filters = filters;
  if (f.metadata_weight !== undefined && f.metadata_weight !== "") body.metadata_weight = Number(f.metadata_weight);
  return body;
}
