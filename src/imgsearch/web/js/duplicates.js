// The duplicates view (?view=duplicates): groups of copies from GET /v1/duplicates, each
// picture with its size, dimensions and date, the one to keep first, and the scores that
// linked them. "Select the others" picks every copy but the first, "Keep this one" every
// copy but that one, for the selection bar (export, zip, copy paths): nothing here
// deletes. Collection strings are set as text.

import { call } from "./api.js";
import { basename, showImage, sized, THUMBNAIL_SIZE } from "./grid.js";

export const DUPLICATE_CONFIDENCE = "0.5";
const GROUPS_SHOWN = 100;
const STAGES = { starting: "starting", reading: "reading vectors", neighbours: "finding neighbours", scoring: "scoring pairs", grouping: "grouping" };

export function isDuplicatesView(location = window.location) {
  return new URLSearchParams(location.search).get("view") === "duplicates";
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function bytes(size) {
  if (size >= 1e6) return `${(size / 1e6).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(size / 1e3))} kB`;
}

function member(picture, keep, selection, onKeep) {
  const item = element("li", keep ? "dup-member keep" : "dup-member");
  const link = element("a", "dup-thumb");
  link.href = `/v1/images/${picture.id}/file`;
  link.target = "_blank";
  link.rel = "noopener";
  const img = element("img");
  img.alt = basename(picture.path);
  img.loading = "lazy";
  showImage(img, sized(`/v1/images/${picture.id}/thumbnail`, THUMBNAIL_SIZE));
  link.append(img);
  const facts = element("div", "dup-facts");
  const name = element("span", "dup-name", basename(picture.path));
  name.title = picture.path;
  const size = picture.width ? `${picture.width}×${picture.height}` : "?";
  const date = new Date(picture.date * 1000).toLocaleDateString();
  facts.append(name, element("span", "dup-size", `${size} · ${bytes(picture.size)} · ${date}`));
  if (keep) facts.append(element("span", "dup-keep", "keep?"));
  const keeping = element("button", "dup-keep-this", "Keep this one");
  keeping.type = "button";
  keeping.setAttribute("aria-label", `Keep this one: ${basename(picture.path)} (selects the other copies)`);
  keeping.addEventListener("click", () => onKeep(picture));
  facts.append(keeping);
  item.append(link, facts);
  selection.decorate(item, picture);
  return item;
}

function pairLine(pair) {
  const how = pair.exact
    ? "same bytes"
    : `cosine ${pair.cosine.toFixed(3)}, layout ${pair.layout == null ? "–" : pair.layout.toFixed(2)}`;
  const text = `${basename(pair.left)} ~ ${basename(pair.right)}: confidence ${pair.confidence.toFixed(2)} (${how})`;
  return element("li", "", text);
}

function group(found, number, selection) {
  const item = element("li", "dup-group");
  const copies = found.kind === "exact" ? "identical files" : "near copies";
  const head = element("div", "dup-head");
  const others = element("button", "", "Select the others");
  others.type = "button";
  others.title = "Keep the first: select every other copy of this group, to export, zip or copy their paths (nothing is deleted)";
  // Keep one copy (the first, or the one chosen): every other is picked, that one not.
  const keepOnly = (kept) => {
    selection.set(kept, false);
    selection.setMany(found.members.filter((m) => m.id !== kept.id), true);
  };
  others.addEventListener("click", () => keepOnly(found.members[0]));
  head.append(element("h2", "", `${number}. ${found.members.length} ${copies}`), others);
  item.append(head);
  const members = element("ol", "dup-members");
  members.append(...found.members.map((picture, place) => member(picture, place === 0, selection, keepOnly)));
  const pairs = element("details", "dup-pairs");
  pairs.append(element("summary", "", "Why"));
  const list = element("ul");
  list.append(...found.pairs.map(pairLine));
  pairs.append(list);
  item.append(members, pairs);
  return item;
}

export class DuplicatesView {
  constructor({ onError }) {
    this.onError = onError;
    this.section = document.getElementById("duplicates");
    this.form = document.getElementById("duplicates-form");
    this.list = document.getElementById("duplicate-groups");
    this.summary = document.getElementById("duplicates-summary");
    this.asked = 0;
    this.form.addEventListener("change", () => {
      this.write();
      this.load();
    });
    this.form.elements.confidence.addEventListener("input", () => this.showConfidence());
    this.form.addEventListener("submit", (event) => event.preventDefault());
  }

  // Opens the view with the URL's settings (a shared link shows the same groups).
  show() {
    const params = new URLSearchParams(window.location.search);
    this.form.elements.confidence.value = params.get("confidence") || DUPLICATE_CONFIDENCE;
    this.form.elements.under.value = params.get("under") || "";
    this.showConfidence();
    this.section.hidden = false;
    this.load();
  }

  hide() {
    this.section.hidden = true;
  }

  showConfidence() {
    this.form.querySelector("output").textContent = Number(this.form.elements.confidence.value).toFixed(2);
  }

  write() {
    const params = new URLSearchParams({ view: "duplicates" });
    const confidence = this.form.elements.confidence.value;
    if (confidence !== DUPLICATE_CONFIDENCE) params.set("confidence", confidence);
    const under = this.form.elements.under.value.trim();
    if (under) params.set("under", under);
    history.replaceState(null, "", `?${params}`);
  }

  async load() {
    const asked = ++this.asked; // a slower earlier answer must not replace a newer one
    const query = new URLSearchParams({ min_confidence: this.form.elements.confidence.value, limit: GROUPS_SHOWN });
    const under = this.form.elements.under.value.trim();
    if (under) query.append("under", under);
    this.summary.textContent = "Comparing pictures…";
    try {
      let report = await call("GET", `/v1/duplicates?${query}`);
      // A large collection's report is made in the background: 202 with its state, then
      // the same request again until it is ready.
      while (report.state !== undefined) {
        if (asked !== this.asked) return;
        this.summary.textContent = report.state === "queued"
          ? "Waiting for another report to finish…"
          : `Comparing pictures (${STAGES[report.stage] || report.stage}, ${Math.round(report.seconds)} s)…`;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        if (asked !== this.asked) return;
        report = await call("GET", `/v1/duplicates?${query}`);
      }
      if (asked !== this.asked) return;
      this.render(report);
    } catch (error) {
      if (asked !== this.asked) return;
      this.summary.textContent = "";
      this.list.replaceChildren();
      this.onError(error);
    }
  }

  render(report) {
    const shown = report.groups.length < report.group_count ? ` (the ${report.groups.length} largest shown)` : "";
    this.summary.textContent = report.group_count
      ? `${report.group_count.toLocaleString()} groups of copies${shown}: ${report.duplicate_pictures.toLocaleString()} ` +
        `pictures beyond the first of their group, ${report.exact_groups.toLocaleString()} groups of identical files; ` +
        `${report.pictures.toLocaleString()} pictures compared. Nothing is deleted here.`
      : `No copies among ${report.pictures.toLocaleString()} pictures at confidence ≥ ${report.min_confidence}.`;
    this.groups = report.groups;
    this.list.replaceChildren(...report.groups.map((found, n) => group(found, n + 1, this.selection)));
  }

  // Every picture shown, group by group: what a Shift range and "Select all shown" walk.
  pictures() {
    return (this.groups || []).flatMap((found) => found.members);
  }
}
