# One image for web, worker and beat. Front-end assets are fetched from the npm
# registry and collected at build time, so the running container needs no network.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system scrm && useradd --system --gid scrm --home /app scrm
WORKDIR /app

COPY requirements/ requirements/
RUN pip install -r requirements/base.txt

COPY package.json package-lock.json ./
COPY scripts/ scripts/
RUN python scripts/fetch_frontend.py

COPY . .
RUN python scripts/compile_messages.py \
    && SCRM_ENV=production SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost \
       DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
       PII_ENCRYPTION_KEYS=build:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= PII_BLIND_INDEX_KEY=build \
       AUDIT_CHAIN_KEYS=build:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= AUDIT_SIGNING_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
       python manage.py collectstatic --noinput \
    && chown -R scrm:scrm /app

USER scrm
ENV SCRM_ENV=production
EXPOSE 8000
CMD ["gunicorn", "scrm.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
