// Live job view: a job's events over its WebSocket; a correction as its trajectory in the
// (A·cos 2θ, A·sin 2θ) plane with the tolerance circle, a sweep as a bar with points filling in.

import { api, jobSocket, query } from "./api.js";
import { draw, empty, fmt } from "./plots.js";
import { esc, guarded } from "./html.js";
import { progressOf } from "./progress.js";

const FINAL = new Set(["succeeded", "failed", "cancelled", "interrupted"]);
const BAD_KEY = 4001;
const RECONNECT_MS = 500;
const $ = (id) => document.getElementById(id);
let follow = { socket: null, job: null, events: [] };

export function init(ctx) {
  $("job-pick").addEventListener("submit", (event) => {
    event.preventDefault();
    if ($("job-select").value) guarded(() => followJob($("job-select").value));
  });
  $("job-cancel").addEventListener("click", cancel);
  $("job-cancel").disabled = !ctx.canControl;
  $("job-cancel").title = ctx.canControl ? "" : "this key lacks the control scope";
}

const label = (job, state = job.state) =>
  `${job.procedure} · ${state} · ${new Date(job.created_at).toLocaleTimeString()} · ${job.id.slice(0, 8)}`;

export async function show(ctx, options = {}) {
  const jobs = (await api(`/jobs${query({ scope_id: ctx.scopeId, limit: 30 })}`)).items;
  $("job-select").replaceChildren(...jobs.map((job) => new Option(label(job), job.id)));
  const wanted = options.jobId ?? follow.job?.id ?? jobs.find((job) => !FINAL.has(job.state))?.id ?? jobs[0]?.id;
  if (!wanted) {
    $("job-status").textContent = "No jobs yet: start one under Actions.";
    empty("job-trajectory", "Correction trajectory", "no job");
    empty("job-points", "Measurements", "no job");
    return;
  }
  $("job-select").value = wanted;
  if (wanted !== follow.job?.id || options.jobId) await followJob(wanted);
}

export function hide() {}

async function followJob(jobId) {
  follow.socket?.close();
  const job = await api(`/jobs/${jobId}`);
  follow = { socket: null, job, events: [] };
  $("job-error").textContent = "";
  $("job-log").replaceChildren();
  const plot = $("job-trajectory");
  for (const name of Object.keys(plot.dataset)) delete plot.dataset[name];
  listen(job.id);
  render();
}

/** Subscribe to the job's events after the last one seen; resubscribe if the stream drops. */
function listen(jobId) {
  const seen = follow.events.length ? follow.events[follow.events.length - 1].seq : 0;
  const socket = jobSocket(jobId, seen);
  follow.socket = socket;
  socket.onmessage = (message) => {
    if (socket !== follow.socket) return;
    follow.events.push(JSON.parse(message.data));
    render();
  };
  socket.onclose = (event) => {
    if (socket !== follow.socket) return;
    if (event.code === BAD_KEY) {
      $("job-error").textContent = `The job stream refused the key: ${event.reason}`;
    } else if (!follow.events.some(isFinal)) {
      setTimeout(() => socket === follow.socket && listen(jobId), RECONNECT_MS);  // e.g. fell behind
    }
  };
}

const isFinal = (event) => event.kind === "state" && FINAL.has(event.payload.state);

async function cancel() {
  if (!follow.job) return;
  try {
    const job = await api(`/jobs/${follow.job.id}/cancel`, { method: "POST" });
    $("job-error").textContent = "";
    $("job-log").prepend(Object.assign(document.createElement("li"), { textContent: `cancel requested (job ${job.state})` }));
  } catch (error) {
    $("job-error").textContent = error.message;
  }
}

function render() {
  const { job, events } = follow;
  const last = events[events.length - 1];
  const finalEvent = events.find(isFinal);
  const state = finalEvent?.payload.state ?? (events.length ? "running" : job.state);
  $("job-status").textContent = `${job.procedure} on ${job.scope_id}: ${state}` +
    (finalEvent?.payload.error ? ` (${finalEvent.payload.error})` : "");
  const option = [...$("job-select").options].find((item) => item.value === job.id);
  if (option) option.text = label(job, state);  // the list was read when the job was younger
  renderProgress(job, events);
  renderResult(job, finalEvent?.payload.result);
  renderTrajectory(events, finalEvent);
  renderPoints(job, events);
  if (last) logEvent(last);
}

function renderProgress(job, events) {
  const progress = progressOf(job, events);
  const box = $("job-progress");
  box.hidden = progress.fraction === null;
  if (box.hidden) return;
  box.querySelector(".bar").style.width = `${Math.min(100, 100 * progress.fraction)}%`;
  box.querySelector("span").textContent = progress.text;
}

/** The headline of a finished calibration's result, for the procedures that have one. */
const RESULTS = {
  check_pixel_size: (r) => ({
    flagged: r.flagged,
    text: `Implied pixel-size error ${fmt(r.pixel_size_error_percent, 2)} ± ${fmt(100 * r.pixel_size_error_sd, 2)} % ` +
      `(Cs fitted ${fmt(r.cs_fit_mm, 2)} mm, nominal ${fmt(r.cs_nominal_mm, 2)} mm); defocus bias (fitted − true) ` +
      `${fmt(r.defocus_bias_nm_at_mean, 0)} nm at the series mean` +
      (r.flagged ? ": FLAGGED, recalibrate the pixel size with gold." : ": within the limit."),
  }),
  calibrate_magnification: (r) => ({
    flagged: false,
    text: `Pixel size ${fmt(r.pixel_size_A, 4)} ± ${fmt(r.pixel_size_uncertainty_A, 4)} Å ` +
      `(nominal/true − 1 = ${fmt(r.pixel_size_error_percent, 2)} %), anisotropy ${fmt(100 * r.anisotropy, 2)} ± ` +
      `${fmt(100 * r.anisotropy_uncertainty, 2)} % at ${fmt(r.angle_deg)}°.`,
  }),
};

function renderResult(job, result) {
  const line = $("job-result");
  const summary = result && RESULTS[job.procedure]?.(result);
  line.textContent = summary?.text ?? "";
  line.classList.toggle("stale", Boolean(summary?.flagged));
  line.classList.toggle("ok", summary?.flagged === false);
}

/** The fits of a correction: each carries the tolerance it is judged against. */
function trajectoryFits(events) {
  return events.filter((e) => e.kind === "fit" && e.payload.tolerance_nm !== undefined).map((e) => e.payload);
}

function renderTrajectory(events, finalEvent) {
  const fits = trajectoryFits(events).filter((fit) => fit.astig_vec_nm[0] !== null);
  const element = $("job-trajectory");
  if (!fits.length) return empty("job-trajectory", "Correction trajectory", "no correction in this job");
  const tolerance = fits[fits.length - 1].tolerance_nm;
  const moves = events.filter((e) => e.kind === "move" && e.payload.what === "stigmator").length;
  const x = fits.map((fit) => fit.astig_vec_nm[0]);
  const y = fits.map((fit) => fit.astig_vec_nm[1]);
  const reach = 1.15 * Math.max(tolerance, ...x.map(Math.abs), ...y.map(Math.abs));
  const finalFit = fits[fits.length - 1];
  const residual = Math.hypot(x[x.length - 1], y[y.length - 1]);
  Object.assign(element.dataset, { toleranceNm: tolerance, finalXNm: x[x.length - 1],
                                   finalYNm: y[y.length - 1], done: Boolean(finalEvent) });
  const title = finalEvent
    ? `Final residual ${fmt(residual)} nm (tolerance ${fmt(tolerance)} nm), ${moves} move(s)`
    : `Correction: ${fits.length} measurement(s), ${moves} move(s)`;
  draw("job-trajectory", [
    { type: "scatter", mode: "lines+markers+text", name: "astigmatism", x, y,
      text: fits.map((fit) => fit.what), textposition: "top center",
      marker: { size: 10, color: fits.map((fit, i) => (i === fits.length - 1 ? "#1b7f3b" : "#1f6fb2")) },
      error_x: { type: "data", array: fits.map((f) => f.astig_uncertainty_nm ?? 0), visible: true },
      error_y: { type: "data", array: fits.map((f) => f.astig_uncertainty_nm ?? 0), visible: true } },
    { type: "scatter", mode: "markers", name: "round lens", x: [0], y: [0],
      marker: { symbol: "cross", size: 10, color: "#5d6873" } },
  ], {
    title: { text: title },
    xaxis: { title: { text: "A·cos 2θ (nm)" }, range: [-reach, reach], zeroline: true },
    yaxis: { title: { text: "A·sin 2θ (nm)" }, range: [-reach, reach], scaleanchor: "x", zeroline: true },
    shapes: [{ type: "circle", xref: "x", yref: "y", x0: -tolerance, y0: -tolerance, x1: tolerance,
               y1: tolerance, line: { color: "#1b7f3b", dash: "dot" }, name: "tolerance" }],
    annotations: [{ x: tolerance / Math.SQRT2, y: -tolerance / Math.SQRT2, text: `tolerance ${fmt(tolerance)} nm`,
                    showarrow: false, font: { color: "#1b7f3b" }, yshift: -10 }],
    showlegend: false,
  }).then(() => { element.dataset.finalResidualNm = residual; element.dataset.finalWhat = finalFit.what; });
}

function renderPoints(job, events) {
  const steps = events.filter((e) => e.kind === "step" && e.payload.astig_nm !== undefined).map((e) => e.payload);
  if (steps.length) return drawSteps(job, steps);
  const fits = events.filter((e) => e.kind === "fit").map((e) => e.payload);
  if (!fits.length) return empty("job-points", "Measurements", "no fits yet");
  const tolerance = fits.map((f) => f.tolerance_nm).filter((t) => t !== undefined).pop();
  const traces = [{
    type: "scatter", mode: "lines+markers", name: "|A| of each fit", x: fits.map((_, i) => i + 1),
    y: fits.map((f) => f.astig_nm), text: fits.map((f) => f.what),
    marker: { size: 8, color: fits.map((f) => (f.reliable ? "#1f6fb2" : "#b3261e")) },
  }];
  if (tolerance !== undefined) {
    traces.push({ type: "scatter", mode: "lines", name: "tolerance", x: [0.5, fits.length + 0.5],
                  y: [tolerance, tolerance], line: { color: "#1b7f3b", dash: "dot" } });
  }
  return draw("job-points", traces, {
    title: { text: "Astigmatism of each fit" }, xaxis: { title: { text: "fit" }, dtick: 1 },
    yaxis: { title: { text: "astigmatism (nm)" }, type: "log" },
  });
}

function drawSteps(job, steps) {
  const byMag = job.procedure === "mag_sweep";
  const x = steps.map((s) => (byMag ? s.magnification : s.defocus_nm / 1000));
  return draw("job-points", [{
    type: "scatter", mode: "markers", name: "step mean ± RMSD", x, y: steps.map((s) => s.astig_nm),
    error_y: { type: "data", array: steps.map((s) => s.astig_rmsd_nm ?? 0), visible: true },
    marker: { size: 9, color: "#1f6fb2" },
  }], { title: { text: byMag ? "Astigmatism per magnification" : "Astigmatism per defocus step" },
        xaxis: { title: { text: byMag ? "magnification (×)" : "defocus (µm)" }, type: byMag ? "log" : "linear" },
        yaxis: { title: { text: "astigmatism (nm)" }, rangemode: "tozero" } });
}

/** Return what a step event is about when it has no `what`: a defocus step or a magnification. */
function stepLabel(p) {
  if (Number.isInteger(p.of)) return `step ${p.index + 1} of ${p.of} at ${fmt(p.defocus_nm, 0)} nm`;
  if (p.magnification !== undefined) return `magnification ${fmt(p.magnification, 0)}×`;
  return "";
}

function logEvent(event) {
  const p = event.payload;
  const text = p.message ?? p.why ?? p.what ?? p.state ?? stepLabel(p);
  const detail = p.astig_nm !== undefined ? `: ${fmt(p.astig_nm)} nm` : "";
  const item = document.createElement("li");
  item.innerHTML = `<b>${esc(event.kind)}</b> ${esc(text)}${esc(detail)}`;
  $("job-log").prepend(item);
}
