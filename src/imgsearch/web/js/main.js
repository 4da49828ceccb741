// The page's wiring and its one controller: the search box, the query image (dropped,
// pasted, picked, or an indexed one) with its box, filters, the results grid with paging
// as the user scrolls, and the API-key prompt. Views live in their own modules (chips.js,
// messages.js, grid.js, detail.js, status.js, duplicates.js, queryimage.js). What is
// searched lives in the URL (state.js); the server is reached only through api.js.

import { call, onKeyNeeded } from "./api.js";
import { renderChips } from "./chips.js";
import { Detail } from "./detail.js";
import { DuplicatesView, isDuplicatesView } from "./duplicates.js";
import { columnsOf, tile } from "./grid.js";
import { explain as explainError, say, vocabularyNote } from "./messages.js";
import { formatExpression } from "./query.js";
import { QueryImage } from "./queryimage.js";
import { AUTO_CONFIDENCE, hasImage, hasQuery, readState, searchBody, writeState } from "./state.js";
import { StatusPanel } from "./status.js";
import { base64Of, findUpload, imageFile, prepareUpload } from "./upload.js";

const PAGE = 40;
const $ = (id) => document.getElementById(id);

let state = readState();
let results = { ...emptyResults(0), exhausted: true };
// The parts the server read the query text as (its answer's `expression`), for the chips.
let read = { q: "", terms: [] };

// -- the query: chips (chips.js), the query image, filters -----------------------------

function showChips() {
  const image = hasImage(state)
    ? {
        name: `${state.box ? "region of " : "similar to "}${state.similar ? `image ${state.similar}` : "your image"}`,
        weight: state.imageWeight,
      }
    : null;
  renderChips($("chips"), {
    terms: read.q === state.q.trim() ? read.terms : [],
    image,
    onTerms: (terms) => change({ q: formatExpression(terms) }),
    onImageWeight: (weight) => change({ imageWeight: weight }),
    onRemoveImage: () => change(NO_IMAGE),
  });
}

const NO_IMAGE = { similar: null, upload: null, box: null, imageWeight: 1 };

function showState() {
  queryImage.show(state);
  $("q").value = state.q;
  const form = $("filters");
  for (const element of form.elements) {
    if (element.type === "checkbox") element.checked = Boolean(state.filters[element.name]);
    else if (element.name === "confidence") element.value = state.filters.confidence || AUTO_CONFIDENCE;
    else if (element.name) element.value = state.filters[element.name] || "";
  }
  showConfidence();
  if (Object.keys(state.filters).length) setFiltersShown(true);
  showChips();
}

function showConfidence() {
  const value = $("filters").elements.confidence.value;
  $("confidence-shown").value =
    value === AUTO_CONFIDENCE ? "0.50 (auto)" : Number(value) > 0 ? Number(value).toFixed(2) : "off";
}

function setFiltersShown(shown) {
  $("filters").hidden = !shown;
  $("toggle-filters").setAttribute("aria-expanded", String(shown));
}

// A new search: into the URL (a history entry), then run.
function change(update) {
  duplicates.hide(); // a search leaves the duplicates view
  state = { ...state, ...update };
  writeState(state);
  showState();
  search();
}

let folderTimer = null;
async function suggestFolders(typed) {
  try {
    const answer = await call("GET", `/v1/folders?${new URLSearchParams({ prefix: typed })}`);
    $("folders").replaceChildren(
      ...answer.folders.map((folder) => {
        const option = document.createElement("option");
        option.value = folder;
        return option;
      }),
    );
  } catch {
    // suggestions are a convenience: typing works without them
  }
}

const explain = (error) => explainError(error, search);

// -- results ---------------------------------------------------------------------------

// Old tiles' thumbnails still loading would hold the browser's few connections to this
// server (six over HTTP/1.1) ahead of the new search: dropping their src cancels them.
function cancelThumbnails() {
  for (const img of $("grid").querySelectorAll("img")) {
    if (!img.complete) img.removeAttribute("src");
  }
}

// The last results stay on screen until the new ones replace them in one step: no empty
// flash, and no layout and paint competing with the server while it ranks. "Searching…"
// appears only if the answer is slow to come; aria-busy says it at once.
const SLOW_MS = 300;

function showSearching(current) {
  $("grid").setAttribute("aria-busy", "true");
  current.slow = setTimeout(() => {
    if (results === current && current.loading) say("Searching…");
  }, SLOW_MS);
}

function doneSearching(current) {
  clearTimeout(current.slow);
  if (results === current) $("grid").removeAttribute("aria-busy");
}

function emptyResults(generation) {
  const abort = new AbortController();
  return { generation, hits: [], ids: new Set(), offset: 0, exhausted: false, loading: false, slow: 0, abort };
}

async function search({ keepScroll = false } = {}) {
  const current = emptyResults(results.generation + 1);
  current.keepScroll = keepScroll;
  clearTimeout(results.slow);
  results.abort.abort(); // the search this one replaces: its answer would only be dropped
  results = current;
  cancelThumbnails();
  if (state.upload && !findUpload(state.upload)) {
    state = { ...state, ...NO_IMAGE };
    writeState(state, { replace: true });
    showState();
    if (!state.q.trim()) {
      $("grid").replaceChildren();
      say("The image of this search was uploaded in another tab or session: drop, paste or pick it again.");
      return;
    }
  }
  if (!hasQuery(state)) {
    current.exhausted = true;
    $("grid").replaceChildren();
    doneSearching(current);
    welcome();
    return;
  }
  await loadMore();
}

async function loadMore() {
  if (results.loading || results.exhausted || isDuplicatesView()) return;
  const current = results;
  const first = current.offset === 0;
  current.loading = true;
  if (first) showSearching(current);
  try {
    const upload = state.upload ? findUpload(state.upload) : null;
    const body = searchBody(state, current.offset, PAGE, upload && base64Of(upload));
    const answer = await call("POST", "/v1/search", body, { signal: current.abort.signal });
    if (results !== current) return; // a newer search replaced this one
    if (first) {
      read = { q: body.q || "", terms: answer.expression || [] };
      showChips();
    }
    current.offset += answer.hits.length;
    current.exhausted = answer.hits.length < PAGE;
    // One tile per image, or per box in object mode (an image then has several).
    const key = (hit) => (hit.region ? `${hit.id}/${hit.region.id}` : String(hit.id));
    const fresh = answer.hits.filter((hit) => !current.ids.has(key(hit)));
    // Both read while the layout is still the last frame's (free); read after the new
    // tiles are in, they would force a layout before the thumbnails are even requested.
    const firstRow = first ? columnsOf($("grid")) : 0;
    const scrolled = first && !current.keepScroll && window.scrollY > 0;
    const open = (position) => detail.show(current.hits, position);
    const tiles = [];
    for (const hit of fresh) {
      current.ids.add(key(hit));
      current.hits.push(hit);
      const urgent = current.hits.length <= firstRow;
      tiles.push(tile(hit, current.hits.length - 1, open, urgent, state.filters.objects));
    }
    if (first) {
      $("grid").replaceChildren(...tiles);
      if (scrolled) window.scrollTo(0, 0);
    } else {
      $("grid").append(...tiles);
    }
    // With the confidence cut, what it left out is one click away.
    const cut = body.min_confidence !== undefined;
    const weaker = cut && current.exhausted ? { label: "Show weaker matches too", run: () => change({ filters: { ...state.filters, confidence: "0" } }) } : null;
    const unknown = vocabularyNote(answer);
    if (current.hits.length === 0 && cut) {
      say(`${unknown}Nothing here is likely a real match.`, { action: weaker });
    } else if (current.hits.length === 0) {
      say(`${unknown}No images match. Try other words, fewer filters, or check the index panel.`);
    } else {
      const more = current.exhausted ? "" : "+";
      const things = state.filters.objects ? "boxes" : "images";
      const likely = cut ? ` likely real matches (confidence ≥ ${Number(body.min_confidence === "auto" ? AUTO_CONFIDENCE : body.min_confidence).toFixed(2)})` : "";
      say(`${unknown}${current.hits.length}${more} ${things}${likely}, best first · model ${answer.model}`, { action: weaker });
    }
  } catch (error) {
    if (results !== current) return;
    current.exhausted = true;
    if (first) $("grid").replaceChildren();
    explain(error);
  } finally {
    current.loading = false;
    if (first) doneSearching(current);
  }
  if (results === current && !current.exhausted && nearEnd()) loadMore();
}

// New images in the index (a run's batches commit as it goes): the first page again,
// redrawn only if it changed, and only while the user has not scrolled further.
let refreshing = false;
async function refresh() {
  const current = results;
  if (refreshing || current.loading || current.offset > PAGE || $("detail").open || isDuplicatesView()) return;
  if (!hasQuery(state)) {
    welcome();
    return;
  }
  refreshing = true;
  try {
    const upload = state.upload ? findUpload(state.upload) : null;
    const body = searchBody(state, 0, PAGE, upload && base64Of(upload));
    const answer = await call("POST", "/v1/search", body);
    const same = answer.hits.length === current.hits.length && answer.hits.every((h, i) => h.id === current.hits[i].id);
    if (results === current && !same) search({ keepScroll: true });
  } catch {
    // the next progress tick tries again; the search shown stays
  } finally {
    refreshing = false;
  }
}

// The next page is fetched when the end of the grid comes within a quarter screen: not
// before, so that a search's first screen of thumbnails has the connections to itself.
function nearEnd() {
  return $("more").getBoundingClientRect().top < window.innerHeight * 1.25;
}

async function welcome() {
  try {
    const status = await call("GET", "/v1/status");
    if (status.images === 0) {
      say("Nothing is indexed yet: run imgsearch index FOLDER, or use the Index panel.");
    } else {
      say(`${status.images.toLocaleString()} images indexed with ${status.model}. Type what you are looking for.`);
    }
  } catch (error) {
    explain(error);
  }
}

// -- the API key -----------------------------------------------------------------------

let asking = null;
onKeyNeeded(() => {
  if (asking) return asking; // several calls got a 401 at once: one prompt
  const dialog = $("key");
  const form = $("key-form");
  form.reset();
  asking = new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        asking = null;
        resolve(dialog.returnValue === "ok" ? form.elements.key.value.trim() || null : null);
      },
      { once: true },
    );
  });
  dialog.returnValue = "";
  dialog.showModal();
  return asking;
});

// -- wiring ----------------------------------------------------------------------------

async function useFile(file) {
  if (!file) return;
  say("Reading the image…");
  try {
    const upload = await prepareUpload(file);
    change({ ...NO_IMAGE, upload: upload.token });
  } catch (error) {
    say(error.message, { error: true });
  }
}

const queryImage = new QueryImage({
  onBox: (box) => change({ box }),
  onRemove: () => change(NO_IMAGE),
});
const detail = new Detail({
  onSimilar: (id) => change({ ...NO_IMAGE, q: "", similar: id }),
  onRegion: (id, box) => change({ ...NO_IMAGE, q: "", similar: id, box }),
  onSaved: () => {},
  onError: explain,
});
const duplicates = new DuplicatesView({ onError: explain });
new StatusPanel({ onIndexed: () => refresh(), onProgress: () => refresh(), onError: explain });

$("search").addEventListener("submit", (event) => {
  event.preventDefault();
  change({ q: $("q").value.trim() });
});
$("pick-image").addEventListener("click", () => $("file").click());
$("file").addEventListener("change", (event) => {
  useFile(event.target.files[0]);
  event.target.value = ""; // the same file again is a new pick
});
let dragDepth = 0;
document.addEventListener("dragenter", (event) => {
  if (![...event.dataTransfer.types].includes("Files")) return;
  dragDepth += 1;
  $("drop").hidden = false;
});
document.addEventListener("dragleave", () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (!dragDepth) $("drop").hidden = true;
});
document.addEventListener("dragover", (event) => event.preventDefault());
document.addEventListener("drop", (event) => {
  event.preventDefault();
  dragDepth = 0;
  $("drop").hidden = true;
  const file = imageFile(event.dataTransfer);
  if (file) useFile(file);
  else say("Drop an image file to search by it.", { error: true });
});
document.addEventListener("paste", (event) => {
  const file = imageFile(event.clipboardData);
  if (!file) return; // text: pasted where the cursor is
  event.preventDefault();
  useFile(file);
});
$("toggle-filters").addEventListener("click", () => setFiltersShown($("filters").hidden));
$("filters").addEventListener("change", () => {
  const filters = {};
  for (const [name, value] of new FormData($("filters"))) {
    if (name === "confidence" && value === AUTO_CONFIDENCE) continue; // the page's default
    if (String(value).trim()) filters[name] = String(value).trim();
  }
  change({ filters });
});
$("filters").elements.confidence.addEventListener("input", showConfidence);
$("filters").addEventListener("reset", () => setTimeout(() => change({ filters: {} })));
$("filters").elements.under.addEventListener("input", (event) => {
  clearTimeout(folderTimer);
  folderTimer = setTimeout(() => suggestFolders(event.target.value), 150);
});
$("filters").elements.under.addEventListener("focus", (event) => suggestFolders(event.target.value));
document.addEventListener("keydown", (event) => {
  if (event.key === "/" && !event.target.closest("input, textarea, dialog")) {
    event.preventDefault();
    $("q").focus();
  }
});
// The URL says which view: the duplicates, or a search.
function route() {
  state = readState();
  showState();
  if (isDuplicatesView()) {
    $("grid").replaceChildren();
    say("");
    duplicates.show();
  } else {
    duplicates.hide();
    search();
  }
}
window.addEventListener("popstate", route);
$("show-duplicates").addEventListener("click", () => {
  history.pushState(null, "", "?view=duplicates");
  route();
});
new IntersectionObserver((entries) => {
  if (entries.some((entry) => entry.isIntersecting)) loadMore();
}, { rootMargin: "0px 0px 25% 0px" }).observe($("more"));

route();
