// The results view: the grid of hits for the search the URL describes — or, without a
// query, the collection itself under the filters (the browse view, newest first) — a page
// at a time as the user scrolls, each call aborted when a newer one replaces it, the pages
// loaded redrawn when the index grows, and the line that says what was found.

import { call } from "./api.js";
import { isDuplicatesView } from "./duplicates.js";
import { perRow, rowHeight, tile } from "./grid.js";
import { say, vocabularyNote } from "./messages.js";
import { AUTO_CONFIDENCE, browseBody, hasQuery, searchBody } from "./state.js";
import { base64Of, findUpload } from "./upload.js";

const PAGE = 40;
const MAX_PREVIEWS = 40; // the most one answer carries (server/previews.py)
// A refresh asks again for every hit loaded so far, up to this many (the rest load as the
// user scrolls, as before).
const MERGE_MAX = 400;
// The last results stay on screen until the new ones replace them in one step: no empty
// flash, and no layout and paint competing with the server while it ranks. "Searching…"
// appears only if the answer is slow to come; aria-busy says it at once.
const SLOW_MS = 300;

function emptyResults(generation) {
  const abort = new AbortController();
  return { generation, hits: [], ids: new Set(), offset: 0, exhausted: false, loading: false, slow: 0, abort };
}

export class Results {
  // grid, more: the list and the element after it; state(): the search; onRead(q, terms):
  // how the server read the query text; onOpen(hits, position): a hit's detail;
  // onWeaker(): the same search without the confidence cut; isOpen(): a detail is shown;
  // onFacets(facets | null): the counts beside a browsed collection (null: a search).
  // onClearFilters(): the collection without the filters that left nothing;
  // decorate(item, hit): adds to a new tile's <li> (its pick toggle).
  constructor({ grid, more, state, onRead, onOpen, onWeaker, onError, isOpen, onFacets, onClearFilters, decorate }) {
    Object.assign(this, { grid, more, state, onRead, onOpen, onWeaker, onError, isOpen, onFacets, onClearFilters, decorate });
    this.current = { ...emptyResults(0), exhausted: true };
    this.refreshing = false;
    new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) this.loadMore();
    }, { rootMargin: "0px 0px 25% 0px" }).observe(more);
  }

  // A new search in place of the one shown (whose call is aborted: its answer would only
  // be dropped). Returns once its first page is in.
  async search({ keepScroll = false } = {}) {
    const current = emptyResults(this.current.generation + 1);
    current.keepScroll = keepScroll;
    clearTimeout(this.current.slow);
    this.current.abort.abort();
    this.current = current;
    this.cancelThumbnails();
    if (hasQuery(this.state())) this.onFacets(null);
    await this.loadMore();
  }

  // The hits on the page, best first.
  hits() {
    return this.current.hits;
  }

  clear() {
    this.current.abort.abort();
    this.current = { ...emptyResults(this.current.generation + 1), exhausted: true };
    this.grid.replaceChildren();
  }

  // Old tiles' thumbnails still loading would hold the browser's few connections to this
  // server (six over HTTP/1.1) ahead of the new search: dropping their src cancels them.
  cancelThumbnails() {
    for (const img of this.grid.querySelectorAll("img")) {
      if (!img.complete) img.removeAttribute("src");
    }
  }

  showSearching(current) {
    this.grid.setAttribute("aria-busy", "true");
    current.slow = setTimeout(() => {
      if (this.current === current && current.loading) say("Searching…");
    }, SLOW_MS);
  }

  doneSearching(current) {
    clearTimeout(current.slow);
    if (this.current === current) this.grid.removeAttribute("aria-busy");
  }

  // The call for ``top`` results from ``offset``: a search, or without a query the
  // collection listed (with its counts on a first page).
  // A first page asks for previews of the rows on screen, painted until their thumbnails load.
  request(offset, top = PAGE) {
    const state = this.state();
    const rows = Math.max(2, Math.ceil(window.innerHeight / rowHeight(this.grid)));
    const previews = offset === 0 ? Math.min(top, MAX_PREVIEWS, rows * perRow(this.grid)) : 0;
    if (!hasQuery(state)) {
      return { path: "/v1/browse", body: { ...browseBody(state, offset, top, offset === 0), previews } };
    }
    const upload = state.upload ? findUpload(state.upload) : null;
    return { path: "/v1/search", body: { ...searchBody(state, offset, top, upload && base64Of(upload)), previews } };
  }

  async loadMore() {
    const current = this.current;
    if (current.loading || current.exhausted || isDuplicatesView()) return;
    const first = current.offset === 0;
    const objects = this.state().filters.objects;
    current.loading = true;
    if (first) this.showSearching(current);
    try {
      const { path, body } = this.request(current.offset);
      const answer = await call("POST", path, body, { signal: current.abort.signal });
      if (this.current !== current) return; // a newer search replaced this one
      const hits = answer.items || answer.hits;
      if (first && answer.hits) this.onRead(body.q || "", answer.expression || []);
      if (answer.facets) this.onFacets(answer.facets);
      current.offset += hits.length;
      current.exhausted = hits.length < PAGE;
      // Both read while the layout is still the last frame's (free); read after the new
      // tiles are in, they would force a layout before the thumbnails are even requested.
      const firstRow = first ? perRow(this.grid) : 0;
      const scrolled = first && !current.keepScroll && window.scrollY > 0;
      const tiles = this.tilesOf(current, hits, firstRow, objects);
      if (first) {
        this.grid.replaceChildren(...tiles);
        if (scrolled) window.scrollTo(0, 0);
      } else {
        this.grid.append(...tiles);
      }
      this.tell(current, body, answer, objects);
    } catch (error) {
      if (this.current !== current) return;
      current.exhausted = true;
      if (first) this.grid.replaceChildren();
      this.onError(error);
    } finally {
      current.loading = false;
      if (first) this.doneSearching(current);
    }
    if (this.current === current && !current.exhausted && this.nearEnd()) this.loadMore();
  }

  // Tiles for those of ``hits`` not shown yet: one per image, or per box in object mode
  // (an image then has several); the first ``urgent`` of the results load first.
  tilesOf(current, hits, urgent, objects) {
    const key = (hit) => (hit.region ? `${hit.id}/${hit.region.id}` : String(hit.id));
    const open = (position, event) => this.onOpen(current.hits, position, event);
    const row = rowHeight(this.grid);
    const tiles = [];
    for (const hit of hits.filter((h) => !current.ids.has(key(h)))) {
      current.ids.add(key(hit));
      current.hits.push(hit);
      const item = tile(hit, current.hits.length - 1, open, current.hits.length <= urgent, objects, row);
      this.decorate(item, hit);
      tiles.push(item);
    }
    return tiles;
  }

  // What was found; with the confidence cut, what it left out is one click away. The
  // server says whether a cut was applied at all (none in a collection too small to judge
  // confidence, none under a text filter) and why not: the page repeats it, never a claim
  // of "likely real matches" that was not tested.
  tell(current, body, answer, objects) {
    if (answer.items) {
      this.tellBrowsed(current, body, answer);
      return;
    }
    const judgement = answer.confidence || { judged: true, cut: body.min_confidence ?? null, note: null };
    const cut = body.min_confidence !== undefined && judgement.cut != null;
    const weaker = cut && current.exhausted ? { label: "Show weaker matches too", run: this.onWeaker } : null;
    const unknown = vocabularyNote(answer);
    const note = judgement.note ? ` (${judgement.note})` : "";
    if (current.hits.length === 0 && cut) {
      say(`${unknown}Nothing here is likely a real match${note}.`, { action: weaker });
    } else if (current.hits.length === 0) {
      say(`${unknown}No images match${note}. Try other words, fewer filters, or check the index panel.`);
    } else {
      const more = current.exhausted ? "" : "+";
      const one = current.hits.length === 1 && !more;
      const things = objects ? (one ? "box" : "boxes") : one ? "image" : "images";
      const level = judgement.cut === "auto" ? AUTO_CONFIDENCE : judgement.cut;
      // a query the model cannot read keeps only hits found by their words: said as such,
      // not as "likely real matches" beside "no picture is judged a match"
      const likely = !cut ? ""
        : answer.readable === false ? " found by their words (names, captions, text read in them)"
        : ` ${one ? "likely real match" : "likely real matches"} (confidence ≥ ${Number(level).toFixed(2)})`;
      say(`${unknown}${current.hits.length}${more} ${things}${likely}, best first${note} · model ${answer.model}`, { action: weaker });
    }
  }

  // What a browsed collection holds: how many items, in which order; an empty collection
  // says how to fill it.
  tellBrowsed(current, body, answer) {
    const filtered = Boolean(body.filters || body.labels);
    if (answer.total === 0 && !filtered) {
      this.welcome();
      return;
    }
    if (answer.total === 0) {
      say("No items match these filters.", { action: { label: "Clear filters", run: this.onClearFilters } });
      return;
    }
    const things = answer.total === 1 ? "item" : "items";
    const order = { newest: "newest first", oldest: "oldest first", path: "by folder" }[answer.order];
    say(`${answer.total.toLocaleString()} ${things}${filtered ? " match these filters" : ""}, ${order}. Type what you are looking for to search them.`);
  }

  // New images in the index (a run's batches commit as it goes): every hit loaded so far
  // asked for again in one call and, if they changed, put in place of the grid's tiles —
  // new images join wherever they rank, however far the user has scrolled, and the scroll
  // position stays. Pages past them load as before.
  async refresh() {
    const current = this.current;
    if (this.refreshing) {
      this.again = true; // asked while one is in flight: once more after it (the last word)
      return;
    }
    if (current.loading || this.isOpen() || isDuplicatesView()) return;
    this.refreshing = true;
    try {
      const { path, body } = this.request(0, Math.min(Math.max(current.hits.length, PAGE), MERGE_MAX));
      const answer = await call("POST", path, body, { signal: current.abort.signal });
      answer.hits = answer.hits || answer.items;
      if (this.current !== current || current.loading) return;
      if (answer.facets) this.onFacets(answer.facets);
      const objects = this.state().filters.objects;
      const same = answer.hits.length === current.hits.length && answer.hits.every((h, i) => h.id === current.hits[i].id);
      if (same) {
        if (answer.items) this.tell(current, body, answer, objects); // the count may have grown
        return;
      }
      this.cancelThumbnails();
      current.hits = [];
      current.ids = new Set();
      current.offset = answer.hits.length;
      current.exhausted = answer.hits.length < body.top;
      this.grid.replaceChildren(...this.tilesOf(current, answer.hits, perRow(this.grid), objects));
      this.tell(current, body, answer, objects);
      if (!current.exhausted && this.nearEnd()) this.loadMore(); // the user is at the end
    } catch {
      // the next progress tick tries again; the results shown stay
    } finally {
      this.refreshing = false;
    }
    if (this.again) {
      this.again = false;
      this.refresh();
    }
  }

  // The next page is fetched when the end of the grid comes within a quarter screen: not
  // before, so that a search's first screen of thumbnails has the connections to itself.
  nearEnd() {
    return this.more.getBoundingClientRect().top < window.innerHeight * 1.25;
  }

  async welcome() {
    try {
      const status = await call("GET", "/v1/status");
      if (status.images === 0) {
        say("Nothing is indexed yet: run imgsearch index FOLDER, or use the Index panel.");
      } else {
        say(`${status.images.toLocaleString()} images indexed with ${status.model}. Type what you are looking for.`);
      }
    } catch (error) {
      this.onError(error);
    }
  }
}
