# One image for every Aduan process; the command picks which one (see docker-compose.yml).
#   docker build -t aduan .
#   docker run aduan                                   # the gateway on :8080
#   docker run aduan python -m services.verification.worker
#   docker run -e ADUAN_WORKER_METRICS_PORT=9100 aduan python -m services.routing.worker
#                                                      # a worker with its /metrics on 9100

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/aduan
WORKDIR /src
COPY pyproject.toml ./
COPY aduan ./aduan
COPY services ./services
COPY gateway ./gateway
COPY web ./web
RUN /opt/aduan/bin/pip install .

FROM python:3.11-slim
ENV PATH=/opt/aduan/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/metrics
RUN useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin aduan \
    && mkdir -p /tmp/metrics \
    && chown aduan:aduan /tmp/metrics
COPY --from=build /opt/aduan /opt/aduan
# An empty working directory: the code runs from /opt/aduan, not from a source tree.
WORKDIR /app
USER aduan:aduan
# 8080: the gateway (the HTTP services use 8081-8084); 9100: a worker's metrics port, and the
# gateway's internal listener (/metrics, readiness details: ADUAN_INTERNAL_PORT), never public.
EXPOSE 8080 9100
CMD ["gunicorn", "-c", "python:aduan.infra.gunicorn_conf", "-b", "0.0.0.0:8080", "-b", "0.0.0.0:9100", \
     "--name", "aduan-gateway", "gateway.app:create_app()"]
