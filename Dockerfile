# Builds the credence CLI and runs it on Debian 12 with its librdkafka (2.0.2 talks to Apache Kafka).
ARG SWIFT_IMAGE=swift:6.1-bookworm
FROM ${SWIFT_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends librdkafka-dev libsqlite3-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY Schemas ./Schemas
RUN swift build -c release --product credence --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/credence" /credence

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends librdkafka1 libsqlite3-0 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /credence /usr/local/bin/credence
VOLUME /data
ENTRYPOINT ["/usr/local/bin/credence"]
CMD ["run", "--data-dir", "/data"]
