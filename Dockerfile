# syntax=docker/dockerfile:1
# Kept in step with scripts/image-steps.sh, which does these steps without Docker in CI (no engine
# runs there): change an instruction here and mirror it there; that script fails until you do.

# Build stage: compile TypeScript and the native better-sqlite3 module.
FROM node:24-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts are skipped here because `prepare` would build before the sources are copied;
# better-sqlite3's native module is then built explicitly.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
RUN npm run build && npm prune --omit=dev

# Runtime stage: only what runs, as the unprivileged `node` user, with the database on a volume.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    DATABASE_PATH=/data/klaviyo-checkup.sqlite
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY manifest.yml manifest.socket-mode.yml ./
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The Slack bot. The scanner alone: docker run --rm IMAGE node bin/klaviyo-checkup.js scan https://your-store.example
CMD ["node", "dist/main.js"]

# The runtime with Chromium, for SCAN_RENDER=true and scan --render (docker build --target render .).
# Debian's headless shell, no browser download; still the unprivileged `node` user, so Chromium's
# sandbox stays on (the README says which seccomp setting lets it start under Docker).
FROM runtime AS render
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium-headless-shell \
 && rm -rf /var/lib/apt/lists/*
USER node
ENV SCAN_RENDER=true

# `docker build .` builds the last stage: the runtime without a browser.
FROM runtime
