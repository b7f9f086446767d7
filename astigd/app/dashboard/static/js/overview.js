// Overview: every scope's optics, current astigmatism, calibration ages, jobs and alerts.

import { api, query } from "./api.js";
import { doubledAngleDeg, doubledAnglePolar, draw, empty, fmt } from "./plots.js";
import { esc, guarded } from "./html.js";
import { progressOf } from "./progress.js";

const REFRESH_MS = 5000;
const ALERT_DAYS = 30;
let timer = null;
let ctx = null;
const $ = (id) => document.getElementById(id);

export function show(context) {
  ctx = context;
  clearInterval(timer);
  timer = setInterval(() => guarded(refresh), REFRESH_MS);
  return refresh();
}

export function hide() {
  clearInterval(timer);
}

async function refresh() {
  const cards = await Promise.all(ctx.scopes.map((scope) => scopeCard(scope.id)));
  $("overview-scopes").replaceChildren(...cards.map((card) => card.element));
  cards.forEach((card) => card.plot());
  await Promise.all([showJobs(), showAlerts()]);
}

async function scopeCard(scopeId) {
  const element = document.createElement("div");
  element.className = "card";
  element.dataset.scope = scopeId;
  const [state, latest, ages] = await Promise.all([
    api(`/scopes/${scopeId}/state`).catch((error) => ({ error: error.message })),
    api(`/measurements${query({ scope_id: scopeId, limit: 50 })}`),
    calibrationAges(scopeId),
  ]);
  const plotId = `overview-polar-${scopeId}`;
  element.innerHTML = `<h3>${scopeId}</h3>${stateTable(state)}${astigTable(latest.items[0])}
    ${agesTable(ages)}<div id="${plotId}" class="plot"></div>`;
  return { element, plot: () => recentPolar(plotId, latest.items) };
}

function stateTable(state) {
  if (state.error) return `<p class="error">${esc(state.error)}</p>`;
  const busy = state.busy_job_id ? `busy: job ${state.busy_job_id.slice(0, 8)}` : "idle";
  return `<table class="state">
    <tr><th>HT</th><td>${fmt(state.ht_kv, 0)} kV</td></tr>
    <tr><th>Magnification</th><td>${fmt(state.magnification, 0)}× (index ${state.mag_index}),
      ${fmt(state.pixel_size_A, 3)} Å/px</td></tr>
    <tr><th>Defocus</th><td>${fmt(state.defocus_nm, 0)} nm</td></tr>
    <tr><th>Stigmators</th><td>${fmt(state.stig_x, 4)}, ${fmt(state.stig_y, 4)}</td></tr>
    <tr><th>Status</th><td>${busy}</td></tr></table>`;
}

function astigTable(measurement) {
  if (!measurement) return `<p class="note">No measurement yet.</p>`;
  const verdict = measurement.reliable ? "reliable" : `unreliable: ${esc(measurement.reason)}`;
  return `<table class="astig">
    <tr><th>Astigmatism</th><td class="current-astig">${fmt(measurement.astig_nm)} ±
      ${fmt(measurement.astig_uncertainty_nm)} nm at ${fmt(measurement.angle_deg)}°</td></tr>
    <tr><th>Measured</th><td>${new Date(measurement.created_at).toLocaleString()} (${verdict})</td></tr>
  </table>`;
}

async function calibrationAges(scopeId) {
  const [stig, sweep, profiles, gold, btid] = await Promise.all([
    api(`/scopes/${scopeId}/calibrations/stigmator`),
    api(`/scopes/${scopeId}/lens-sweeps/latest`),
    api(`/scopes/${scopeId}/magnification-profiles${query({ limit: 1 })}`),
    api(`/scopes/${scopeId}/calibrations/magnification${query({ limit: 100 })}`),
    api(`/scopes/${scopeId}/calibrations/btid${query({ limit: 100 })}`),
  ]);
  const rows = stig.items.map((item) => ({ name: `stigmator response, mag ${item.mag_index}`, age_h: item.age_h }));
  if (sweep.sweep) rows.push({ name: `lens sweep, mag ${sweep.sweep.mag_index}`, age_h: sweep.sweep.age_h });
  if (profiles.items[0]) rows.push({ name: "magnification profile", age_h: profiles.items[0].age_h });
  rows.push(...newestPerMag(gold.pixel_size, "pixel size (gold)"));
  rows.push(...newestPerMag(gold.aniso_mag, "anisotropic magnification (gold)"));
  rows.push(...newestPerMag(btid.items, "BTID"));
  return { maxAgeH: stig.max_age_h, rows };
}

/** Return an age row for the newest calibration at each magnification (items come newest first). */
function newestPerMag(items, what) {
  const seen = new Set();
  return items.filter((item) => !seen.has(item.mag_index) && seen.add(item.mag_index))
    .map((item) => ({ name: `${what}, mag ${item.mag_index}`, age_h: item.age_h }));
}

function agesTable({ maxAgeH, rows }) {
  if (!rows.length) return `<p class="stale">No calibrations yet: run calibrate_stigmators.</p>`;
  const lines = rows.map((row) => {
    const stale = row.age_h > maxAgeH;
    return `<tr class="${stale ? "stale" : ""}"><th>${row.name}</th>
      <td>${fmt(row.age_h)} h old${stale ? " (stale)" : ""}</td></tr>`;
  });
  return `<table class="ages">${lines.join("")}</table>`;
}

function recentPolar(plotId, items) {
  const usable = items.filter((m) => m.astig_nm !== null && m.astig_x_nm !== null);
  if (!usable.length) return empty(plotId, "Recent astigmatism", "no measurements yet");
  return draw(plotId, [{
    type: "scatterpolar", mode: "markers", name: "last 50 fits",
    r: usable.map((m) => m.astig_nm),
    theta: usable.map((m) => doubledAngleDeg([m.astig_x_nm, m.astig_y_nm])),
    marker: { color: usable.map((m) => (m.reliable ? "#1f6fb2" : "#b3261e")), size: 6 },
  }], { ...doubledAnglePolar("Recent astigmatism (nm, at 2θ)", "nm"), showlegend: false,
        margin: { l: 30, r: 30, t: 40, b: 30 } });
}

async function showJobs() {
  const [running, queued] = await Promise.all(
    ["running", "queued"].map((state) => api(`/jobs${query({ state, limit: 50 })}`)),
  );
  const jobs = [...running.items, ...queued.items];
  if (!jobs.length) {
    $("overview-jobs").innerHTML = `<p class="note">No job is running or queued.</p>`;
    return;
  }
  const rows = await Promise.all(jobs.map(async (job) => {
    const events = await api(`/jobs/${job.id}/events`);
    const progress = progressOf(job, events);
    const percent = progress.fraction === null ? "" : ` (${Math.round(100 * progress.fraction)} %)`;
    return `<tr><td>${job.scope_id}</td><td>${job.procedure}</td><td>${job.state}</td>
      <td>${progress.text}${percent}</td><td><code>${job.id}</code></td></tr>`;
  }));
  $("overview-jobs").innerHTML = `<table><tr><th>scope</th><th>procedure</th><th>state</th>
    <th>progress</th><th>job</th></tr>${rows.join("")}</table>`;
}

async function showAlerts() {
  const since = new Date(Date.now() - ALERT_DAYS * 86400e3).toISOString();
  const alerts = await api(`/alerts${query({ since, limit: 50 })}`);
  if (!alerts.length) {
    $("overview-alerts").innerHTML = `<p class="note ok">No alerts.</p>`;
    return;
  }
  const rows = alerts.map((alert) => `<tr class="warning"><td>${new Date(alert.created_at).toLocaleString()}</td>
    <td>${alert.scope_id}</td><td>${esc(alert.payload.message ?? alert.payload.alert)}</td></tr>`);
  $("overview-alerts").innerHTML = `<table>${rows.join("")}</table>`;
}
