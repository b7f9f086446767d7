"""A small typed client for astigd's HTTP and WebSocket API, for collection software.

It needs only httpx and websockets (no FastAPI, SQLAlchemy or numpy), so it runs inside
SerialEM's Python or any pipeline::

    from astigd.client import AstigdClient

    with AstigdClient("http://astigd:8040", api_key=KEY) as client:
        job = client.run_job("krios1", "correct", {"defocus_nm": 2000})
        plan = client.compensation("krios1", defocus_nm=2500)
"""

from astigd.client.errors import ApiError, AstigdClientError, JobFailedError
from astigd.client.http import AstigdClient
from astigd.client.live import LiveFitStream
from astigd.client.models import Compensation, Job, JobEvent, LensHistory

__all__ = [
    "ApiError",
    "AstigdClient",
    "AstigdClientError",
    "Compensation",
    "Job",
    "JobEvent",
    "JobFailedError",
    "LensHistory",
    "LiveFitStream",
]
