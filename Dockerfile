# The toshin image: worker, CLI (starter.py) and the desk. Used by docker-compose.yml.
FROM python:3.11-slim-bookworm

# PDF documents: Japanese fonts (IPAex), Pango and HarfBuzz-subset for WeasyPrint
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      fonts-ipaexfont-mincho fonts-ipaexfont-gothic \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .

ENV PYTHONUNBUFFERED=1 \
    TOSHIN_DATA_DIR=/data
RUN useradd --create-home toshin && mkdir -p /data && chown toshin /data
USER toshin
CMD ["python", "worker.py"]
