// Start-up: the key form, the tabs and the scope picker; each view lives in its own module.

import { api, forgetKey, storedKey, storeKey } from "./api.js";
import { guarded } from "./html.js";
import * as overview from "./overview.js";
import * as history from "./history.js";
import * as sweeps from "./sweeps.js";
import * as calibrations from "./calibrations.js";
import * as livejob from "./livejob.js";
import * as livefit from "./livefit.js";
import * as actions from "./actions.js";

const VIEWS = { overview, history, sweeps, calibrations, livejob, livefit, actions };
const state = { scopes: [], scopeId: null, view: "overview", key: null };
const $ = (id) => document.getElementById(id);

/** The context every view gets: the scopes, the selected scope, the key, and a way to switch views. */
const context = {
  get scopes() { return state.scopes; },
  get scopeId() { return state.scopeId; },
  get key() { return state.key; },
  get canControl() { return state.key?.grants.includes("control") ?? false; },
  open: (view, options) => openView(view, options),
};

async function checkKey(key) {
  [state.scopes, state.key] = await Promise.all([api("/scopes", { key }), api("/auth/me", { key })]);
}

async function login(event) {
  event.preventDefault();
  const key = $("key").value.trim();
  $("login-error").textContent = "";
  try {
    await checkKey(key);
  } catch (error) {
    $("login-error").textContent = `The key was refused: ${error.message}`;
    return;
  }
  storeKey(key);
  start();
}

function start() {
  $("login").hidden = true;
  for (const id of ["tabs", "scope-picker", "logout"]) $(id).hidden = false;
  const select = $("scope");
  select.replaceChildren(...state.scopes.map((scope) => new Option(scope.id, scope.id)));
  state.scopeId = state.scopes[0]?.id ?? null;
  for (const view of Object.values(VIEWS)) view.init?.(context);
  openView(state.view);
}

function openView(name, options = {}) {
  VIEWS[state.view].hide?.();
  state.view = name;
  for (const button of document.querySelectorAll("#tabs button")) {
    button.classList.toggle("active", button.dataset.view === name);
  }
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== `view-${name}`;
  guarded(() => VIEWS[name].show(context, options));
}

function logout() {
  forgetKey();
  location.reload();
}

async function boot() {
  $("login-form").addEventListener("submit", login);
  $("logout").addEventListener("click", logout);
  $("tabs").addEventListener("click", (event) => {
    if (event.target.dataset.view) openView(event.target.dataset.view);
  });
  $("scope").addEventListener("change", (event) => {
    state.scopeId = event.target.value;
    openView(state.view);
  });
  const key = storedKey();
  if (!key) return;
  try {
    await checkKey(key);
    start();
  } catch (error) {
    forgetKey();
    $("login-error").textContent = `The stored key was refused: ${error.message}`;
  }
}

boot();
