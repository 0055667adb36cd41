# syntax=docker/dockerfile:1
# FastNPC: one image for every role. `docker run IMAGE serve | worker | migrate | create …`.
# Build: docker build -t fastnpc .     Run alone (SQLite in the /data volume):
#   docker run -p 8000:8000 -v fastnpc-data:/data fastnpc

# 1. Build: compilers and dev dependencies live only in this stage.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Native modules (better-sqlite3, sharp, argon2) ship prebuilt binaries for linux-x64/arm64;
# the toolchain is the fallback for other platforms.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY tools ./tools
COPY web ./web
# Server to dist/src, web app to dist/web with .br/.gz beside each asset; then drop dev dependencies.
RUN npm run build && npm prune --omit=dev && rm -f dist/web/assets/*.map

# 2. Run: Node and the production dependencies only, as an unprivileged user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    FASTNPC_HOST=0.0.0.0 \
    FASTNPC_PORT=8000 \
    FASTNPC_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The data folder (SQLite, avatars, a generated secret) belongs to the `node` user (uid 1000).
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 8000
# `serve` answers /healthz; the worker and migrate roles override or disable this in compose.yaml.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.FASTNPC_PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM reaches node directly (exec form): open streams drain for FASTNPC_SHUTDOWN_GRACE_MS.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve"]
