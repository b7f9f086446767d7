// Lens history: daily k_obj and its angle with error bars, the K vectors in polar, alerts marked.

import { api, query } from "./api.js";
import { guarded } from "./html.js";
import { draw, empty } from "./plots.js";

const DEFAULT_DAYS = 90;
let ctx = null;
const $ = (id) => document.getElementById(id);
const isoDay = (date) => date.toISOString().slice(0, 10);

export function init(context) {
  ctx = context;
  $("history-since").value = isoDay(new Date(Date.now() - DEFAULT_DAYS * 86400e3));
  $("history-until").value = isoDay(new Date());
  $("history-range").addEventListener("submit", (event) => {
    event.preventDefault();
    if ($("history-range").reportValidity()) guarded(refresh);
  });
}

export function show() {
  return refresh();
}

function range() {
  const since = `${$("history-since").value}T00:00:00Z`;
  const until = `${$("history-until").value}T23:59:59Z`;
  return { since, until };
}

async function refresh() {
  const { since, until } = range();
  if (since > until) {
    $("history-note").textContent = "The start date is after the end date.";
    return;
  }
  const scope = ctx.scopeId;
  const [history, alerts] = await Promise.all([
    api(`/scopes/${scope}/lens-history${query({ since, until })}`),
    api(`/alerts${query({ scope_id: scope, since, limit: 500 })}`),
  ]);
  const shown = alerts.filter((alert) => new Date(alert.created_at) <= new Date(until));
  $("history-note").textContent = `${history.days.length} day(s) with a lens sweep, ${shown.length} alert(s).`;
  if (!history.days.length) {
    for (const id of ["plot-kobj", "plot-angle", "plot-kpolar"]) empty(id, "Lens history", "no lens sweeps in this range");
    return;
  }
  drawKobj(history.days, shown);
  drawAngle(history.days, shown);
  drawPolar(history.days, shown);
}

/** Return a date axis spanning the days with a day's margin each side (one day plots sensibly). */
function dateAxis(days) {
  const shift = (day, by) => new Date(Date.parse(day) + by * 86400e3).toISOString().slice(0, 10);
  return { title: { text: "date (UTC)" }, type: "date",
           range: [shift(days[0].date, -1), shift(days[days.length - 1].date, 1)] };
}

function alertTrace(alerts, value) {
  return {
    type: "scatter", mode: "markers", name: "alert",
    x: alerts.map((alert) => alert.created_at.slice(0, 10)),
    y: alerts.map(value),
    text: alerts.map((alert) => alert.payload.message),
    marker: { symbol: "x", size: 12, color: "#b3261e" },
  };
}

function drawKobj(days, alerts) {
  const trace = {
    type: "scatter", mode: "lines+markers", name: "k_obj",
    x: days.map((d) => d.date), y: days.map((d) => d.k_obj_nm_per_um),
    error_y: { type: "data", array: days.map((d) => d.k_obj_se_nm_per_um ?? 0), visible: true },
  };
  draw("plot-kobj", [trace, alertTrace(alerts, (a) => a.payload.k_obj_nm_per_um)], {
    title: { text: "Lens slope k_obj per day" },
    xaxis: dateAxis(days),
    yaxis: { title: { text: "k_obj (nm/µm)" }, rangemode: "tozero" },
  });
}

function drawAngle(days, alerts) {
  const trace = {
    type: "scatter", mode: "lines+markers", name: "lens axis",
    x: days.map((d) => d.date), y: days.map((d) => d.angle_deg),
    error_y: { type: "data", array: days.map((d) => d.angle_se_deg ?? 0), visible: true },
  };
  draw("plot-angle", [trace, alertTrace(alerts, (a) => a.payload.angle_deg)], {
    title: { text: "Lens axis angle per day" },
    xaxis: dateAxis(days),
    yaxis: { title: { text: "angle (deg)" }, range: [0, 180] },
  });
}

function drawPolar(days, alerts) {
  const trace = {
    type: "scatterpolar", mode: "lines+markers", name: "daily K",
    r: days.map((d) => d.k_obj_nm_per_um),
    theta: days.map((d) => 2 * d.angle_deg),
    text: days.map((d) => d.date),
    marker: { color: days.map((_, i) => i), colorscale: "Viridis", size: 8,
              colorbar: { title: { text: "day" }, tickvals: [0, days.length - 1],
                          ticktext: [days[0].date, days[days.length - 1].date] } },
  };
  const marked = {
    type: "scatterpolar", mode: "markers", name: "alert",
    r: alerts.map((alert) => alert.payload.k_obj_nm_per_um),
    theta: alerts.map((alert) => 2 * alert.payload.angle_deg),
    text: alerts.map((alert) => alert.payload.message),
    marker: { symbol: "x", size: 12, color: "#b3261e" },
  };
  draw("plot-kpolar", [trace, marked], {
    title: { text: "Daily K vectors (|K| nm/µm at 2θ)" },
    polar: { radialaxis: { title: { text: "nm/µm" } }, angularaxis: { dtick: 45 } },
    showlegend: false,
  });
}
