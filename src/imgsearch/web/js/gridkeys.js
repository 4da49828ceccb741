// The results grid from the keyboard, as a grid and not a list of buttons: one tab stop for
// all its tiles (the one last focused; Tab leaves the grid at once), ←/→ a tile, ↑/↓ the
// tile of the row above or below nearest across (rows of pictures of every shape hold
// different counts), PageUp/PageDown a screen of rows, Home/End the first and
// the last tile loaded. Enter opens a tile; Space picks it (Shift+Space: the tiles from the
// last one picked), as `onPick(tile, event)` does; focusing a tile near the end loads the
// next page, as scrolling does.


function tilesOf(grid) {
  return [...grid.querySelectorAll(".tile")];
}

// Exactly one tile is in the tab order: `current` (else the first).
function rove(grid, current = null) {
  const tiles = tilesOf(grid);
  const kept = current || tiles.find((tile) => tile.tabIndex === 0) || tiles[0];
  for (const tile of tiles) tile.tabIndex = tile === kept ? 0 : -1;
}

// The tile ``count`` rows below (``direction`` 1) or above (-1) tile ``at`` whose middle
// is nearest its middle; the last row reached when there are fewer.
export function acrossRows(tiles, at, direction, count) {
  const middle = (rect) => rect.left + rect.width / 2;
  let current = at;
  for (let moved = 0; moved < count; moved += 1) {
    const here = tiles[current].getBoundingClientRect();
    let rowTop = null;
    let best = null;
    for (let i = current + direction; i >= 0 && i < tiles.length; i += direction) {
      const rect = tiles[i].getBoundingClientRect();
      if (Math.abs(rect.top - here.top) < 2) continue; // still this row
      if (rowTop === null) rowTop = rect.top;
      if (Math.abs(rect.top - rowTop) >= 2) break; // past the next row
      const distance = Math.abs(middle(rect) - middle(here));
      if (!best || distance < best.distance) best = { i, distance };
    }
    if (!best) break;
    current = best.i;
  }
  return current;
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
    const rows = Math.max(1, Math.floor(window.innerHeight / (tiles[at].getBoundingClientRect().height || 1)) - 1);
    const vertical = { ArrowDown: [1, 1], ArrowUp: [-1, 1], PageDown: [1, rows], PageUp: [-1, rows] }[event.key];
    let next;
    if (event.key === "ArrowRight") next = Math.min(at + 1, tiles.length - 1);
    else if (event.key === "ArrowLeft") next = Math.max(at - 1, 0);
    else if (vertical) next = acrossRows(tiles, at, ...vertical);
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = tiles.length - 1;
    else return;
    event.preventDefault(); // the page does not scroll by itself: the focused tile is shown
    tiles[next].focus();
    tiles[next].scrollIntoView({ block: "nearest" });
  });
}
