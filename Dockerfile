FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY mockserver ./mockserver
COPY fixtures ./fixtures
RUN pip install --no-cache-dir -e . && mkdir -p /data

# State lives in /data: mount a volume there to keep it across containers.
ENV STREAMKAP_MOCK_DB=/data/streamkap-mock.json \
    STREAMKAP_MOCK_FIXTURES=/app/fixtures
VOLUME ["/data"]
EXPOSE 8080
CMD ["streamkap-mock", "serve", "--host", "0.0.0.0"]
