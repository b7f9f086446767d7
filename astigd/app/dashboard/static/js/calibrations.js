// Calibrations: gold pixel size and anisotropy over time per magnification with the ring-fit
// picture, the Cs/pixel-size checks, the BTID history, and the newest stigmator response per
// optics key.

import { api, apiBlob, query } from "./api.js";
import { esc, guarded } from "./html.js";
import { draw, empty, fmt } from "./plots.js";

const LIMIT = 200;
const $ = (id) => document.getElementById(id);
let ctx = null;
let ringsUrl = null;

export function init(context) {
  ctx = context;
  $("cal-filter").addEventListener("submit", (event) => {
    event.preventDefault();
    if ($("cal-filter").reportValidity()) guarded(refresh);
  });
  $("cal-rings-pick").addEventListener("change", () => guarded(showRings));
}

export function show() {
  return refresh();
}

async function refresh() {
  const scope = ctx.scopeId;
  const filter = query({ mag_index: $("cal-mag").value, limit: LIMIT });
  const [gold, checks, btid, stig] = await Promise.all([
    api(`/scopes/${scope}/calibrations/magnification${filter}`),
    api(`/scopes/${scope}/calibrations/pixel-size-checks${filter}`),
    api(`/scopes/${scope}/calibrations/btid${filter}`),
    api(`/scopes/${scope}/calibrations/stigmator`),
  ]);
  $("cal-note").textContent = `${gold.pixel_size.length} pixel-size and ${gold.aniso_mag.length} anisotropy ` +
    `calibration(s) from gold, ${checks.items.length} Cs/pixel-size check(s), ${btid.items.length} BTID calibration(s).`;
  drawGold(gold);
  drawPixelChecks(checks.items);
  pickRings(gold.aniso_mag);
  await showRings();
  $("cal-btid").innerHTML = btidTable(btid.items);
  $("cal-stigmator").innerHTML = stigmatorTable(stig);
}

/** Return the rows grouped by magnification index, oldest first within each. */
function byMag(rows) {
  const groups = new Map();
  for (const row of [...rows].reverse()) groups.set(row.mag_index, [...(groups.get(row.mag_index) ?? []), row]);
  return [...groups.entries()].sort(([a], [b]) => a - b);
}

/** Return one trace per magnification; y and error take a row and its magnification's rows. */
function series(rows, y, error, name = (mag) => `mag index ${mag}`) {
  return byMag(rows).map(([mag, group]) => ({
    type: "scatter", mode: "lines+markers", name: name(mag, group),
    x: group.map((row) => row.created_at), y: group.map((row) => y(row, group)),
    error_y: error && { type: "data", array: group.map((row) => error(row, group)), visible: true },
  }));
}

const anisotropyPercent = (row) => 100 * (row.scale_major / row.scale_minor - 1);
const meanPixelA = (group) => group.reduce((sum, row) => sum + row.pixel_size_A, 0) / group.length;

/** Return a date axis over the rows: a tenth of their span each side, or half a day for one time. */
function timeAxis(rows) {
  const times = rows.map((row) => Date.parse(row.created_at));
  const [first, last] = [Math.min(...times), Math.max(...times)];
  const margin = last > first ? (last - first) / 10 : 43200e3;
  const range = [first - margin, last + margin].map((t) => new Date(t).toISOString());
  return { title: { text: "calibrated (UTC)" }, type: "date", range };
}

/** Pixel sizes differ by magnification: each is drawn as its deviation from that magnification's mean. */
function drawPixelSize(pixels) {
  if (!pixels.length) return empty("plot-pixel-size", "Pixel size", "no gold calibrations");
  const percent = (value, group) => (100 * value) / meanPixelA(group);
  return draw("plot-pixel-size", series(
    pixels,
    (row, group) => percent(row.pixel_size_A, group) - 100,
    (row, group) => percent(row.pixel_size_uncertainty_A ?? 0, group),
    (mag, group) => `mag index ${mag} (mean ${fmt(meanPixelA(group), 4)} Å)`,
  ), {
    title: { text: "Pixel size from gold (binning 1), ± 1σ" }, xaxis: timeAxis(pixels),
    yaxis: { title: { text: "vs. mean at its magnification (%)" }, zeroline: true },
  });
}

function drawGold({ pixel_size: pixels, aniso_mag: anisos }) {
  drawPixelSize(pixels);
  if (!anisos.length) {
    empty("plot-anisotropy", "Anisotropic magnification", "no gold calibrations");
    return empty("plot-aniso-angle", "Major-axis angle", "no gold calibrations");
  }
  draw("plot-anisotropy", series(anisos, anisotropyPercent, (r) => 100 * (r.anisotropy_uncertainty ?? 0)), {
    title: { text: "Anisotropy ε = major/minor − 1, ± 1σ" }, xaxis: timeAxis(anisos),
    yaxis: { title: { text: "anisotropy (%)" }, rangemode: "tozero" },
  });
  draw("plot-aniso-angle", series(anisos, (r) => r.angle_deg, (r) => r.angle_uncertainty_deg ?? 0), {
    title: { text: "Major-axis angle, ± 1σ" }, xaxis: timeAxis(anisos),
    yaxis: { title: { text: "angle (deg)" } },
  });
}

/** Implied pixel-size error of each Cs check (± 1σ) over time, inside the band that flags it. */
function drawPixelChecks(checks) {
  if (!checks.length) return empty("plot-pixel-check", "Cs / pixel-size checks", "no check yet: run check_pixel_size");
  const limit = checks[0].flag_percent;  // the newest check's flag limit
  const band = { type: "rect", xref: "paper", x0: 0, x1: 1, yref: "y", y0: -limit, y1: limit,
                 fillcolor: "#2a8a2a", opacity: 0.12, line: { width: 0 }, layer: "below" };
  return draw("plot-pixel-check", series(checks, (r) => r.pixel_size_error_percent, (r) => r.pixel_size_error_sd_percent ?? 0), {
    title: { text: `Implied pixel-size error from Cs, ± 1σ (band: ±${fmt(limit)} %, flagged outside)` },
    xaxis: timeAxis(checks), shapes: [band],
    yaxis: { title: { text: "(Cs_fit/Cs_nominal)^¼ − 1 (%)" }, zeroline: true },
  });
}

/** Offer every anisotropy calibration's ring fit; keep the choice if it is still listed. */
function pickRings(anisos) {
  const select = $("cal-rings-pick");
  const kept = select.value;
  const label = (row) => `#${row.id} · mag index ${row.mag_index} · ${new Date(row.created_at).toLocaleString()}`;
  select.replaceChildren(...anisos.map((row) => new Option(label(row), row.id)));
  if (anisos.some((row) => String(row.id) === kept)) select.value = kept;
}

/** Show the chosen calibration's ring-fit PNG (fetched with the key) through an object URL. */
async function showRings() {
  const id = $("cal-rings-pick").value;
  const image = $("cal-rings");
  const note = $("cal-rings-note");
  delete image.dataset.calibrationId;
  let png = null;
  try {
    if (id) png = await apiBlob(`/scopes/${ctx.scopeId}/calibrations/magnification/${id}/rings.png`);
    else note.textContent = "No gold calibration yet: run calibrate_magnification on a gold grid.";
  } catch (error) {
    note.textContent = error.message;  // e.g. a calibration stored without its ring points
  }
  if (!png) {
    image.hidden = true;
    return;
  }
  if (ringsUrl) URL.revokeObjectURL(ringsUrl);
  ringsUrl = URL.createObjectURL(png);
  Object.assign(image, { src: ringsUrl, hidden: false });
  image.dataset.calibrationId = id;
  note.textContent = "Each ring's radius against azimuth (relative to its mean) and the fitted ellipse.";
}

function btidTable(items) {
  if (!items.length) return `<p class="note">No BTID calibration yet: run calibrate_btid.</p>`;
  const rows = items.map((row) => `<tr><td>${new Date(row.created_at).toLocaleString()}</td>
    <td>${row.mag_index}</td><td>${esc(row.probe_mode_or_alpha)}</td><td>${fmt(row.tilt_mrad)} mrad × ${row.n_directions}</td>
    <td>${fmt(row.residual_rms_px, 2)} px</td><td>${esc(row.reference_method)}</td>
    <td>${fmt(row.reference_astig_nm)} nm at ${fmt(row.reference_defocus_nm, 0)} nm</td>
    <td>${fmt(row.age_h)} h</td></tr>`);
  return `<table class="btid"><tr><th>calibrated</th><th>mag index</th><th>illumination</th><th>tilt</th>
    <th>residual (RMS)</th><th>reference</th><th>reference astigmatism</th><th>age</th></tr>${rows.join("")}</table>`;
}

function stigmatorTable({ max_age_h: maxAgeH, items }) {
  if (!items.length) return `<p class="note">No stigmator calibration yet: run calibrate_stigmators.</p>`;
  const rows = items.map((row) => {
    const stale = row.age_h > maxAgeH;
    return `<tr class="${stale ? "stale" : ""}"><td>${new Date(row.created_at).toLocaleString()}</td>
      <td>${row.mag_index}</td><td>${fmt(row.ht_kv, 0)} kV, ${esc(row.probe_mode_or_alpha)}</td>
      <td>${fmt(row.residual_rms_nm)} nm</td><td>${fmt(row.condition_number, 2)}</td>
      <td>${fmt(row.column_angle_deg)}°</td><td>${fmt(row.age_h)} h${stale ? " (stale)" : ""}</td></tr>`;
  });
  return `<table class="stigmator"><tr><th>calibrated</th><th>mag index</th><th>optics</th><th>residual (RMS)</th>
    <th>condition number</th><th>column angle</th><th>age</th></tr>${rows.join("")}</table>`;
}
