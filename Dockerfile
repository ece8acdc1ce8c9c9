# anibridge-like: one process (uvicorn + the indexer), SQLite in the /data volume.
FROM python:3.11-slim

# The image's user; a compose `user: "UID:GID"` or PUID/PGID (start as root) picks another.
ARG PUID=1000
ARG PGID=1000

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ANIBRIDGE_DATA_DIR=/data \
    ANIBRIDGE_HOST=0.0.0.0 \
    ANIBRIDGE_PORT=8000 \
    ANIBRIDGE_LOG_FORMAT=json

RUN groupadd --gid "${PGID}" anibridge \
    && useradd --uid "${PUID}" --gid "${PGID}" --no-create-home --home-dir /data \
       --shell /usr/sbin/nologin anibridge \
    && mkdir -p /data && chown "${PUID}:${PGID}" /data && chmod 0775 /data

WORKDIR /app
# Dependencies in their own layer, pinned by the lock: a code change does not reinstall them.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock
# The code. Non-editable, no dependency resolution: the migrations ship as package data.
COPY pyproject.toml README.md config.example.yaml ./
COPY anibridge_like ./anibridge_like
RUN pip install --no-cache-dir --no-deps . && rm -rf /app/build
COPY docker/entrypoint.sh /usr/local/bin/anibridge-entrypoint

USER ${PUID}:${PGID}
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["anibridge-like", "healthcheck"]
# SIGTERM (docker stop) drains the writer and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["anibridge-entrypoint"]
CMD ["anibridge-like", "serve"]
