// Actions (the key needs `control`): start jobs, cancel one, check a plan. The browser checks
// each form against the API's bounds first; what the API refuses is shown in its own words.

import { api, query } from "./api.js";
import { buildForm, formValues, JOB_FORMS, PLAN_FORM } from "./forms.js";
import { esc, guarded } from "./html.js";

const $ = (id) => document.getElementById(id);
let ctx = null;

export function init(context) {
  ctx = context;
  const forms = JOB_FORMS.map((spec) => {
    const form = buildForm(spec, `form-${spec.procedure}`);
    form.addEventListener("submit", (event) => submitJob(event, form, spec));
    return form;
  });
  const plan = buildForm(PLAN_FORM, "form-plan");
  plan.addEventListener("submit", (event) => checkPlan(event, plan));
  const controls = [...forms, cancelForm()];
  $("action-forms").replaceChildren(...controls, plan);
  if (!context.canControl) lock(controls, context.key);
}

/** Disable the forms that start or cancel jobs, and say why: the key lacks `control`. */
function lock(forms, key) {
  for (const form of forms) {
    form.classList.add("locked");
    for (const element of form.elements) element.disabled = true;
  }
  const who = key.name ? `“${key.name}”` : key.prefix ? `${key.prefix}…` : "anonymous";
  const note = $("action-access");
  note.textContent = `This key (${who}, scopes: ${key.scopes.join(", ")}) cannot control the scopes: `
    + "starting or cancelling jobs needs the control scope. Plans can still be checked.";
  note.hidden = false;
}

export async function show() {
  if (!ctx.canControl) return;
  const jobs = await Promise.all(["running", "queued"].map((state) => api(`/jobs${query({ state, scope_id: ctx.scopeId })}`)));
  const active = jobs.flatMap((page) => page.items);
  $("cancel-job").replaceChildren(...active.map((job) => new Option(`${job.procedure} · ${job.state} · ${job.id.slice(0, 8)}`, job.id)));
}

function say(result, error = "") {
  $("action-result").textContent = result;
  $("action-error").textContent = error;
}

/** Return a message for cross-field rules the browser cannot check on its own. */
function crossFieldProblem(spec, params) {
  if (spec.procedure === "acceptance" && params.defocus_max_nm <= params.defocus_min_nm) {
    return "The defocus range must end above where it starts.";
  }
  if (spec.procedure === "defocus_sweep" && params.defocus_start_nm === params.defocus_stop_nm) {
    return "The sweep must start and stop at different defocus.";
  }
  if (spec.procedure === "check_pixel_size") {
    const defoci = params.defoci_nm;
    if (defoci.length > 12) return "The defocus series takes at most 12 values.";
    if (defoci.some((df) => df < 100 || df > 10000)) return "Each defocus of the series must lie within 100–10000 nm.";
  }
  return "";
}

async function submitJob(event, form, spec) {
  event.preventDefault();
  if (!form.reportValidity()) return;
  const params = formValues(form, spec);
  const problem = crossFieldProblem(spec, params);
  if (problem) return say("", problem);
  say(`Submitting ${spec.procedure}…`);
  try {
    const job = await api(`/scopes/${ctx.scopeId}/jobs`, { method: "POST", body: { procedure: spec.procedure, params } });
    say(`Started ${spec.procedure}: job ${job.id}.`);
    ctx.open("livejob", { jobId: job.id });
  } catch (error) {
    say("", `${spec.procedure} was refused (HTTP ${error.status ?? "?"}): ${error.message}`);
  }
}

function cancelForm() {
  const form = document.createElement("form");
  form.id = "form-cancel";
  form.innerHTML = `<h3>Cancel a job</h3><label>running or queued <select id="cancel-job" required></select></label>
    <button type="submit" class="danger">Cancel</button>`;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    try {
      const job = await api(`/jobs/${$("cancel-job").value}/cancel`, { method: "POST" });
      say(`Cancel requested: job ${job.id} is ${job.state}.`);
      guarded(show);
    } catch (error) {
      say("", `The cancel was refused (HTTP ${error.status ?? "?"}): ${error.message}`);
    }
  });
  return form;
}

async function checkPlan(event, form) {
  event.preventDefault();
  if (!form.reportValidity()) return;
  const values = formValues(form, PLAN_FORM);
  const body = {
    scope_id: ctx.scopeId, magnification: values.magnification, mag_index: values.mag_index,
    defocus_range_nm: [values.defocus_low_nm, values.defocus_high_nm],
    focus_magnification: values.focus_magnification, target_resolution_A: values.target_resolution_A,
  };
  try {
    const report = await api("/plans/check", { method: "POST", body });
    const findings = report.findings.map((f) => `<li class="${esc(f.severity)}">${esc(f.severity)}: ${esc(f.message)}</li>`);
    say(report.ok ? "The plan looks fine." : `The plan has ${report.n_warnings} warning(s).`);
    $("action-error").innerHTML = "";
    let list = $("plan-findings");
    if (!list) {
      list = document.createElement("ul");
      list.id = "plan-findings";
      form.append(list);
    }
    list.innerHTML = findings.join("");
  } catch (error) {
    say("", `The plan check was refused (HTTP ${error.status ?? "?"}): ${error.message}`);
  }
}
