# Founder Coach: a small image that runs `founder-coach run` as a non-root user.
# Build:  docker build -t founder-coach .
# Run:    docker run -e TELEGRAM_BOT_TOKEN=... -v coach-data:/data founder-coach
#         (without a token, run it with -it to talk to the console coach; with neither a
#         token nor a terminal it refuses to start: exit status 2, and the reason in one
#         line of `docker logs`, rather than greeting nobody and exiting 0)
# Exports made in the console go to /data/exports, on the volume.
# Several workers on PostgreSQL: deploy/compose.yaml runs this same image as `db migrate`,
# `webhook set` and three `run` workers (FOUNDER_COACH_DATABASE_URL, the webhook settings);
# their health check probes /healthz on the webhook port with this image's python (no curl),
# and `docker stop` sends SIGTERM, which drains a worker before it exits 0.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY flows ./flows
COPY content ./content
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FOUNDER_COACH_DB=/data/founder-coach.db \
    FOUNDER_COACH_EXPORTS=/data/exports \
    PTB_TIMEDELTA=true
RUN useradd --create-home --uid 10001 coach \
    && mkdir /data && chown coach:coach /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
# Refuse to build broken flows or templates, as the coach refuses to start on them; the
# check passed is remembered beside the installed code (still root-writable here), so the
# first start of this image skips its own template check (about 2-3 s on two cores).
RUN founder-coach flows check --remember
USER coach
WORKDIR /home/coach
VOLUME ["/data"]
# Webhook mode (TELEGRAM_WEBHOOK_URL set) listens on TELEGRAM_WEBHOOK_PORT, 8443 by default:
# publish it (-p 8443:8443) to the HTTPS proxy in front. Long polling needs no port.
EXPOSE 8443
CMD ["founder-coach", "run"]
