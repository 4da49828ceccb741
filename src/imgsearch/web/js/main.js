// The page's wiring and its one controller: the search box, the query image (dropped,
// pasted, picked, or an indexed one) with its box, and the API-key prompt. Views live in
// their own modules: the results grid (results.js), the filters (filters.js), the query's
// chips (chips.js), the browse view's counts (browse.js), messages, the detail view, the
// index panel, the duplicates. What is
// searched lives in the URL (state.js); the server is reached only through api.js.

import { onKeyNeeded } from "./api.js";
import { BrowseView } from "./browse.js";
import { renderChips } from "./chips.js";
import { Detail, openedId } from "./detail.js";
import { DuplicatesView, isDuplicatesView } from "./duplicates.js";
import { FiltersForm } from "./filters.js";
import { gridKeys } from "./gridkeys.js";
import { explain as explainError, say } from "./messages.js";
import { formatExpression } from "./query.js";
import { QueryImage } from "./queryimage.js";
import { Results } from "./results.js";
import { Selection } from "./selection.js";
import { hasImage, readState, writeState } from "./state.js";
import { StatusPanel } from "./status.js";
import { findUpload, imageFile, prepareUpload } from "./upload.js";

const $ = (id) => document.getElementById(id);

let state = readState();
// The parts the server read the query text as (its answer's `expression`), for the chips.
let read = { q: "", terms: [] };

// -- the query: chips (chips.js), the query image, filters (filters.js) ------------------

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

// A tile's "similar" action (shown with its pick on hover): search by that picture at once.
// The keyboard has the viewer's Similar (Enter, then the button).
function similarAction(item, hit) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "tile-action";
  button.tabIndex = -1;
  button.textContent = "≈";
  button.title = "Similar pictures";
  button.setAttribute("aria-label", `Similar to ${hit.path.slice(hit.path.lastIndexOf("/") + 1)}`);
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    change({ ...NO_IMAGE, q: "", similar: hit.id });
  });
  item.append(button);
}

// ``filters`` with ``update``'s values set (an empty value removes that filter).
function withFilters(filters, update) {
  const merged = { ...filters, ...update };
  for (const [name, value] of Object.entries(merged)) if (value === "" || value == null) delete merged[name];
  return merged;
}

function showState() {
  queryImage.show(state);
  $("q").value = state.q;
  filters.show(state.filters);
  showChips();
}

// A new search: into the URL (a history entry), then run.
function change(update) {
  duplicates.hide(); // a search leaves the duplicates view
  selection.clear(); // … and what was picked among the results it replaces
  state = { ...state, ...update };
  writeState(state);
  showState();
  searched = JSON.stringify(state);
  return search();
}

// After a search started from the viewer (Similar, a drawn box): the keyboard goes on
// from the new results' first tile, not from the top of the page.
async function changeFromViewer(update) {
  await change(update);
  document.querySelector("#grid .tile")?.focus();
}

// The search the URL describes, unless its uploaded image is gone (uploads live in this
// tab's session): then without it, and said.
function search(options) {
  if (state.upload && !findUpload(state.upload)) {
    state = { ...state, ...NO_IMAGE };
    writeState(state, { replace: true });
    showState();
    if (!state.q.trim()) {
      results.clear();
      say("The image of this search was uploaded in another tab or session: drop, paste or pick it again.");
      return Promise.resolve();
    }
  }
  return results.search(options);
}

const explain = (error) => explainError(error, search);

// -- the API key -----------------------------------------------------------------------

let asking = null;
onKeyNeeded((rejected) => {
  if (asking) return asking; // several calls got a 401 at once: one prompt
  const dialog = $("key");
  const form = $("key-form");
  form.reset();
  $("key-prompt").textContent = rejected
    ? "The server rejected that API key. Enter the key it was given:"
    : "This server needs an API key.";
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
  onSimilar: (id) => changeFromViewer({ ...NO_IMAGE, q: "", similar: id }),
  onRegion: (id, box) => changeFromViewer({ ...NO_IMAGE, q: "", similar: id, box }),
  onSaved: () => {},
  onError: explain,
});
const duplicates = new DuplicatesView({ onError: explain });
const filters = new FiltersForm({
  form: $("filters"),
  toggle: $("toggle-filters"),
  confidenceShown: $("confidence-shown"),
  folders: $("folders"),
  onChange: (chosen) => change({ filters: chosen }),
});
const browse = new BrowseView({
  section: $("browse"),
  order: $("browse-order"),
  onFilters: (update) => change({ filters: withFilters(state.filters, update) }),
  onOrder: (order) => change({ order }),
});
const results = new Results({
  grid: $("grid"),
  more: $("more"),
  state: () => state,
  onRead: (q, terms) => {
    read = { q, terms };
    showChips();
  },
  onOpen: (hits, position, event) => {
    if (selection.wants(event)) selection.choose(hits[position], event);
    else detail.show(hits, position);
  },
  onWeaker: () => change({ filters: { ...state.filters, confidence: "0" } }),
  onError: explain,
  isOpen: () => $("detail").open,
  onFacets: (facets) => (facets ? browse.show(facets, state.filters, state.order) : browse.hide()),
  onClearFilters: () => change({ filters: {} }),
  decorate: (item, hit) => {
    selection.decorate(item, hit);
    similarAction(item, hit);
  },
});
// What is picked stays picked while the results shown are those of the same search; the
// pictures on screen, in order, are what Shift ranges and "Select all shown" walk.
const selection = new Selection({
  bar: $("selection"),
  dialog: $("tag-dialog"),
  shown: () => (isDuplicatesView() ? duplicates.pictures() : results.hits()),
  onChanged: () => (isDuplicatesView() ? duplicates.load() : results.refresh()),
  onError: explain,
});
duplicates.selection = selection;
gridKeys($("grid"), (tile, event) => {
  const hit = results.hits().find((h) => String(h.id) === tile.dataset.id);
  if (hit) selection.choose(hit, event);
});
new StatusPanel({ onIndexed: () => results.refresh(), onProgress: () => results.refresh(), onError: explain });

$("search").addEventListener("submit", (event) => {
  event.preventDefault();
  change({ q: $("q").value.trim() });
});
$("pick-image").addEventListener("click", () => $("file").click());
// A phone's header is one row; ☰ shows the rest (image, filters, duplicates, index).
$("toggle-menu").addEventListener("click", () => {
  const open = $("toggle-menu").getAttribute("aria-expanded") !== "true";
  $("toggle-menu").setAttribute("aria-expanded", String(open));
  document.querySelector(".bar").classList.toggle("open", open);
});
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
document.addEventListener("keydown", (event) => {
  if (event.target.closest("input, textarea, select, dialog")) return; // typing, or a dialog's
  if (event.key === "/") {
    event.preventDefault();
    $("q").focus();
  } else if (event.key === "?") {
    event.preventDefault();
    $("shortcuts").showModal();
  }
});
// The URL says which view: the duplicates, or a search.
// The search whose results are on the page (its state, as JSON): Back and Forward between
// entries of one search (the viewer opening and closing) do not search again.
let searched = null;

function route() {
  state = readState();
  showState();
  if (isDuplicatesView()) {
    selection.clear();
    searched = null;
    results.clear();
    browse.hide();
    say("");
    duplicates.show();
    return;
  }
  duplicates.hide();
  const key = JSON.stringify(state);
  if (key === searched) {
    detail.follow(openedId(), results.hits());
    return;
  }
  searched = key;
  selection.clear();
  search().then(() => detail.follow(openedId(), results.hits()));
}
window.addEventListener("popstate", route);
$("show-duplicates").addEventListener("click", () => {
  history.pushState(null, "", "?view=duplicates");
  route();
});
route();
