// A box drawn on an image with a mouse, a finger or a pen (pointer events): drag on the
// image to draw, drag inside the box to move it, drag a corner handle to resize; with the
// box focused, arrow keys move it, Shift+arrows resize, Delete clears. Without a pointer,
// `place()` puts a box in the middle to move and size from the keyboard; Enter uses it. The box is kept in
// fractions of the image (the API's unit "fraction"), so it means the same region at any
// displayed size and on the full-size file the server crops.

const MIN_SIZE = 0.01; // a smaller drag is a click, not a box
const STEP = 0.01;
const CORNERS = ["nw", "ne", "sw", "se"];

const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

// Four decimals, and never past the image's edge after rounding (the API checks x + w ≤ 1).
export function roundBox(box) {
  const x = Math.floor(box.x * 1e4) / 1e4;
  const y = Math.floor(box.y * 1e4) / 1e4;
  return {
    x,
    y,
    w: Math.max(MIN_SIZE, Math.floor(Math.min(box.w, 1 - x) * 1e4) / 1e4),
    h: Math.max(MIN_SIZE, Math.floor(Math.min(box.h, 1 - y) * 1e4) / 1e4),
  };
}

export function formatBox(box) {
  return box ? [box.x, box.y, box.w, box.h].join(",") : "";
}

export function parseBox(text) {
  const values = String(text || "").split(",").map(Number);
  if (values.length !== 4 || values.some((v) => !Number.isFinite(v) || v < 0 || v > 1)) return null;
  const [x, y, w, h] = values;
  if (w <= 0 || h <= 0 || x + w > 1.0001 || y + h > 1.0001) return null;
  return { x, y, w, h };
}

export class BoxDrawer {
  // frame: an element that wraps the <img> exactly; onChange(box or null) after each edit.
  constructor(frame, image, onChange) {
    this.frame = frame;
    this.image = image;
    this.onChange = onChange;
    this.box = null;
    this.drag = null;
    this.enabled = true; // off for a video frame: a box is drawn on a picture
    // With `armedTouch`, a finger draws only once armed (`place()`): until then a touch is
    // the page's own (the viewer's swipe to the next picture), never a thin stray box.
    this.armedTouch = false;
    this.armed = false;
    this.element = document.createElement("div");
    this.element.className = "box";
    this.element.tabIndex = 0;
    this.element.hidden = true;
    this.element.setAttribute("role", "img");
    for (const corner of CORNERS) {
      const handle = document.createElement("span");
      handle.className = `handle ${corner}`;
      handle.dataset.corner = corner;
      this.element.append(handle);
    }
    frame.append(this.element);
    frame.classList.add("drawable", "touch-draws");
    frame.addEventListener("pointerdown", (event) => this.start(event));
    frame.addEventListener("pointermove", (event) => this.move(event));
    frame.addEventListener("pointerup", (event) => this.end(event));
    frame.addEventListener("pointercancel", () => this.cancel());
    image.addEventListener("dragstart", (event) => event.preventDefault());
    this.element.addEventListener("keydown", (event) => this.key(event));
  }

  set(box) {
    this.box = box ? { ...box } : null;
    this.placing = false;
    this.arm(false);
    this.render();
  }

  // Whether a finger draws now (see `armedTouch`); the frame lets the browser pan when not.
  arm(armed) {
    this.armed = armed;
    this.frame.classList.toggle("touch-draws", !this.armedTouch || armed);
  }

  // Whether this pointer-down is the drawer's: a finger only when armed (or never asked to be).
  takes(event) {
    return event.pointerType !== "touch" || !this.armedTouch || this.armed;
  }

  // A box in the middle of the image, focused, for the keyboard: its moves wait for Enter
  // (a search per pause would start one before the box is where the user wants it).
  place() {
    if (!this.enabled) return;
    this.box = { x: 0.25, y: 0.25, w: 0.5, h: 0.5 };
    this.placing = true;
    this.arm(true);
    this.render();
    this.element.focus({ preventScroll: true });
  }

  render() {
    const box = this.box;
    this.element.hidden = !box;
    if (!box) return;
    Object.assign(this.element.style, {
      left: `${box.x * 100}%`,
      top: `${box.y * 100}%`,
      width: `${box.w * 100}%`,
      height: `${box.h * 100}%`,
    });
    const percent = (v) => Math.round(v * 100);
    this.element.setAttribute(
      "aria-label",
      `Search region: from ${percent(box.x)}%, ${percent(box.y)}%, ` +
        `${percent(box.w)}% wide, ${percent(box.h)}% high. Arrow keys move it, Shift+arrows resize, ` +
        `${this.placing ? "Enter searches it, " : ""}Delete clears.`,
    );
  }

  point(event) {
    const rect = this.image.getBoundingClientRect();
    return {
      x: clamp((event.clientX - rect.left) / rect.width, 0, 1),
      y: clamp((event.clientY - rect.top) / rect.height, 0, 1),
    };
  }

  start(event) {
    if (!this.enabled || event.button !== 0 || !this.image.naturalWidth || !this.takes(event)) return;
    event.preventDefault();
    const p = this.point(event);
    const corner = event.target.dataset && event.target.dataset.corner;
    const box = this.box;
    if (corner && box) {
      // the opposite corner stays where it is
      const anchor = {
        x: corner.includes("w") ? box.x + box.w : box.x,
        y: corner.includes("n") ? box.y + box.h : box.y,
      };
      this.drag = { mode: "draw", anchor, before: box };
    } else if (box && event.target.closest(".box")) {
      this.drag = { mode: "move", offset: { x: p.x - box.x, y: p.y - box.y }, before: box };
    } else {
      this.drag = { mode: "draw", anchor: p, before: box };
    }
    this.frame.setPointerCapture(event.pointerId);
    this.element.focus({ preventScroll: true });
  }

  move(event) {
    if (!this.drag) return;
    const p = this.point(event);
    if (this.drag.mode === "move") {
      const { w, h } = this.drag.before;
      this.box = {
        x: clamp(p.x - this.drag.offset.x, 0, 1 - w),
        y: clamp(p.y - this.drag.offset.y, 0, 1 - h),
        w,
        h,
      };
    } else {
      const a = this.drag.anchor;
      this.box = { x: Math.min(a.x, p.x), y: Math.min(a.y, p.y), w: Math.abs(p.x - a.x), h: Math.abs(p.y - a.y) };
    }
    this.render();
  }

  end(event) {
    if (!this.drag) return;
    this.move(event);
    const { before } = this.drag;
    this.drag = null;
    if (!this.box || this.box.w < MIN_SIZE || this.box.h < MIN_SIZE) {
      this.set(before); // a click: nothing changes
      return;
    }
    this.box = roundBox(this.box);
    this.render();
    this.onChange(this.box);
  }

  cancel() {
    if (!this.drag) return;
    this.set(this.drag.before);
    this.drag = null;
  }

  key(event) {
    if (!this.box) return;
    if (event.key === "Enter") {
      event.preventDefault();
      this.placing = false;
      clearTimeout(this.keyTimer);
      this.onChange(this.box);
      return;
    }
    if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      this.set(null);
      this.onChange(null);
      return;
    }
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const step = moves[event.key];
    if (!step) return;
    event.preventDefault();
    event.stopPropagation(); // not the detail view's ←/→
    const box = { ...this.box };
    if (event.shiftKey) {
      box.w = clamp(box.w + step[0] * STEP, MIN_SIZE, 1 - box.x);
      box.h = clamp(box.h + step[1] * STEP, MIN_SIZE, 1 - box.y);
    } else {
      box.x = clamp(box.x + step[0] * STEP, 0, 1 - box.w);
      box.y = clamp(box.y + step[1] * STEP, 0, 1 - box.h);
    }
    this.box = roundBox(box);
    this.render();
    clearTimeout(this.keyTimer);
    if (!this.placing) this.keyTimer = setTimeout(() => this.onChange(this.box), 400); // one search per pause
  }
}
