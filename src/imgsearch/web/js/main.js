// The page: the search box and its chips, filters, the results grid with paging as the
// user scrolls, the detail view, the index panel and the API-key prompt. What is searched
// lives in the URL (state.js); the server is reached only through api.js.

import { ApiError, call, onKeyNeeded } from "./api.js";
import { Detail } from "./detail.js";
import { tile } from "./grid.js";
import { formatExpression, parseExpression } from "./query.js";
import { readState, searchBody, writeState } from "./state.js";
import { StatusPanel } from "./status.js";

const PAGE = 40;
const $ = (id) => document.getElementById(id);

let state = readState();
let results = { generation: 0, hits: [], ids: new Set(), offset: 0, exhausted: true, loading: false };

// -- messages -------------------------------------------------------------------------

function say(text, { error = false, action = null } = {}) {
  const message = $("message");
  message.classList.toggle("error", error);
  message.replaceChildren(text);
  if (action) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = action.label;
    button.addEventListener("click", action.run);
    message.append(" ", button);
  }
}

function explain(error) {
  if (!(error instanceof ApiError)) {
    say(`Could not reach the server: ${error.message}`, { error: true, action: { label: "Retry", run: search } });
    return;
  }
  if (error.status === 401) {
    say("This server needs an API key.", { error: true, action: { label: "Enter key", run: search } });
    return;
  }
  const advice = {
    413: "The image is too large to send.",
    429: "Too many requests: wait a moment and retry.",
    503: "The index or its model is not usable as configured.",
  }[error.status];
  say(`${advice ? `${advice} ` : ""}${error.message}`, { error: true });
}

// -- the query: box, chips, filters -----------------------------------------------------

function chip(text, { negative = false, weight = null, onWeight = null, onRemove }) {
  const item = document.createElement("li");
  item.className = negative ? "chip negative" : "chip";
  const name = document.createElement("span");
  name.textContent = text;
  item.append(name);
  if (onWeight) {
    const input = document.createElement("input");
    input.type = "number";
    input.step = "0.5";
    input.min = "-100";
    input.max = "100";
    input.value = String(weight);
    input.setAttribute("aria-label", `Weight of ${text}`);
    input.addEventListener("change", () => onWeight(Number(input.value)));
    item.append(input);
  }
  const remove = document.createElement("button");
  remove.type = "button";
  remove.textContent = "✕";
  remove.setAttribute("aria-label", `Remove ${text}`);
  remove.addEventListener("click", onRemove);
  item.append(remove);
  return item;
}

function renderChips() {
  const parts = parseExpression(state.q);
  const items = parts.map((part, index) =>
    chip(part.text, {
      negative: part.weight < 0,
      weight: part.weight,
      onWeight: (weight) => {
        if (!Number.isFinite(weight) || weight === 0) parts.splice(index, 1);
        else parts[index].weight = weight;
        change({ q: formatExpression(parts) });
      },
      onRemove: () => {
        parts.splice(index, 1);
        change({ q: formatExpression(parts) });
      },
    }),
  );
  if (state.similar) {
    items.push(chip(`similar to image ${state.similar}`, { onRemove: () => change({ similar: null }) }));
  }
  $("chips").replaceChildren(...items);
}

function showState() {
  $("q").value = state.q;
  const form = $("filters");
  for (const element of form.elements) {
    if (element.name) element.value = state.filters[element.name] || "";
  }
  if (Object.keys(state.filters).length) setFiltersShown(true);
  renderChips();
}

function setFiltersShown(shown) {
  $("filters").hidden = !shown;
  $("toggle-filters").setAttribute("aria-expanded", String(shown));
}

// A new search: into the URL (a history entry), then run.
function change(update) {
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

// -- results ---------------------------------------------------------------------------

function openDetail(position) {
  detail.show(results.hits, position);
}

async function search() {
  const generation = results.generation + 1;
  results = { generation, hits: [], ids: new Set(), offset: 0, exhausted: false, loading: false };
  $("grid").replaceChildren();
  if (!parseExpression(state.q).length && !state.similar) {
    results.exhausted = true;
    welcome();
    return;
  }
  say("Searching…");
  await loadMore();
}

async function loadMore() {
  if (results.loading || results.exhausted) return;
  const current = results;
  current.loading = true;
  try {
    const body = searchBody(state, parseExpression(state.q), current.offset, PAGE);
    const answer = await call("POST", "/v1/search", body);
    if (results !== current) return; // a newer search replaced this one
    current.offset += answer.hits.length;
    current.exhausted = answer.hits.length < PAGE;
    const fresh = answer.hits.filter((hit) => !current.ids.has(hit.id));
    const tiles = [];
    for (const hit of fresh) {
      current.ids.add(hit.id);
      current.hits.push(hit);
      tiles.push(tile(hit, current.hits.length - 1, openDetail));
    }
    $("grid").append(...tiles);
    if (current.hits.length === 0) {
      say("No images match. Try other words, fewer filters, or check the index panel.");
    } else {
      const more = current.exhausted ? "" : "+";
      say(`${current.hits.length}${more} images, best first · model ${answer.model}`);
    }
  } catch (error) {
    if (results !== current) return;
    current.exhausted = true;
    explain(error);
  } finally {
    current.loading = false;
  }
  if (results === current && !current.exhausted && nearEnd()) loadMore();
}

function nearEnd() {
  return $("more").getBoundingClientRect().top < window.innerHeight + 600;
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

const detail = new Detail({
  onSimilar: (id) => change({ q: "", similar: id }),
  onSaved: () => {},
  onError: explain,
});
new StatusPanel({ onIndexed: () => search(), onError: explain });

$("search").addEventListener("submit", (event) => {
  event.preventDefault();
  change({ q: formatExpression(parseExpression($("q").value)) || $("q").value.trim() });
});
$("toggle-filters").addEventListener("click", () => setFiltersShown($("filters").hidden));
$("filters").addEventListener("change", () => {
  const filters = {};
  for (const [name, value] of new FormData($("filters"))) {
    if (String(value).trim()) filters[name] = String(value).trim();
  }
  change({ filters });
});
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
window.addEventListener("popstate", () => {
  state = readState();
  showState();
  search();
});
new IntersectionObserver((entries) => {
  if (entries.some((entry) => entry.isIntersecting)) loadMore();
}, { rootMargin: "600px" }).observe($("more"));

showState();
search();
