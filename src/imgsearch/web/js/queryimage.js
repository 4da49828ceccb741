// The query image, shown above the results: an indexed image ("similar") or the user's
// upload, with a box to draw on it for a region search.

import { imageSource } from "./api.js";
import { BoxDrawer } from "./box.js";
import { findUpload } from "./upload.js";

const SIZE = 1024;

export class QueryImage {
  constructor({ onBox, onRemove }) {
    this.panel = document.getElementById("query-image");
    this.frame = document.getElementById("query-frame");
    this.image = document.getElementById("query-img");
    this.note = document.getElementById("query-note");
    this.clearButton = document.getElementById("box-clear");
    this.drawer = new BoxDrawer(this.frame, this.image, onBox);
    this.shown = null;
    this.clearButton.addEventListener("click", () => {
      this.drawer.set(null);
      onBox(null);
    });
    document.getElementById("image-remove").addEventListener("click", onRemove);
  }

  // Shows what `state` names; false when it names an upload this tab no longer has.
  show(state) {
    const key = state.similar ? `id:${state.similar}` : state.upload ? `upload:${state.upload}` : null;
    this.panel.hidden = !key;
    this.clearButton.hidden = !state.box;
    this.drawer.set(state.box);
    if (key === this.shown) return true;
    this.shown = key;
    this.image.removeAttribute("src");
    if (!key) return true;
    if (state.similar) {
      this.image.alt = `Indexed image ${state.similar}`;
      this.note.textContent = "Drag on the image to search a region of it.";
      imageSource(`/v1/images/${state.similar}/thumbnail?size=${SIZE}`).then(
        (source) => {
          this.image.src = source;
        },
        () => {
          this.note.textContent = "This image can no longer be shown.";
        },
      );
      return true;
    }
    const upload = findUpload(state.upload);
    if (!upload) {
      this.panel.hidden = true;
      this.shown = null;
      return false;
    }
    this.image.alt = "Your image";
    if (upload.preview) {
      this.image.src = upload.dataUrl;
      this.note.textContent = "Drag on the image to search a region of it.";
    } else {
      this.note.textContent = "This browser cannot show this image; the server reads it.";
    }
    return true;
  }
}
