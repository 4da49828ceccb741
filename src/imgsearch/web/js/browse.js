// The browse view's side of the grid: with no query, the collection's counts under the
// filters — its folders (one level down), a timeline of months, tags, labels and kinds —
// each a button that narrows the listing (the filters of the URL, like any other), and the
// order of the listing. Collection strings (folders, tags, labels) are set as text only.

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function element(tag, className, text) {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text !== undefined) made.textContent = text;
  return made;
}

// A button "value count" that is pressed when its value is the one filtered on.
function facetButton(text, count, pressed, onClick) {
  const button = element("button", "facet");
  button.type = "button";
  button.setAttribute("aria-pressed", String(pressed));
  button.append(element("span", "facet-name", text), element("span", "facet-count", count.toLocaleString()));
  button.addEventListener("click", onClick);
  return button;
}

// "2023-05" as the first day of that month and of the next ("2023-05-01", "2023-06-01"):
// the filters' From (inclusive) and Before (exclusive).
export function monthRange(month) {
  const [year, number] = month.split("-").map(Number);
  const next = number === 12 ? `${year + 1}-01` : `${year}-${String(number + 1).padStart(2, "0")}`;
  return { after: `${month}-01`, before: `${next}-01` };
}

// The month the date filters name, when they name exactly one ("2023-05"), else null.
export function filteredMonth(filters) {
  const month = (filters.after || "").slice(0, 7);
  if (!/^\d{4}-\d{2}$/.test(month)) return null;
  const range = monthRange(month);
  return filters.after === range.after && filters.before === range.before ? month : null;
}

function folderName(folder, base) {
  return folder.startsWith(`${base}/`) ? folder.slice(base.length + 1) : folder.slice(folder.lastIndexOf("/") + 1);
}

export class BrowseView {
  // section: the view's element; order: its <select>; onFilters(update): filters to set
  // (a value "" clears one); onOrder(order): the listing's order.
  constructor({ section, order, onFilters, onOrder }) {
    Object.assign(this, { section, order, onFilters, onOrder });
    order.addEventListener("change", () => onOrder(order.value));
  }

  hide() {
    this.section.hidden = true;
  }

  // The counts of a browse answer, under ``filters`` (the URL's) in ``order``.
  show(facets, filters, order) {
    if (facets.total === 0 && !Object.keys(filters).length) {
      this.hide(); // an empty collection: nothing to count, and the page says how to fill it
      return;
    }
    this.order.value = order;
    const rows = [
      this.folders(facets, filters),
      this.timeline(facets.months, filters),
      this.values("Tags", facets.tags, "tag", filters.tags, (tag) => ({ tags: tag })),
      // automatic (zero-shot) tags: the same filter, which matches both kinds of tag
      this.values("Automatic tags", facets.auto_tags || [], "tag", filters.tags, (tag) => ({ tags: tag })),
      // keywords from the pictures' XMP and IPTC metadata: the same filter too
      this.values("Keywords", facets.keywords || [], "tag", filters.tags, (tag) => ({ tags: tag })),
      this.values("Labels", facets.labels, "label", filters.labels, (label) => ({ labels: label })),
      facets.kinds.length > 1 || filters.media
        ? this.values("Kinds", facets.kinds, "kind", filters.media, (kind) => ({ media: kind }))
        : null,
    ];
    this.section.querySelector(".facets").replaceChildren(...rows.filter(Boolean));
    this.section.hidden = false;
  }

  row(title, ...children) {
    const row = element("div", "facet-row");
    row.setAttribute("role", "group");
    row.setAttribute("aria-label", title);
    row.append(element("span", "facet-title", title), ...children);
    return row;
  }

  folders(facets, filters) {
    const buttons = facets.folders.map(({ folder, count }) =>
      facetButton(folderName(folder, facets.base), count, false, () => this.onFilters({ under: folder })),
    );
    const here = element("span", "facet-here", `${facets.base.slice(facets.base.lastIndexOf("/") + 1) || "/"}/`);
    here.title = `${facets.base}: ${facets.here.toLocaleString()} directly in it`;
    const parts = [here];
    if (filters.under) {
      const all = element("button", "facet-clear", "All folders");
      all.type = "button";
      all.addEventListener("click", () => this.onFilters({ under: "" }));
      parts.unshift(all);
    }
    if (!buttons.length && !filters.under) return null;
    return this.row("Folders", ...parts, ...buttons);
  }

  // The months as bars as tall as their counts, grouped by year, oldest first: a click
  // narrows the listing to that month; "All dates" widens it again.
  timeline(months, filters) {
    const chosen = filteredMonth(filters);
    if (months.length < 2 && !chosen) return null;
    const most = Math.max(1, ...months.map((m) => m.count));
    const strip = element("div", "timeline");
    let year = null;
    for (const { month, count } of months) {
      const [y, m] = month.split("-");
      if (y !== year) {
        year = y;
        strip.append(element("span", "timeline-year", y));
      }
      const bar = element("button", "timeline-month");
      bar.type = "button";
      const name = `${MONTHS[Number(m) - 1]} ${y}`;
      bar.setAttribute("aria-label", `${name}: ${count.toLocaleString()} ${count === 1 ? "item" : "items"}`);
      bar.setAttribute("aria-pressed", String(month === chosen));
      bar.title = bar.getAttribute("aria-label");
      const fill = element("span", "timeline-fill");
      fill.style.height = `${Math.max(8, Math.round((100 * count) / most))}%`;
      bar.append(fill);
      bar.addEventListener("click", () => this.onFilters(monthRange(month)));
      strip.append(bar);
    }
    const parts = [strip];
    if (filters.after || filters.before) {
      const all = element("button", "facet-clear", "All dates");
      all.type = "button";
      all.addEventListener("click", () => this.onFilters({ after: "", before: "" }));
      parts.unshift(all);
    }
    return this.row("Timeline", ...parts);
  }

  // Buttons for a facet's values; the one filtered on is pressed, and a second click
  // clears it.
  values(title, counted, key, current, update) {
    if (!counted.length) return null;
    const buttons = counted.map((entry) => {
      const value = entry[key];
      const pressed = value === current;
      return facetButton(value, entry.count, pressed, () => {
        const change = update(pressed ? "" : value);
        this.onFilters(change);
      });
    });
    return this.row(title, ...buttons);
  }
}
