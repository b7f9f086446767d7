// The job forms: each procedure's parameters with the API's bounds, so the browser validates first.

const num = (name, label, value, min, max, step = "any", optional = false) =>
  ({ name, label, type: "number", value, min, max, step, optional });
const int = (name, label, value, min, max, optional = false) => num(name, label, value, min, max, 1, optional);
/** A field whose value goes into an object parameter: params[into][key]. */
const nested = (into, key, field) => ({ ...field, into, key });
const bool = (name, label, value) => ({ name, label, type: "checkbox", value });
const INDICES = { pattern: "\\s*\\d+(\\s*,\\s*\\d+)+\\s*", placeholder: "e.g. 10, 9, 8",
                  title: "at least two magnification indices, comma separated" };
const DEFOCI = { pattern: "\\s*\\d+(\\.\\d+)?(\\s*,\\s*\\d+(\\.\\d+)?)+\\s*", placeholder: "e.g. 400, 800, 1200",
                 title: "two to twelve underfocus values in nm, comma separated" };
const list = (name, label, value, format = INDICES) => ({ name, label, type: "list", value, ...format });
const choice = (name, label, options) => ({ name, label, type: "choice", options });

const exposure = num("exposure_s", "exposure (s)", 1.0, 0.001, 60);
const averaged = int("frames", "frames averaged", 1, 1, 16);

export const JOB_FORMS = [
  { procedure: "correct", title: "Correct astigmatism", fields: [
    exposure, averaged,
    num("target_resolution_A", "target resolution (Å)", 3.0, 1, 30),
    num("tolerance_nm", "tolerance (nm, overrides)", "", 0.1, 500, "any", true),
    int("max_moves", "at most moves", 3, 1, 3),
    num("defocus_nm", "at defocus (nm)", "", 100, 10000, "any", true),
    bool("measure_only", "measure only (move nothing)", false),
    choice("method", "measure by", ["ctf", "btid", "auto"]),
  ] },
  { procedure: "calibrate_stigmators", title: "Calibrate stigmators", fields: [
    exposure, averaged,
    num("defocus_nm", "at defocus (nm)", 2000, 1500, 2500),
  ] },
  { procedure: "calibrate_magnification", title: "Calibrate pixel size and anisotropy (gold grid)", fields: [
    exposure,
    int("frames", "frames averaged", 4, 1, 16),
    num("defocus_nm", "at defocus (nm)", 4000, 2500, 8000),
    int("box_px", "spectrum tile (px)", 1024, 256, 4096),
    int("sectors", "azimuth sectors", 36, 12, 180),
    num("max_pixel_size_sd_percent", "store if pixel size σ ≤ (%)", 0.05, 0.001, 5),
    num("max_anisotropy_sd_percent", "store if anisotropy σ ≤ (%)", 0.05, 0.001, 5),
  ] },
  { procedure: "check_pixel_size", title: "Check pixel size against Cs", fields: [
    num("exposure_s", "exposure (s)", 10.0, 0.001, 60),
    list("defoci_nm", "defocus series (nm)", "400, 600, 800, 1000, 1200", DEFOCI),
    num("max_res_A", "fit out to (Å)", 2.6, 1, 10),
    num("flag_percent", "flag above (%)", 0.5, 0.01, 10),
  ] },
  { procedure: "calibrate_btid", title: "Calibrate beam-tilt (BTID)", fields: [
    exposure,
    num("tilt_mrad", "beam tilt (mrad)", 5.0, 0.01, 10),
    int("directions", "tilt directions", 4, 2, 8),
    num("defocus_nm", "at defocus (nm)", "", 100, 10000, "any", true),
    num("focus_step_nm", "focus step (nm)", 500, 100, 2000),
    num("stig_step", "stigmator step", 0.1, 0.01, 0.2),
    choice("reference", "reference astigmatism", ["ctf", "corrected"]),
    int("reference_frames", "reference frames averaged", 4, 1, 16),
  ] },
  { procedure: "defocus_sweep", title: "Defocus sweep", fields: [
    exposure,
    num("defocus_start_nm", "from defocus (nm)", 500, 100, 10000),
    num("defocus_stop_nm", "to defocus (nm)", 3500, 100, 10000),
    num("defocus_step_nm", "step (nm)", 300, 20, 5000),
    int("frames_per_step", "frames per step", 3, 1, 20),
    bool("correct_first", "correct at the reference first", false),
  ] },
  { procedure: "mag_sweep", title: "Magnification sweep", fields: [
    exposure,
    list("mag_indices", "magnification indices (first: corrected)", ""),
    num("defocus_nm", "at defocus (nm)", "", 100, 10000, "any", true),
    int("frames_per_mag", "frames per magnification", 3, 1, 20),
    bool("correct_first", "correct at the first", true),
    bool("correct_each", "also correct at each", false),
  ] },
  { procedure: "acceptance", title: "Daily acceptance", fields: [
    exposure,
    int("mag_index", "collection magnification index", "", 0, 10000, true),
    num("defocus_min_nm", "defocus range from (nm)", 500, 100, 10000),
    num("defocus_max_nm", "defocus range to (nm)", 3500, 100, 10000),
    num("defocus_step_nm", "step (nm)", 300, 20, 5000),
    int("frames_per_step", "frames per step", 3, 1, 20),
    nested("correction", "exposure_s", num("correction_exposure_s", "correction exposure (s)", 1.0, 0.001, 60)),
    nested("correction", "frames", int("correction_frames", "correction frames averaged", 1, 1, 16)),
  ] },
];

export const PLAN_FORM = { title: "Check a collection plan", fields: [
  num("magnification", "exposure magnification (×)", "", 1, 1e8),
  int("mag_index", "its index (if not in the inventory)", "", 0, 10000, true),
  num("defocus_low_nm", "defocus range from (nm)", 800, -20000, 50000),
  num("defocus_high_nm", "defocus range to (nm)", 2500, -20000, 50000),
  num("focus_magnification", "focus-mode magnification (×)", "", 1, 1e8, "any", true),
  num("target_resolution_A", "target resolution (Å)", 3.0, 0.6, 100),
] };

/** Return a form element for a form description. */
export function buildForm(spec, id) {
  const form = document.createElement("form");
  form.id = id;
  form.noValidate = false;
  form.innerHTML = `<h3>${spec.title}</h3>`;
  for (const field of spec.fields) form.append(fieldRow(field, id));
  const button = document.createElement("button");
  button.type = "submit";
  button.textContent = spec.procedure ? "Start" : "Check";
  form.append(button);
  return form;
}

function fieldRow(field, formId) {
  const label = document.createElement("label");
  label.textContent = field.label;
  const input = document.createElement(field.type === "choice" ? "select" : "input");
  input.name = field.name;
  input.id = `${formId}-${field.name}`;
  if (field.type === "choice") {
    input.append(...field.options.map((option) => new Option(option, option)));
  } else if (field.type === "checkbox") {
    input.type = "checkbox";
    input.checked = field.value;
  } else if (field.type === "list") {
    Object.assign(input, { type: "text", required: true, value: field.value, pattern: field.pattern,
                           title: field.title, placeholder: field.placeholder });
  } else {
    Object.assign(input, { type: "number", min: field.min, max: field.max, step: field.step,
                           required: !field.optional, value: field.value });
  }
  label.append(input);
  return label;
}

/** Return the form's values as API parameters: numbers, booleans, lists; blanks left out. */
export function formValues(form, spec) {
  const values = {};
  for (const field of spec.fields) {
    const input = form.elements[field.name];
    if (field.type === "checkbox") values[field.name] = input.checked;
    else if (field.type === "choice") values[field.name] = input.value;
    else if (field.type === "list") values[field.name] = input.value.split(",").map((part) => Number(part.trim()));
    else if (input.value !== "") values[field.name] = Number(input.value);
    if (field.into && field.name in values) {
      values[field.into] = { ...values[field.into], [field.key]: values[field.name] };
      delete values[field.name];
    }
  }
  return values;
}
