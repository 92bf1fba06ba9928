# Founder Coach: a small image that runs `founder-coach run` as a non-root user.
# Build:  docker build -t founder-coach .
# Run:    docker run -e TELEGRAM_BOT_TOKEN=... -v coach-data:/data founder-coach
#         (without a token, run it with -it to talk to the console coach)

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
    PTB_TIMEDELTA=true
RUN useradd --create-home --uid 10001 coach \
    && mkdir /data && chown coach:coach /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER coach
WORKDIR /home/coach
VOLUME ["/data"]
# Refuse to start on broken flows or templates, like the coach itself does.
RUN founder-coach flows check
CMD ["founder-coach", "run"]
