# relaybot in a container: `docker build -t relaybot .`, then see compose.yaml.
# Two stages: the first builds a virtual environment, the second carries only that
# environment and the example workflows, and runs as an unprivileged user.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY channels ./channels
COPY workflows ./workflows
COPY integrations ./integrations
COPY migrations ./migrations
RUN python -m venv /opt/relaybot \
    && /opt/relaybot/bin/pip install --no-cache-dir --disable-pip-version-check .

FROM python:3.11-slim
RUN useradd --system --create-home --home-dir /app --uid 10001 relaybot
COPY --from=build /opt/relaybot /opt/relaybot
COPY --chown=relaybot:relaybot examples /app/examples
ENV PATH="/opt/relaybot/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    RELAYBOT_WORKFLOWS_DIR=/app/examples/workflows
WORKDIR /app
USER relaybot
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
CMD ["relaybot", "serve", "--host", "0.0.0.0", "--port", "8080"]
