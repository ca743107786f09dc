# syntax=docker/dockerfile:1
# One image for every Parley component. tsx runs the TypeScript sources directly, so there is no
# compile step and dev dependencies (tsx) stay in the image.
#   docker build --build-arg SERVICE=leads -t parley-leads .
# or build once and pick the component with the container command:
#   node --import tsx services/<name>/src/main.ts  |  node --import tsx tools/simulator/src/main.ts

FROM node:20-bookworm-slim AS deps
WORKDIR /app
ENV CI=true
# The root postinstall generates the Prisma clients from services/*/prisma, so the whole source
# tree (minus .dockerignore) has to be present when `npm ci` runs.
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ARG SERVICE=gateway
# Services bind to 127.0.0.1 by default (local dev); containers must listen on all interfaces.
ENV NODE_ENV=production \
    SERVICE=${SERVICE} \
    HTTP_HOST=0.0.0.0 \
    GRPC_HOST=0.0.0.0 \
    SIMULATOR_HOST=0.0.0.0
WORKDIR /app
# Root-owned and read-only for the runtime user; tsx only writes its cache under /tmp.
COPY --from=deps /app /app
COPY deploy/docker/start.sh /usr/local/bin/parley-start
RUN chmod 0755 /usr/local/bin/parley-start
# uid 1000 is the `node` user of the base image; numeric so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8080 8090 9101 9102 9103 9104 9105 50051 50052 50053 50054 50055
CMD ["/usr/local/bin/parley-start"]
