# syntax=docker/dockerfile:1
# taskjet image: one program, any set of roles (`start --roles …`, `migrate`).
# Base images are pinned to an exact Node release; bump both FROM lines together.

FROM node:20.19.5-bookworm-slim AS build
# better-sqlite3 compiles its native addon when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first, so a source change reuses this layer. --ignore-scripts skips
# the root `prepare` (no sources yet); `npm rebuild` then runs the dependencies'
# own install scripts (better-sqlite3's native build).
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts && npm rebuild
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20.19.5-bookworm-slim
# nats-server (Debian's) only serves the embedded mode: `docker run` with no
# NATS_URL starts it as a child under /data. compose points NATS_URL at its own
# pinned nats service instead.
RUN apt-get update \
 && apt-get install -y --no-install-recommends nats-server \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    DATA_DIR=/data \
    PORT=8080
WORKDIR /app
# Code stays owned by root: the app user can read it but not change it.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# Migrations and the browser app are read from src/ at run time (package.json "files").
COPY --from=build /app/src ./src
# The database, JetStream store (embedded mode) and generated secrets (JWT_SECRET,
# VAPID keys) live in DATA_DIR: every taskjet container of a deployment mounts the same volume.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 8080
# No curl in slim images: ask /health with Node's own fetch.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/taskjet.js"]
CMD ["start"]
