# The frappyauth demo under gunicorn, as a non-root user.
FROM python:3.12-slim

# One worker by default: without MONGODB_URI each worker would hold its own memory store, and a session made
# on one would be unknown to the other. With MongoDB, raise it (docker-compose.yml does).
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 WEB_CONCURRENCY=1
WORKDIR /app
COPY setup.py pyproject.toml README.md LICENSE ./
COPY frappyauth ./frappyauth
COPY stores ./stores
COPY frappyauth_demo ./frappyauth_demo
RUN pip install --no-cache-dir '.[mongo,serve,mail,mfa]' \
    && useradd --system --uid 10001 --no-create-home frappyauth
USER frappyauth

EXPOSE 5000
CMD ["gunicorn", "--bind", "0.0.0.0:5000", "--access-logfile", "-", "frappyauth_demo:create_app()"]
