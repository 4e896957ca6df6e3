# hongbao: build with the whole toolchain, run with production dependencies only.
#   docker build -t hongbao .
#   docker run -p 8080:8080 -v hongbao-data:/data hongbao
# The same steps, without Docker: bash scripts/runtime-folder.sh (checked by the tests).
ARG NODE_VERSION=24

# Compiles TypeScript and builds the web app. better-sqlite3 builds from source when no prebuilt binary can be fetched.
FROM node:${NODE_VERSION}-bookworm-slim AS build
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
COPY web ./web
RUN npx tsc -b && npm run build:web

# Production dependencies only, built for the runtime's Node and C library.
FROM node:${NODE_VERSION}-bookworm-slim AS dependencies
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# No compiler, no dev dependencies, no sources: the compiled server, the built web app and what they load.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HONGBAO_HOST=0.0.0.0 \
    HONGBAO_PORT=8080 \
    HONGBAO_DB=/data/hongbao.db
WORKDIR /app
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/web ./dist/web
COPY package.json LICENSE ./
COPY config ./config
# The data folder keeps the database, its WAL, the token key, the evidence key and the admin
# token: a volume, owned by the unprivileged user the server runs as.
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.HONGBAO_PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node is PID 1 and handles SIGTERM itself: it stops taking requests, drains them (10 s at
# most), commits the last batch and exits 0. Give it longer than that (docker stop -t 30).
STOPSIGNAL SIGTERM
CMD ["node", "--max-semi-space-size=64", "dist/src/cli/main.js", "serve"]
