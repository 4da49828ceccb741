// Choosing many pictures and acting on them: the pick toggle on each tile (click; Shift for
// a range; drag across tiles; Space on a focused tile; a long press on a touch screen;
// once something is picked, a click on a tile picks too), and the bar that then appears:
// download them as one zip, copy their paths, export CSV / JSON / COCO, tag or caption
// them all, pick every one shown, clear. Nothing here deletes a file.

import { call, fetchBlob } from "./api.js";
import { say } from "./messages.js";

const LONG_PRESS_MS = 500;
const NAMES = { csv: "imgsearch-selection.csv", json: "imgsearch-selection.jsonl", coco: "imgsearch-selection.coco.json" };

function element(tag, className, text) {
  const made = document.createElement(tag);
  if (className) made.className = className;
  if (text !== undefined) made.textContent = text;
  return made;
}

// A file the server made, saved by the browser under ``name``.
function save(blob, name) {
  const link = element("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

function tagList(text) {
  return String(text || "").split(",").map((tag) => tag.trim()).filter(Boolean);
}

export class Selection {
  // bar: the selection bar; dialog: the tag-and-caption dialog; shown(): the pictures on
  // screen in order ({id, path}); onChanged(): captions or tags were written.
  constructor({ bar, dialog, shown, onChanged, onError }) {
    Object.assign(this, { bar, dialog, shown, onChanged, onError });
    this.picked = new Map(); // id → {id, path}, in the order picked
    this.anchor = null; // the last picture picked or unpicked: a Shift+click's other end
    this.painting = null; // while dragging across picks: true picks, false unpicks
    this.count = bar.querySelector(".selection-count");
    const act = (name, run) => bar.querySelector(`[data-act=${name}]`).addEventListener("click", run);
    act("zip", () => this.download());
    act("paths", () => this.copyPaths());
    act("export", () => this.export(bar.querySelector("[name=format]").value));
    act("tag", () => this.askTags());
    act("all", () => this.setMany(this.shown(), true));
    act("clear", () => this.clear());
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "ok") this.annotate(new FormData(dialog.querySelector("form")));
    });
    document.addEventListener("pointerup", () => {
      this.painting = null;
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.picked.size && !event.target.closest("dialog")) this.clear();
    });
  }

  get active() {
    return this.picked.size > 0;
  }

  has(id) {
    return this.picked.has(id);
  }

  // A tile's pick toggle (its <li>, holding the tile button), kept in step with the
  // selection; a drag that starts on one picks (or unpicks) every tile it crosses.
  decorate(item, picture) {
    item.dataset.pick = String(picture.id);
    const pick = element("button", "pick", "✓");
    pick.type = "button";
    pick.tabIndex = -1; // the grid is one Tab stop: Space on a tile picks it
    pick.setAttribute("aria-label", `Select ${picture.path.slice(picture.path.lastIndexOf("/") + 1)}`);
    let pressed = false; // picked as the mouse went down: the click that ends it is not another
    pick.addEventListener("click", (event) => {
      event.stopPropagation();
      if (!pressed) this.choose(picture, event);
      pressed = false;
    });
    pick.addEventListener("pointerdown", (event) => {
      if (event.pointerType !== "mouse" || event.button !== 0 || event.shiftKey) return;
      this.painting = !this.has(picture.id);
      this.set(picture, this.painting);
      this.anchor = picture.id;
      pressed = true;
    });
    item.addEventListener("pointerenter", () => {
      if (this.painting !== null) this.set(picture, this.painting);
    });
    this.longPress(item, picture);
    item.append(pick);
    this.mark(item, this.has(picture.id));
  }

  // On a touch screen a press held half a second picks the picture (the click that follows
  // it is swallowed).
  longPress(item, picture) {
    let timer = 0;
    let fired = false;
    item.addEventListener("pointerdown", (event) => {
      if (event.pointerType !== "touch") return;
      fired = false;
      timer = setTimeout(() => {
        fired = true;
        this.choose(picture, {});
      }, LONG_PRESS_MS);
    });
    for (const name of ["pointerup", "pointercancel", "pointermove"]) {
      item.addEventListener(name, (event) => {
        if (name !== "pointermove" || Math.abs(event.movementX) + Math.abs(event.movementY) > 8) clearTimeout(timer);
      });
    }
    item.addEventListener("click", (event) => {
      if (fired) {
        event.stopPropagation();
        event.preventDefault();
        fired = false;
      }
    }, true);
    item.addEventListener("contextmenu", (event) => {
      if (fired) event.preventDefault();
    });
  }

  // Whether a click on a tile picks instead of opening: while something is picked, or
  // with Shift, Ctrl or ⌘ held.
  wants(event) {
    return this.active || Boolean(event && (event.shiftKey || event.ctrlKey || event.metaKey));
  }

  // A pick by click or key: Shift extends from the last one picked to this one.
  choose(picture, event) {
    const order = this.shown();
    if (event.shiftKey && this.anchor !== null) {
      const from = order.findIndex((p) => p.id === this.anchor);
      const to = order.findIndex((p) => p.id === picture.id);
      if (from >= 0 && to >= 0) {
        const [low, high] = from < to ? [from, to] : [to, from];
        this.setMany(order.slice(low, high + 1), true);
        this.anchor = picture.id;
        return;
      }
    }
    this.set(picture, !this.has(picture.id));
    this.anchor = picture.id;
  }

  set(picture, on) {
    if (on) this.picked.set(picture.id, { id: picture.id, path: picture.path });
    else this.picked.delete(picture.id);
    for (const item of document.querySelectorAll(`[data-pick="${picture.id}"]`)) this.mark(item, on);
    this.showBar();
  }

  setMany(pictures, on) {
    for (const picture of pictures) this.set(picture, on);
  }

  clear() {
    this.setMany([...this.picked.values()], false);
    this.anchor = null;
  }

  mark(item, on) {
    item.classList.toggle("picked", on);
    const pick = item.querySelector(".pick");
    if (pick) pick.setAttribute("aria-pressed", String(on));
    document.body.classList.toggle("selecting", this.active);
  }

  showBar() {
    const count = this.picked.size;
    this.bar.hidden = count === 0;
    this.count.textContent = `${count.toLocaleString()} selected`;
  }

  // The ids picked, in the order they are shown (those no longer shown after them).
  ids() {
    const shown = this.shown().map((p) => p.id).filter((id) => this.picked.has(id));
    return [...new Set([...shown, ...this.picked.keys()])];
  }

  async download() {
    say(`Packing ${this.picked.size.toLocaleString()} files…`);
    try {
      save(await fetchBlob("POST", "/v1/selection/archive", { ids: this.ids() }), "imgsearch-selection.zip");
      say(`Downloaded ${this.picked.size.toLocaleString()} files as imgsearch-selection.zip.`);
    } catch (error) {
      this.onError(error);
    }
  }

  async export(format) {
    try {
      save(await fetchBlob("POST", "/v1/selection/export", { ids: this.ids(), format }), NAMES[format]);
      say(`Exported ${this.picked.size.toLocaleString()} items as ${NAMES[format]}.`);
    } catch (error) {
      this.onError(error);
    }
  }

  // The paths, one per line, on the clipboard; where the page may not write it (plain
  // HTTP off this machine), shown selected in a box to copy by hand.
  async copyPaths() {
    const text = this.ids().map((id) => this.picked.get(id).path).join("\n");
    try {
      await navigator.clipboard.writeText(text);
      say(`Copied ${this.picked.size.toLocaleString()} paths.`);
    } catch {
      const box = document.getElementById("paths-text");
      box.value = text;
      document.getElementById("paths-dialog").showModal();
      box.select();
    }
  }

  askTags() {
    const form = this.dialog.querySelector("form");
    form.reset();
    this.dialog.querySelector(".tag-count").textContent = `${this.picked.size.toLocaleString()} selected`;
    this.dialog.returnValue = "";
    this.dialog.showModal();
  }

  async annotate(form) {
    const body = { ids: this.ids(), add_tags: tagList(form.get("add")), remove_tags: tagList(form.get("remove")) };
    if (form.get("set_caption")) body.caption = String(form.get("caption") || "");
    try {
      const done = await call("POST", "/v1/selection/annotate", body);
      const things = done.changed === 1 ? "item" : "items";
      say(`Changed ${done.changed.toLocaleString()} ${things}${done.unchanged ? ` (${done.unchanged.toLocaleString()} already so)` : ""}.`);
      this.onChanged();
    } catch (error) {
      this.onError(error);
    }
  }
}
