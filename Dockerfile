# The Boitatá processor as a container: `docker build -t boitata-processor .`
# Configuration is by environment variables only (README "Configuration"); set at least DATABASE_URL (the
# database the edge writes to: without it the processor refuses to start, NODE_ENV=production), TRINO_URL
# (without it rows land in a DuckDB file under /data, a volume) and PII_HASH_KEY.
FROM node:22-bookworm-slim

ENV NODE_ENV=production \
    BOITATA_DATA_DIR=/data \
    PROCESSOR_HTTP_HOST=0.0.0.0 \
    PROCESSOR_HTTP_PORT=9464

WORKDIR /app
COPY package.json package-lock.json ./
# Runtime dependencies only (no wrangler, workerd, vitest, browsers).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# TypeScript runs as it is (Node >= 22.18 strips the types): no build step. The processor and the operator CLI
# (`docker exec … node bin/boitata.js`), with the database bootstrap they share; no dev/ code (the local stack).
# test/docs/container-contents.test.ts checks that what they import is all copied here.
COPY bin ./bin
COPY scripts/require-node.js ./scripts/require-node.js
COPY cli ./cli
COPY database ./database
COPY migrations ./migrations
COPY processor ./processor
COPY shared ./shared

RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node

# /health, /metrics and the status page (/status).
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:' + process.env.PROCESSOR_HTTP_PORT + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"

# SIGTERM (docker stop, Kubernetes): the batch in hand finishes within PROCESSOR_SHUTDOWN_GRACE_SECONDS
# (default 25 s) or goes back to the queue; give the container a stop timeout above that (docker stop -t 30).
STOPSIGNAL SIGTERM
# A bounded heap: V8 collects before it grows past 512 MB instead of taking a quarter of the host. Every batch is
# bounded (PROCESSOR_BATCH_MAX_ROWS / _BYTES, 10,000 rows written at a time), so this leaves room to spare.
ENV NODE_OPTIONS=--max-old-space-size=512
CMD ["node", "processor/main.ts"]
