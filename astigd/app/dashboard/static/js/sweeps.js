// Latest sweeps: astigmatism against defocus with per-step RMSD (Fig. 2A), the vectors in polar
// coloured by defocus (Fig. 2B–D), and the magnification profile (Fig. 5D).

import { api, query } from "./api.js";
import { doubledAngleDeg, doubledAnglePolar, draw, empty, fmt } from "./plots.js";

const $ = (id) => document.getElementById(id);
const um = (nm) => nm / 1000;

export async function show(ctx) {
  const scope = ctx.scopeId;
  const [latest, profiles] = await Promise.all([
    api(`/scopes/${scope}/lens-sweeps/latest`),
    api(`/scopes/${scope}/magnification-profiles${query({ limit: 1 })}`),
  ]);
  const sweep = latest.sweep;
  $("sweeps-note").textContent = sweep
    ? `Lens sweep ${sweep.id} of ${new Date(sweep.created_at).toLocaleString()}: k_obj ${fmt(sweep.k_obj_nm_per_um, 2)} ± ${fmt(sweep.k_obj_se_nm_per_um, 2)} nm/µm at ${fmt(sweep.angle_deg)}°, R² ${fmt(sweep.r_squared, 3)}.`
    : "No defocus sweep yet: run defocus_sweep or acceptance.";
  if (sweep) {
    drawAgainstDefocus(sweep);
    drawPolar(sweep);
  } else {
    empty("plot-sweep-astig", "Astigmatism against defocus", "no sweep yet");
    empty("plot-sweep-polar", "Astigmatism vectors", "no sweep yet");
  }
  await drawProfile(profiles.items[0]);
}

/** Return |A(df)| of the fitted line A(df) = A_ref + K·(df − df_ref) at defocus values in nm. */
function fittedMagnitude(sweep, defocusNm) {
  const [ax, ay] = sweep.astig_ref_nm;
  const [kx, ky] = sweep.slope_nm_per_um;
  return defocusNm.map((df) => {
    const d = um(df - sweep.reference_defocus_nm);
    return Math.hypot(ax + kx * d, ay + ky * d);
  });
}

function drawAgainstDefocus(sweep) {
  const steps = sweep.steps;
  const line = [sweep.defocus_min_nm, ...steps.map((s) => s.defocus_nm), sweep.defocus_max_nm].sort((a, b) => a - b);
  const traces = [
    { type: "scatter", mode: "markers", name: "frames", x: sweep.points.map((p) => um(p.commanded_defocus_nm)),
      y: sweep.points.map((p) => p.astig_nm), marker: { size: 5, color: "#9aa5b1" } },
    { type: "scatter", mode: "markers", name: "step mean ± RMSD", x: steps.map((s) => um(s.defocus_nm)),
      y: steps.map((s) => s.astig_nm), marker: { size: 9, color: "#1f6fb2" },
      error_y: { type: "data", array: steps.map((s) => s.rmsd_nm), visible: true } },
  ];
  if (sweep.astig_ref_nm[0] !== null) {
    traces.push({ type: "scatter", mode: "lines", name: "fit A_ref + K·Δdf", x: line.map(um),
                  y: fittedMagnitude(sweep, line), line: { color: "#a35c00", dash: "dash" } });
  }
  draw("plot-sweep-astig", traces, {
    title: { text: "Astigmatism against defocus (Fig. 2A)" },
    xaxis: { title: { text: "defocus (µm)" } },
    yaxis: { title: { text: "astigmatism (nm)" }, rangemode: "tozero" },
  });
}

function drawPolar(sweep) {
  const points = sweep.points;
  const trace = {
    type: "scatterpolar", mode: "markers", name: "frames",
    r: points.map((p) => p.astig_nm), theta: points.map((p) => doubledAngleDeg(p.astig_vec_nm)),
    text: points.map((p) => `${fmt(p.commanded_defocus_nm, 0)} nm`),
    marker: { size: 8, color: points.map((p) => um(p.commanded_defocus_nm)), colorscale: "Viridis",
              colorbar: { title: { text: "defocus (µm)" } } },
  };
  draw("plot-sweep-polar", [trace], { ...doubledAnglePolar("Astigmatism vectors by defocus (Fig. 2B–D)", "nm"),
                                      showlegend: false });
}

async function drawProfile(profile) {
  if (!profile) return empty("plot-magprofile", "Magnification profile", "no magnification profile yet: run mag_sweep");
  const defocus = await sweepDefocus(profile);
  const points = profile.points;
  const traces = [{
    type: "scatter", mode: "lines+markers", name: "astigmatism",
    x: points.map((p) => p.magnification), y: points.map((p) => p.astig_nm),
    error_y: { type: "data", array: points.map((p) => p.astig_uncertainty_nm ?? 0), visible: true },
  }];
  if (defocus.size) {
    traces.push({ type: "scatter", mode: "lines+markers", name: "fitted defocus", yaxis: "y2",
                  x: points.map((p) => p.magnification), y: points.map((p) => um(defocus.get(p.mag_index))),
                  line: { color: "#a35c00" } });
  }
  return draw("plot-magprofile", traces, {
    title: { text: `Magnification profile at ${fmt(profile.defocus_nm, 0)} nm (Fig. 5D)` },
    xaxis: { title: { text: "magnification (×)" }, type: "log" },
    yaxis: { title: { text: "astigmatism (nm)" }, rangemode: "tozero" },
    yaxis2: { title: { text: "fitted defocus (µm)" }, overlaying: "y", side: "right", tickformat: ".3f" },
    margin: { l: 60, r: 80, t: 40, b: 50 },  // room for the right axis's ticks and title
  });
}

/** Return the fitted defocus (nm) per magnification index: stored with the points since revision
 *  0005, else from the sweep job's result. */
async function sweepDefocus({ points, job_id: jobId }) {
  if (points.every((p) => p.fitted_defocus_nm != null)) return new Map(points.map((p) => [p.mag_index, p.fitted_defocus_nm]));
  if (!jobId) return new Map();
  const job = await api(`/jobs/${jobId}`);
  const measured = job.result?.points ?? [];
  return new Map(measured.filter((p) => p.fitted_defocus_nm).map((p) => [p.mag_index, p.fitted_defocus_nm]));
}
