// Live fit view: the newest fitted frame's spectrum with the fitted zero rings, and its numbers,
// refreshed as new frames are fitted (by jobs, uploads or the live-fit WebSocket).

import { api, apiBlob, query } from "./api.js";
import { esc, guarded } from "./html.js";
import { fmt } from "./plots.js";

const REFRESH_MS = 2000;
const $ = (id) => document.getElementById(id);
let timer = null;
let shown = { scopeId: null, measurementId: null, url: null };

export function show(ctx) {
  clearInterval(timer);
  timer = setInterval(() => guarded(() => refresh(ctx.scopeId)), REFRESH_MS);
  return refresh(ctx.scopeId);
}

export function hide() {
  clearInterval(timer);
}

async function refresh(scopeId) {
  const kept = await api(`/scopes/${scopeId}/spectrum`);
  if (kept.measurement_id === null) {
    $("fit-note").textContent = "No frame has been fitted on this scope since the service started.";
    return;
  }
  if (kept.measurement_id === shown.measurementId && scopeId === shown.scopeId) return;
  const [png, page] = await Promise.all([
    apiBlob(`/scopes/${scopeId}/spectrum.png`),
    api(`/measurements${query({ scope_id: scopeId, limit: 20 })}`),
  ]);
  if (shown.url) URL.revokeObjectURL(shown.url);
  shown = { scopeId, measurementId: kept.measurement_id, url: URL.createObjectURL(png) };
  const image = $("fit-spectrum");
  image.src = shown.url;
  image.dataset.measurementId = kept.measurement_id;
  const measurement = page.items.find((m) => m.id === kept.measurement_id) ?? page.items[0];
  $("fit-note").textContent = `Frame fitted ${new Date(kept.kept_at).toLocaleString()}; the orange curves are the CTF zeros the fit predicts.`;
  $("fit-numbers").innerHTML = numbers(measurement);
}

function numbers(m) {
  if (!m) return "";
  const rows = [
    ["measurement", m.id],
    ["defocus 1 / 2", `${fmt(m.defocus1_nm, 0)} / ${fmt(m.defocus2_nm, 0)} nm`],
    ["mean defocus", `${fmt(m.defocus_mean_nm, 0)} ± ${fmt(m.defocus_uncertainty_nm, 0)} nm`],
    ["astigmatism", `${fmt(m.astig_nm)} ± ${fmt(m.astig_uncertainty_nm)} nm`],
    ["angle", `${fmt(m.angle_deg)}°`],
    ["vector (A·cos 2θ, A·sin 2θ)", `(${fmt(m.astig_x_nm)}, ${fmt(m.astig_y_nm)}) nm`],
    ["score", fmt(m.score, 3)],
    ["fitted to", `${fmt(m.resolution_A)} Å`],
    ["verdict", m.reliable ? "reliable" : `unreliable: ${m.reason}`],
    ["source", m.source],
  ];
  return rows.map(([name, value]) => `<tr><th>${esc(name)}</th><td>${esc(value)}</td></tr>`).join("");
}
