// How far a job has got, read from its events (shared by the overview and the live job view).

const CALIBRATION_AXES = 2;

/** Return {fraction (0..1 or null), text} for a job from the events seen so far. */
export function progressOf(job, events) {
  const steps = events.filter((event) => event.kind === "step").map((event) => event.payload);
  const fits = events.filter((event) => event.kind === "fit").length;
  const sweepSteps = steps.filter((step) => Number.isInteger(step.of));
  if (sweepSteps.length) {
    const last = sweepSteps[sweepSteps.length - 1];
    return { fraction: (last.index + 1) / last.of, text: `step ${last.index + 1} of ${last.of}` };
  }
  if (job.procedure === "mag_sweep") {
    const total = job.params.mag_indices.length;
    return { fraction: steps.length / total, text: `magnification ${steps.length} of ${total}` };
  }
  if (job.procedure === "calibrate_stigmators") {
    const done = steps.filter((step) => step.axis).length;
    return { fraction: done / CALIBRATION_AXES, text: `${done} of ${CALIBRATION_AXES} stigmators probed` };
  }
  return { fraction: null, text: `${fits} fit${fits === 1 ? "" : "s"}` };
}
