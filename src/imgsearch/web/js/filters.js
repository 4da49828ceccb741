// The filters form: folder (with suggestions of indexed folders as the user types), dates,
// kind of item, formats, sizes, read text, labels, objects, the confidence cut. It shows the
// filters of the search in the URL and hands every change to `onChange(filters)`.

import { call } from "./api.js";
import { AUTO_CONFIDENCE } from "./state.js";

const SUGGEST_MS = 150;
// Where the form opens by itself when the URL sets filters: wide screens. On a phone it
// would fill the screen over the results: the Filters button says how many are set.
const WIDE = "(min-width: 720px)";

export class FiltersForm {
  constructor({ form, toggle, confidenceShown, folders, onChange }) {
    Object.assign(this, { form, toggle, confidenceShown, folders, onChange });
    this.folderTimer = null;
    toggle.addEventListener("click", () => this.setShown(form.hidden));
    form.addEventListener("change", () => onChange(this.read()));
    form.elements.confidence.addEventListener("input", () => this.showConfidence());
    form.addEventListener("reset", () => setTimeout(() => onChange({})));
    const under = form.elements.under;
    under.addEventListener("input", (event) => {
      clearTimeout(this.folderTimer);
      this.folderTimer = setTimeout(() => this.suggestFolders(event.target.value), SUGGEST_MS);
    });
    under.addEventListener("focus", (event) => this.suggestFolders(event.target.value));
  }

  // The form as filters: every field with a value (the page's default cut left out).
  read() {
    const filters = {};
    for (const [name, value] of new FormData(this.form)) {
      if (name === "confidence" && value === AUTO_CONFIDENCE) continue;
      if (String(value).trim()) filters[name] = String(value).trim();
    }
    return filters;
  }

  show(filters) {
    for (const element of this.form.elements) {
      if (element.type === "checkbox") element.checked = Boolean(filters[element.name]);
      else if (element.name === "confidence") element.value = filters.confidence || AUTO_CONFIDENCE;
      else if (element.name) element.value = filters[element.name] || "";
    }
    this.showConfidence();
    const set = Object.keys(filters).length;
    this.toggle.textContent = set ? `Filters (${set})` : "Filters";
    // on a phone the Filters button waits behind ☰, which then counts them too
    const menu = document.getElementById("toggle-menu");
    if (set) menu.dataset.count = String(set);
    else delete menu.dataset.count;
    if (set && window.matchMedia(WIDE).matches) this.setShown(true);
  }

  showConfidence() {
    const value = this.form.elements.confidence.value;
    this.confidenceShown.value =
      value === AUTO_CONFIDENCE ? "0.50 (auto)" : Number(value) > 0 ? Number(value).toFixed(2) : "off";
  }

  setShown(shown) {
    this.form.hidden = !shown;
    this.toggle.setAttribute("aria-expanded", String(shown));
  }

  async suggestFolders(typed) {
    try {
      const answer = await call("GET", `/v1/folders?${new URLSearchParams({ prefix: typed })}`);
      this.folders.replaceChildren(
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
}
