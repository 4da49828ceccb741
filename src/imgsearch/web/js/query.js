// The CLI's mix syntax, read in the page: "2:golden retriever" + beach - people.
// Parts are joined by " + " or " - "; a part may start with WEIGHT: ; quotes are dropped.

const WEIGHT = /^\s*([-+]?[0-9]*\.?[0-9]+)\s*:(.+)$/s;

export function parseExpression(text) {
  const trimmed = text.trim();
  if (!trimmed) return [];
  const tokens = (trimmed.startsWith("- ") || trimmed.startsWith("+ ") ? ` ${trimmed}` : ` + ${trimmed}`)
    .split(/\s+([+-])\s+/);
  const parts = [];
  for (let i = 1; i + 1 < tokens.length; i += 2) {
    let term = tokens[i + 1].trim();
    let weight = 1;
    const match = WEIGHT.exec(term.replace(/^"|"$/g, ""));
    if (match) {
      weight = Number(match[1]);
      term = match[2];
    }
    term = term.replace(/^"|"$/g, "").trim();
    if (!term) continue;
    parts.push({ text: term, weight: tokens[i] === "-" ? -weight : weight });
  }
  return parts;
}

export function formatExpression(parts) {
  return parts
    .filter((p) => p.text)
    .map((p, i) => {
      const weight = Math.abs(p.weight);
      const term = weight === 1 ? p.text : `${weight}:${p.text}`;
      const quoted = /\s/.test(term) && weight !== 1 ? `"${term}"` : term;
      if (i === 0) return p.weight < 0 ? `- ${quoted}` : quoted;
      return `${p.weight < 0 ? "-" : "+"} ${quoted}`;
    })
    .join(" ");
}
