// The index panel: counts, model, last run, the files that could not be indexed, and a
// button that brings the configured folders in step (POST /v1/index) with its progress
// polled live (count, rate, ETA); searches refresh as the run's batches commit.

import { ApiError, call } from "./api.js";

const POLL_MS = 1000;
// Open results are asked again while a run writes, at most this often, and only when it
// wrote files since the last time (not on every poll: each is a full search).
const REFRESH_MS = 3000;
const FAILURES_SHOWN = 100;

function entry(name, value) {
  const term = document.createElement("dt");
  term.textContent = name;
  const description = document.createElement("dd");
  description.textContent = value;
  return [term, description];
}

function duration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

// "1,234 of 5,000 · 41.2 images/s · about 1 min left", from a GET /v1/index answer. The
// rate counts only files that needed reading, since the first of them (files unchanged
// since the last run are counted in a burst at the start and would promise an early end).
export function progressText(job, now = Date.now() / 1000) {
  const parts = [`${job.done.toLocaleString()} of ${job.total ? job.total.toLocaleString() : "?"}`];
  const worked = job.done - (job.quick || 0);
  const since = job.working_since ?? job.started_at ?? now;
  if (worked > 0) {
    const rate = worked / Math.max(now - since, 1e-3);
    parts.push(`${rate.toFixed(1)} images/s`);
    if (job.total > job.done) parts.push(`about ${duration((job.total - job.done) / rate)} left`);
  } else if (job.quick > 0) {
    parts.push(`${job.quick.toLocaleString()} unchanged`);
  }
  return parts.join(" · ");
}

export class StatusPanel {
  constructor({ onIndexed, onProgress, onError }) {
    this.onProgress = onProgress;
    this.panel = document.getElementById("status");
    this.toggle = document.getElementById("toggle-status");
    this.onIndexed = onIndexed;
    this.onError = onError;
    this.timer = null;
    this.refreshed = { written: 0, at: 0 };
    // What the last run ended with: kept when the panel is drawn again after it (the
    // refresh that follows a finished run would otherwise wipe it at once).
    this.outcome = "";
    this.toggle.addEventListener("click", () => {
      const showing = this.panel.hidden;
      this.panel.hidden = !showing;
      this.toggle.setAttribute("aria-expanded", String(showing));
      if (showing) this.refresh();
    });
  }

  async refresh() {
    try {
      this.render(await call("GET", "/v1/status"));
    } catch (error) {
      this.onError(error);
    }
  }

  render(status) {
    const facts = document.createElement("dl");
    facts.className = "facts";
    const run = status.last_run;
    facts.append(
      ...entry("Images", status.images.toLocaleString()),
      ...entry("With vectors", status.vectors.toLocaleString()),
      ...entry("Failed files", status.failures.toLocaleString()),
      ...entry("Model", `${status.model} (${status.dim} dimensions)`),
      ...entry("Index", status.index),
      ...entry("Search", status.vector_index),
    );
    if (run) {
      const started = new Date(run.started_at).toLocaleString(); // ISO 8601 with its offset
      // a run that has not completed is this one while the server's job runs, else one
      // that was stopped (killed, or the machine went down)
      const running = run.running || (status.job && status.job.state === "running");
      const state = run.completed ? "completed" : running ? "running now" : "interrupted";
      facts.append(...entry("Last run", `${started}, ${state}`));
      facts.append(...entry("Folders", run.roots.join(", ")));
    }
    const button = document.createElement("button");
    button.type = "button";
    button.id = "index-now";
    button.textContent = "Index now";
    button.addEventListener("click", () => this.start());
    const progress = document.createElement("p");
    progress.id = "index-progress";
    progress.setAttribute("role", "status");
    progress.textContent = this.outcome; // the last run's outcome outlives the redraw
    this.panel.replaceChildren(facts, button, progress);
    if (status.failures > 0) this.panel.append(this.failureList(status.failures));
    if (status.job && status.job.state === "running") this.follow(status.job);
  }

  failureList(total) {
    const details = document.createElement("details");
    details.id = "failures";
    const summary = document.createElement("summary");
    summary.textContent = `${total.toLocaleString()} file${total === 1 ? "" : "s"} could not be indexed`;
    const list = document.createElement("ul");
    details.append(summary, list);
    details.addEventListener("toggle", async () => {
      if (!details.open || list.childElementCount) return;
      try {
        const page = await call("GET", `/v1/failures?limit=${FAILURES_SHOWN}`);
        list.replaceChildren(
          ...page.failures.map((failure) => {
            const item = document.createElement("li");
            const path = document.createElement("code");
            path.textContent = failure.path;
            item.append(path, ` — ${failure.code}: ${failure.message}`);
            return item;
          }),
        );
        if (page.total > page.failures.length) {
          const more = document.createElement("li");
          more.textContent = `… and ${(page.total - page.failures.length).toLocaleString()} more (imgsearch status --errors lists them all)`;
          list.append(more);
        }
      } catch (error) {
        this.onError(error);
      }
    });
    return details;
  }

  async start() {
    this.refreshed = { written: 0, at: 0 };
    try {
      this.follow(await call("POST", "/v1/index"));
    } catch (error) {
      if (error instanceof ApiError && error.code === "IndexRunning") this.poll();
      else this.onError(error);
    }
  }

  follow(job) {
    const progress = document.getElementById("index-progress");
    const button = document.getElementById("index-now");
    if (job.state === "running") {
      this.outcome = "";
      if (button) button.disabled = true;
      if (progress) progress.textContent = `Indexing: ${progressText(job)}`;
      const written = job.done - (job.quick || 0);
      if (written > this.refreshed.written && Date.now() - this.refreshed.at >= REFRESH_MS) {
        this.refreshed = { written, at: Date.now() };
        this.onProgress(job);
      }
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.poll(), POLL_MS);
      return;
    }
    const counts = Object.entries(job.counts || {})
      .map(([name, count]) => `${name} ${count}`)
      .join(", ");
    this.outcome = job.state === "failed" ? `Index run failed: ${job.error}` : `Done: ${counts}`;
    if (progress) progress.textContent = this.outcome;
    if (button) button.disabled = false;
    this.onIndexed();
  }

  async poll() {
    try {
      const job = await call("GET", "/v1/index");
      this.follow(job);
      if (job.state !== "running") this.refresh();
    } catch (error) {
      this.onError(error);
    }
  }
}
