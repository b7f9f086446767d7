// Text from the API goes into the page escaped.

const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Return text with HTML's special characters escaped. */
export const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => ENTITIES[c]);

/** Show a failed refresh (the API's words) above the views; an empty call clears it. */
export function showProblem(error) {
  document.getElementById("page-error").textContent = error ? `Could not refresh: ${error.message}` : "";
}

/** Run a view's refresh; show what went wrong instead of leaving it unhandled. */
export async function guarded(refresh) {
  try {
    await refresh();
    showProblem(null);
  } catch (error) {
    showProblem(error);
  }
}
