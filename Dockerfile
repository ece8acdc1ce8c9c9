# anibridge-like: one process (uvicorn + the indexer), SQLite in the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ANIBRIDGE_DATA_DIR=/data \
    ANIBRIDGE_HOST=0.0.0.0 \
    ANIBRIDGE_PORT=8000 \
    ANIBRIDGE_LOG_FORMAT=json

RUN useradd --create-home --uid 1000 --user-group anibridge \
    && mkdir -p /data && chown anibridge:anibridge /data

WORKDIR /app
COPY pyproject.toml README.md config.example.yaml ./
COPY anibridge_like ./anibridge_like
# Non-editable install: the migrations ship inside the package as package data.
RUN pip install --no-cache-dir . && chown -R root:root /app

USER anibridge
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["anibridge-like", "healthcheck"]
# SIGTERM (docker stop) drains the writer and exits 0.
STOPSIGNAL SIGTERM
CMD ["anibridge-like", "serve"]
