// The line under the search box: what the page has to say, and errors in the user's words.

import { ApiError } from "./api.js";

const $ = (id) => document.getElementById(id);

// `action`: a button after the text ({ label, run }).
export function say(text, { error = false, action = null } = {}) {
  const message = $("message");
  message.classList.toggle("error", error);
  message.replaceChildren(text);
  if (action) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = action.label;
    button.addEventListener("click", action.run);
    message.append(" ", button);
  }
}

// A closed-vocabulary model (demo-shapes) says which of the query's words it never saw;
// when it could read none of them, every hit has confidence 0 (docs/relevance.md).
export function vocabularyNote(answer) {
  const words = (answer.unknown_words || []).map((word) => `“${word}”`).join(", ");
  if (!words) return "";
  if (answer.readable === false) {
    const known = (answer.known_words || []).join(", ");
    return `${answer.model} does not know the words ${words}: no picture is judged a match${known ? ` (it knows: ${known})` : ""}. `;
  }
  return `${answer.model} never saw the words ${words}. `;
}

// `retry`: what the Retry and Enter key buttons run.
export function explain(error, retry) {
  if (!(error instanceof ApiError)) {
    say(`Could not reach the server: ${error.message}`, { error: true, action: { label: "Retry", run: retry } });
    return;
  }
  if (error.status === 401) {
    say("This server needs an API key.", { error: true, action: { label: "Enter key", run: retry } });
    return;
  }
  const advice = {
    400: "The search could not be run as set:",
    422: "A filter or option is not valid:",
    413: "The image is too large to send.",
    429: "Too many requests: wait a moment and retry.",
    503: "The index or its model is not usable as configured.",
  }[error.status];
  say(`${advice ? `${advice} ` : ""}${error.message}`, { error: true });
}
