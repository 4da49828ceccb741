// The query as chips under the search box: one per part the server read (its text and
// weight, negative ones marked), and one for the query image. Each can be reweighted or
// removed; what that does to the query is the caller's (`on…` callbacks).

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

// `terms`: the parts read ({ term, weight }); `image`: null, or { name, weight } of the
// query image; `onTerms(terms)`: the parts after an edit; `onImageWeight(weight)` and
// `onRemoveImage()`: the image chip's edits. A weight of 0 (or none) removes its chip.
export function renderChips(list, { terms, image, onTerms, onImageWeight, onRemoveImage }) {
  const edited = terms.map((t) => ({ ...t }));
  const items = edited.map((term, index) =>
    chip(term.term, {
      negative: term.weight < 0,
      weight: term.weight,
      onWeight: (weight) => {
        if (!Number.isFinite(weight) || weight === 0) edited.splice(index, 1);
        else edited[index].weight = weight;
        onTerms(edited);
      },
      onRemove: () => {
        edited.splice(index, 1);
        onTerms(edited);
      },
    }),
  );
  if (image) {
    const item = chip(image.name, {
      negative: image.weight < 0,
      weight: image.weight,
      onWeight: (weight) => {
        if (!Number.isFinite(weight) || weight === 0) onRemoveImage();
        else onImageWeight(weight);
      },
      onRemove: onRemoveImage,
    });
    item.classList.add("image");
    items.push(item);
  }
  list.replaceChildren(...items);
}
