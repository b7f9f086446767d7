"""WS /api/v1/ws/fit: live fits in order, latest-wins dropping, auth and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from starlette.websockets import WebSocketDisconnect

from tests.live.conftest import HEADER, send_frame

URL = "/api/v1/ws/fit"


def test_live_fit_recovers_a_synthesized_frame_and_stores_it(client, reader, live_frame):
    with client.websocket_connect(URL, headers=reader) as ws:
        send_frame(ws, 1, live_frame)
        reply = ws.receive_json()
    assert reply["type"] == "fit" and reply["seq"] == 1 and reply["reliable"]
    assert reply["defocus_mean_nm"] == pytest.approx(2000, abs=40)
    assert reply["astig_nm"] == pytest.approx(100, abs=10)
    assert reply["angle_deg"] == pytest.approx(30, abs=3)
    assert "advice" not in reply
    page = client.get("/api/v1/measurements", headers=reader).json()
    assert [item["id"] for item in page["items"]] == [reply["measurement_id"]]
    assert page["items"][0]["source"] == "live"


def test_flooded_frames_are_answered_in_order_or_dropped_never_lost(client, reader, live_frame):
    seqs = list(range(10, 22))
    with client.websocket_connect(URL, headers=reader) as ws:
        for seq in seqs:
            send_frame(ws, seq, live_frame)
        replies = [ws.receive_json() for _ in seqs]
    assert [reply["seq"] for reply in replies] == seqs
    kinds = [reply["type"] for reply in replies]
    assert set(kinds) <= {"fit", "dropped"}
    assert kinds[0] == "fit" and kinds[-1] == "fit"  # the first runs at once; the newest waits
    assert "dropped" in kinds
    assert all(r["reason"] == "busy" and r["dropped"] for r in replies if r["type"] == "dropped")


@pytest.mark.parametrize("where", ["header", "x-api-key", "query"])
def test_every_way_of_presenting_the_key_is_accepted(client, keys, live_frame, where):
    key, url, headers = keys["read"], URL, {}
    if where == "header":
        headers = {"Authorization": f"Bearer {key}"}
    elif where == "x-api-key":
        headers = {"X-API-Key": key}
    else:
        url = f"{URL}?api_key={key}"
    with client.websocket_connect(url, headers=headers) as ws:
        ws.send_text("{}")
        assert ws.receive_json()["type"] == "error"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer astigd_00000000_nope"}])
def test_a_missing_or_bad_key_closes_with_4001(client, keys, headers):
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(URL, headers=headers),
    ):
        pass
    assert closed.value.code == 4001


def test_bad_headers_and_arrays_get_errors_and_the_connection_stays_open(
    client, reader, live_frame
):
    with client.websocket_connect(URL, headers=reader) as ws:
        ws.send_text("not json")
        assert ws.receive_json()["error"].startswith("the header is not JSON")
        ws.send_text(json.dumps({**HEADER, "seq": 2, "dtype": "complex64"}))
        ws.send_bytes(live_frame.tobytes())  # the refused header's array: not answered again
        bad_dtype = ws.receive_json()
        ws.send_text(json.dumps({**HEADER, "seq": 3, "shape": [1024, 1000]}))
        ws.send_bytes(live_frame.tobytes())
        wrong_size = ws.receive_json()
        ws.send_bytes(b"\0" * 8)
        orphan = ws.receive_json()
        ws.send_text(json.dumps({**HEADER, "seq": 4, "unknown": 1}))
        extra = ws.receive_json()
        send_frame(ws, 5, np.zeros((1024, 1024), np.uint16))
        blank = ws.receive_json()
        send_frame(ws, 6, live_frame)
        good = ws.receive_json()
    assert (bad_dtype["type"], bad_dtype["seq"]) == ("error", 2) and "dtype" in bad_dtype["error"]
    assert (wrong_size["seq"], "bytes" in wrong_size["error"]) == (3, True)
    assert orphan == {"type": "error", "seq": None, "error": "an array arrived without a header"}
    assert extra["seq"] == 4 and "unknown" in extra["error"]
    assert blank["type"] == "error" and blank["seq"] == 5
    assert good["type"] == "fit" and good["seq"] == 6
