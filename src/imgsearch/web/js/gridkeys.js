// The results grid from the keyboard, as a grid and not a list of buttons: one tab stop for
// all its tiles (the one last focused; Tab leaves the grid at once), ←/→ a tile, ↑/↓ a row
// (the grid's own column count), PageUp/PageDown a screen of rows, Home/End the first and
// the last tile loaded. Enter opens a tile; Space picks it (Shift+Space: the tiles from the
// last one picked), as `onPick(tile, event)` does; focusing a tile near the end loads the
// next page, as scrolling does.

import { columnsOf } from "./grid.js";

function tilesOf(grid) {
  return [...grid.querySelectorAll(".tile")];
}

// Exactly one tile is in the tab order: `current` (else the first).
function rove(grid, current = null) {
  const tiles = tilesOf(grid);
  const kept = current || tiles.find((tile) => tile.tabIndex === 0) || tiles[0];
  for (const tile of tiles) tile.tabIndex = tile === kept ? 0 : -1;
}

export function gridKeys(grid, onPick) {
  // new pages of tiles join out of the tab order; a new search starts at its first tile
  new MutationObserver(() => rove(grid)).observe(grid, { childList: true });
  grid.addEventListener("focusin", (event) => {
    if (event.target.classList.contains("tile")) rove(grid, event.target);
  });
  grid.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const tiles = tilesOf(grid);
    const at = tiles.indexOf(document.activeElement);
    if (at < 0) return;
    if (event.key === " ") {
      event.preventDefault(); // not the button's own click: that opens
      onPick(tiles[at], event);
      return;
    }
    const columns = columnsOf(grid);
    const height = tiles[at].getBoundingClientRect().height || 1;
    const page = columns * Math.max(1, Math.floor(window.innerHeight / height) - 1);
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns, ArrowUp: -columns, PageDown: page, PageUp: -page }[event.key];
    let next;
    if (step !== undefined) next = Math.min(Math.max(at + step, 0), tiles.length - 1);
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = tiles.length - 1;
    else return;
    event.preventDefault(); // the page does not scroll by itself: the focused tile is shown
    tiles[next].focus();
    tiles[next].scrollIntoView({ block: "nearest" });
  });
}
