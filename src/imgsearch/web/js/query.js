// The page does not read query expressions: it sends what the user typed as `q`, and the
// server answers with the parts it read (`expression`: term, weight, image), which the
// chips show. Editing a chip writes the parts back into an expression here, by the rules
// of imgsearch.query.grammar.format_terms (a browser test holds the two together).

const WEIGHT = /^\s*([-+]?[0-9]*\.?[0-9]+)\s*:(.+)$/s;
const OPERATOR = /\s+[+-]\s+/;
const LEADING = /^[+-]\s+/;
const DANGLING = /(^|\s)[+-]$/;

// A sign that would split or end the part, a start that would read as a weight, or an
// image name with a space (unquoted, that is text).
function needsQuotes(t) {
  const signs = OPERATOR.test(t.term) || LEADING.test(t.term) || DANGLING.test(t.term);
  return signs || (t.image && /\s/.test(t.term)) || WEIGHT.test(t.term);
}

export function formatExpression(terms) {
  return terms
    .map((t, i) => {
      const weight = Math.abs(t.weight);
      let body = needsQuotes(t) ? `"${t.term}"` : t.term;
      if (weight !== 1 || WEIGHT.test(t.term)) body = `${weight}:${body}`;
      if (i === 0) return t.weight < 0 ? `- ${body}` : body;
      return `${t.weight < 0 ? "-" : "+"} ${body}`;
    })
    .join(" ");
}
