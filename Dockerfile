# wspub's publisher service: `wspub watch` over a directory of workspaces, as the reference
# design's sync container, for docker-compose.rclone.yml (service "publisher").
#
#   docker build -t wspub .
#   docker run --rm -v "$PWD/workspaces:/workspaces:ro" -e WSPUB_TARGET=s3://workspaces \
#     -e AWS_ENDPOINT_URL=http://minio:9000 -e AWS_ACCESS_KEY_ID=... -e AWS_SECRET_ACCESS_KEY=... wspub
#
# No Docker engine runs where this file is written: test/unit/dockerfile.test.ts checks its
# instructions and runs its ENTRYPOINT + CMD from the same file layout the image has.

FROM node:24-slim AS build
WORKDIR /src
COPY . .
# `npm ci` runs `prepare`: tsc, then the CLI bundle in lib/bundle/ (every dependency inside it).
RUN npm ci --no-audit --no-fund

FROM node:24-slim
# git reads the repositories; git-lfs fetches Git LFS content a clone lacks; ca-certificates for
# an https:// endpoint.
RUN apt-get update \
  && apt-get install -y --no-install-recommends git git-lfs ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  # The workspaces are mounted from the host, owned by another user: trust them (read-only anyway).
  && git config --system --add safe.directory '*'
WORKDIR /opt/wspub
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/bin ./bin
COPY --from=build /src/lib/bundle ./lib/bundle
ENV NODE_ENV=production
# Small young-generation spaces: over 1,000 publishes the service's resident memory stays at ~145 MiB
# instead of ~260 MiB, as fast (npm run bench:watch -- --soak 1000; bench/README.md). No heap cap:
# a first publish of a very large workspace needs more.
ENV NODE_OPTIONS=--max-semi-space-size=2
USER node
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/opt/wspub/bin/wspub.js"]
CMD ["watch", "/workspaces", "--listen", ":9464"]
