"""SerialEM script: advisor mode on a live frame. Record, send the frame to astigd, apply advice.

The frame goes over astigd's live WebSocket with the scope, magnification index and current
stigmators, so astigd fits it and answers with the stigmator setting that cancels the measured
astigmatism (from today's stigmator calibration). The advice is applied only when the fit is
reliable and the advice available; otherwise the reason is echoed and nothing moves.

Settings: ASTIGD_URL, ASTIGD_KEY (read scope), ASTIGD_SCOPE, ASTIGD_APPLY (1 to apply).
"""

import os

import numpy as np
import serialem as sem

from astigd.client import AstigdClient

ASTIGD_URL = os.environ.get("ASTIGD_URL", "http://astigd.example.org:8040")
ASTIGD_KEY = os.environ.get("ASTIGD_KEY")
SCOPE_ID = os.environ.get("ASTIGD_SCOPE", "krios1")
APPLY = os.environ.get("ASTIGD_APPLY", "1") == "1"


def frame_header() -> dict:
    """Return what astigd needs beside the pixels: scope, optics and current stigmators."""
    stig_x, stig_y = sem.ReportObjectiveStigmator()[:2]
    pixel_nm = sem.ImageProperties("A")[4]
    return {
        "scope_id": SCOPE_ID,
        "mag_index": int(sem.ReportMagIndex()[0]),
        "pixel_size_A": 10.0 * pixel_nm,
        "stig_x": stig_x,
        "stig_y": stig_y,
    }


def main() -> None:
    """Fit one Record frame live and, if asked, apply the advised stigmators."""
    sem.Record()
    frame = np.ascontiguousarray(sem.bufferImage("A"))
    with AstigdClient(ASTIGD_URL, ASTIGD_KEY) as astigd, astigd.live() as live:
        reply = live.fit(frame, **frame_header())
    if reply["type"] != "fit":
        sem.Echo(f"astigd: no fit: {reply.get('error') or reply.get('reason')}")
        return
    sem.Echo(f"astigd: astigmatism {reply['astig_nm']:.1f} nm at {reply['angle_deg']:.0f} deg")
    advice = reply.get("advice") or {"available": False, "reason": "no advice in the reply"}
    if not advice["available"]:
        sem.Echo(f"astigd: no advice: {advice['reason']}")
    elif APPLY:
        sem.SetObjectiveStigmator(advice["stig_x"], advice["stig_y"])
        sem.Echo(f"astigd: stigmator set to {advice['stig_x']:.4f} {advice['stig_y']:.4f}")


main()
