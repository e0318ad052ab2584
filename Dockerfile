# The frappyauth demo under gunicorn, as a non-root user.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY setup.py README.md ./
COPY frappyauth ./frappyauth
COPY stores ./stores
COPY frappyauth_demo ./frappyauth_demo
RUN pip install --no-cache-dir '.[mongo,serve]' \
    && useradd --system --uid 10001 --no-create-home frappyauth
USER frappyauth

EXPOSE 5000
CMD ["gunicorn", "--bind", "0.0.0.0:5000", "--workers", "2", "--access-logfile", "-", "frappyauth_demo:create_app()"]
