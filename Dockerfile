# The controller image: `modelmesh-serving run` on a slim Node LTS base: the bundle (decision 0204) and the
# production dependencies it leaves external.
#
#   docker build --build-arg BASE_IMAGE_TAG="$(cat BASE_IMAGE_TAG)" \
#     --build-arg IMAGE_VERSION=v0.1.0 --build-arg COMMIT_SHA="$(git rev-parse HEAD)" -t modelmesh-serving .
#
# DEV_IMAGE (optional) builds in the toolchain image of Dockerfile.develop instead of the plain Node base.
ARG BASE_IMAGE_TAG=24-trixie-slim
ARG DEV_IMAGE=node:${BASE_IMAGE_TAG}

FROM ${DEV_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# npm ci runs the package's prepare script, which generates the protobuf code from proto/.
COPY proto ./proto
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/bundle.ts ./scripts/
COPY src ./src
RUN npm run build

FROM node:${BASE_IMAGE_TAG} AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts stay off: no production dependency needs an install step, and none should run one unseen.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:${BASE_IMAGE_TAG}
ARG IMAGE_VERSION=dev
ARG COMMIT_SHA=unknown
LABEL org.opencontainers.image.title="modelmesh-serving" \
      org.opencontainers.image.description="Kubernetes controller that serves many ML models on a few pods by driving ModelMesh" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${IMAGE_VERSION}" \
      org.opencontainers.image.revision="${COMMIT_SHA}"
# `modelmesh-serving version` reports these two.
ENV NODE_ENV=production \
    MODELMESH_SERVING_VERSION=${IMAGE_VERSION} \
    MODELMESH_SERVING_COMMIT=${COMMIT_SHA}
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /src/dist/modelmesh-serving.mjs /src/dist/modelmesh-serving.mjs.map ./dist/
COPY package.json ./
COPY crds ./crds
# The numeric id of the base image's unprivileged `node` user, so that runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080 8081 9443
# Exec form: node is PID 1 and receives SIGTERM itself, which lets the controller drain its work queues.
ENTRYPOINT ["node", "--optimize-for-size", "/app/dist/modelmesh-serving.mjs"]
CMD ["run"]
