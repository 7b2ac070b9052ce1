# policyforge service image: `policyforge serve` (API + workers) on Node 22, as a non-root user.
# Build: docker build -t policyforge .   Run: see docker-compose.yml and the README's "Docker" section.

# --- build: native modules (isolated-vm, better-sqlite3) and the TypeScript build -----------------------
FROM node:22-bookworm-slim AS build
WORKDIR /app
# Compilers only for the case where no prebuilt binary of a native module matches this platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts \
 && npm rebuild isolated-vm better-sqlite3 msgpackr-extract
COPY . .
RUN npm run build \
 && npm prune --omit=dev \
 && rm -rf test bench .ci

# --- runtime --------------------------------------------------------------------------------------------
FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    POLICYFORGE_HOME=/home/node/.policyforge
WORKDIR /app
# Sources stay next to dist/: prompts, built-in skills and the review page are read from the source tree.
COPY --from=build --chown=root:root /app /app
USER node
RUN mkdir -p /home/node/.policyforge
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# --no-node-snapshot here (isolated-vm needs it) so the CLI does not re-execute itself and SIGTERM from
# `docker stop` reaches the service directly: running jobs finish or are handed back to the queue.
ENTRYPOINT ["node", "--no-node-snapshot", "bin/policyforge.js"]
CMD ["serve"]
