"""Benchmark the live-fit WebSocket: a 1024² uint16 stream at 10 frames/s against `astigd serve`.

Every frame must be answered in order, by a fit or an explicit drop. Prints JSON: counts, fits/s,
frame-to-fit latency percentiles (target p95 ≤ 150 ms). Run: python bench/live.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import astigd_server  # noqa: E402

from astigd.drivers.simulator.frames import Exposure, synthesize_frame  # noqa: E402
from astigd.workers.ctf import Optics  # noqa: E402

HEADER = {"dtype": "uint16", "shape": [1024, 1024], "pixel_size_A": 1.0, "kv": 300, "cs_mm": 2.7}
TARGET_P95_MS = 150.0


def frames(count: int = 4) -> list[bytes]:
    """Return a few synthesized frames (different noise) as raw uint16 bytes."""
    exposure = Exposure(Optics(1.0), 2000, 100, 30)
    return [np.rint(synthesize_frame(exposure, (1024, 1024), rng=seed)).astype(np.uint16).tobytes()
            for seed in range(count)]  # fmt: skip


async def stream(url: str, key: str, fps: float, seconds: float) -> dict:
    """Send frames at a fixed rate; collect one reply per frame; return the statistics."""
    payloads, sent_at, replies = frames(), {}, []
    ws_url = url.replace("http", "ws", 1) + "/api/v1/ws/fit"
    headers = {"Authorization": f"Bearer {key}"}
    connect = websockets.connect(
        ws_url, additional_headers=headers, max_size=None, compression=None
    )
    async with (
        connect as ws
    ):  # no permessage-deflate: compressing 2 MB frames costs more than it saves
        total = int(fps * seconds)
        receiver = asyncio.create_task(_receive(ws, sent_at, replies, total))
        start = time.perf_counter()
        for seq in range(total):
            await asyncio.sleep(max(0.0, start + seq / fps - time.perf_counter()))
            sent_at[seq] = time.perf_counter()
            await ws.send(json.dumps({**HEADER, "seq": seq}))
            await ws.send(payloads[seq % len(payloads)])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(receiver, timeout=30)
        elapsed_s = time.perf_counter() - start
    return summarize(replies, total, elapsed_s)


async def _receive(ws, sent_at: dict, replies: list, total: int) -> None:
    async for message in ws:
        reply = json.loads(message)
        reply["client_latency_ms"] = (time.perf_counter() - sent_at[reply["seq"]]) * 1000
        replies.append(reply)
        if len(replies) == total:
            return


def percentiles(values: list[float]) -> dict:
    if not values:
        return {}
    p50, p95, p99 = (float(v) for v in np.percentile(values, [50, 95, 99]))
    return {"p50": round(p50, 1), "p95": round(p95, 1), "p99": round(p99, 1),
            "max": round(max(values), 1)}  # fmt: skip


def summarize(replies: list[dict], total: int, elapsed_s: float) -> dict:
    kinds = [r["type"] for r in replies]
    fits = [r for r in replies if r["type"] == "fit"]
    latencies = [r["client_latency_ms"] for r in fits]
    stats = percentiles(latencies)
    return {
        "frames_sent": total,
        "answered": len(replies),
        "unanswered": total - len(replies),
        "in_order": [r["seq"] for r in replies] == list(range(len(replies))),
        "fits": len(fits),
        "dropped": kinds.count("dropped"),
        "errors": kinds.count("error"),
        "fits_per_s": round(len(fits) / elapsed_s, 2),
        "reliable_fits": sum(bool(r.get("reliable")) for r in fits),
        "frame_to_fit_latency_ms": stats,
        "server_fit_elapsed_ms": percentiles(
            [r["elapsed_ms"] for r in fits if r.get("elapsed_ms")]
        ),
        "server_receipt_to_reply_ms": percentiles([r["latency_ms"] for r in fits]),
        "target_p95_ms": TARGET_P95_MS,
        "target_met": bool(stats) and stats["p95"] <= TARGET_P95_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument(
        "--workers", type=int, default=None, help="fit processes (default: half the cores)"
    )
    args = parser.parse_args()
    env = {"ASTIGD_POOL__WORKERS": str(args.workers)} if args.workers else {}
    with astigd_server(env) as server:
        result = asyncio.run(stream(server.url, server.key, args.fps, args.seconds))
    print(
        json.dumps(
            {"benchmark": "live_ws_fit", "fps": args.fps, "seconds": args.seconds, **result},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
