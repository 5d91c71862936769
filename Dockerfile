# Slim, non-root image for the API and the worker (same image, different command).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY api ./api
COPY worker ./worker
COPY shared ./shared
COPY cli ./cli
RUN python -m venv /opt/kopdes && /opt/kopdes/bin/pip install .

FROM python:3.11-slim
ENV PATH=/opt/kopdes/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
RUN useradd --system --uid 10001 --home-dir /srv/kopdes --create-home kopdes \
    && mkdir -p /srv/kopdes/uploads && chown -R kopdes /srv/kopdes
COPY --from=build /opt/kopdes /opt/kopdes
USER kopdes
WORKDIR /srv/kopdes
EXPOSE 8000
CMD ["kopdes", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-migrate"]
