# astigd: the API, the simulated scope and the Dask workers all run from this one image.
#   docker build -t astigd .            (see docs/ops/deploy.md and docker-compose.yml)
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY astigd ./astigd
RUN python -m venv /opt/astigd && /opt/astigd/bin/pip install '.[dask]'

FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /var/lib/astigd astigd
COPY --from=build /opt/astigd /opt/astigd
ENV PATH=/opt/astigd/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    ASTIGD_DATA_DIR=/var/lib/astigd \
    ASTIGD_SERVER__HOST=0.0.0.0 \
    ASTIGD_SERVER__PORT=8040
USER astigd
WORKDIR /var/lib/astigd
EXPOSE 8040
# Ready means: database at the newest migration and the compute pool running tasks.
HEALTHCHECK --interval=15s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8040/readyz', timeout=8)"]
CMD ["astigd", "serve"]
