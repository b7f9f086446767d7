// Shared Plotly helpers: one look for every plot, and astigmatism in doubled-angle space.

const CONFIG = { responsive: true, displaylogo: false };
const FONT = { family: "system-ui, sans-serif", size: 12 };

/** Draw (or redraw) a plot with the house layout. */
export function draw(elementId, traces, layout = {}) {
  const base = { font: FONT, margin: { l: 60, r: 20, t: 40, b: 50 }, showlegend: true,
                 legend: { orientation: "h", y: -0.2 }, modebar: { orientation: "v" } };
  // Titles sit left, and the mode bar stands upright at the right: they no longer overlap.
  const title = { x: 0.01, xanchor: "left", ...layout.title };
  return Plotly.react(elementId, traces, { ...base, ...layout, title }, CONFIG);
}

/** Show a message in place of a plot that has no data yet. */
export function empty(elementId, title, message) {
  return draw(elementId, [], {
    title: { text: title },
    xaxis: { visible: false }, yaxis: { visible: false },
    annotations: [{ text: message, showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }],
  });
}

/** Return the doubled angle (deg) of an astigmatism vector [x, y]: where it points in the polar plot. */
export const doubledAngleDeg = ([x, y]) => (Math.atan2(y, x) * 180) / Math.PI;

/** Return a polar layout whose angular axis is the doubled angle 2θ. */
export function doubledAnglePolar(title, radialTitle) {
  return {
    title: { text: title },
    polar: {
      radialaxis: { title: { text: radialTitle }, angle: 0 },
      angularaxis: { direction: "counterclockwise", rotation: 0, dtick: 45 },
    },
  };
}

export const fmt = (value, digits = 1) =>
  value === null || value === undefined || Number.isNaN(value) ? "–" : Number(value).toFixed(digits);
