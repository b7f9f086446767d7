"""A minimal dashboard poller: watch a scope's daily lens slope, cheaply, with ETags.

Each poll sends the last ETag in If-None-Match, so an unchanged history costs a 304 and no body.
It prints one JSON line per poll: `{"changed": false}`, or the newest day when it changed.

    ASTIGD_KEY=... python examples/dashboard_poller.py --url http://astigd:8040 --scope krios1
"""

import argparse
import json
import os
import time

from astigd.client import AstigdClient


def poll(client: AstigdClient, scope_id: str, etag: str | None) -> tuple[dict, str | None]:
    """Return this poll's line and the ETag to send next time."""
    history = client.lens_history(scope_id, etag=etag)
    if history.not_modified:
        return {"scope_id": scope_id, "changed": False}, etag
    newest = history.days[-1] if history.days else None
    line = {"scope_id": scope_id, "changed": True, "days": len(history.days), "newest": newest}
    return line, history.etag


def main() -> None:
    """Poll until interrupted (or --polls times)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("ASTIGD_URL", "http://127.0.0.1:8040"))
    parser.add_argument("--scope", default=os.environ.get("ASTIGD_SCOPE", "sim"))
    parser.add_argument("--interval-s", type=float, default=60.0)
    parser.add_argument("--polls", type=int, default=0, help="stop after this many (0: never)")
    args = parser.parse_args()
    etag, done = None, 0
    with AstigdClient(args.url, os.environ.get("ASTIGD_KEY")) as client:
        while args.polls == 0 or done < args.polls:
            line, etag = poll(client, args.scope, etag)
            print(json.dumps(line), flush=True)
            done += 1
            time.sleep(args.interval_s)


if __name__ == "__main__":
    main()
