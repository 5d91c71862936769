# Slim, non-root image for the API and the worker (same image, different command).
# Installs exactly what uv.lock pins: `uv sync --locked` refuses a lock that does not match
# pyproject.toml, and nothing is resolved afresh at build time.
FROM python:3.11-slim AS build
# The uv release uv.lock pins (tests/test_deployment.py checks they agree).
ARG UV_VERSION=0.13.9
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PROJECT_ENVIRONMENT=/opt/kopdes UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_NO_CACHE=1
RUN pip install "uv==${UV_VERSION}"
WORKDIR /src
# Dependencies first, in their own layer: it is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
COPY README.md ./
COPY api ./api
COPY worker ./worker
COPY shared ./shared
COPY cli ./cli
RUN uv sync --locked --no-dev --no-editable

FROM python:3.11-slim
ENV PATH=/opt/kopdes/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
RUN useradd --system --uid 10001 --home-dir /srv/kopdes --create-home kopdes \
    && mkdir -p /srv/kopdes && chown -R kopdes /srv/kopdes
COPY --from=build /opt/kopdes /opt/kopdes
USER kopdes
WORKDIR /srv/kopdes
EXPOSE 8000
CMD ["kopdes", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-migrate"]
