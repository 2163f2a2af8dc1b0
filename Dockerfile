# syntax=docker/dockerfile:1
# Multi-stage build: compile with the full toolchain, run on a slim image as a non-root user.
#
# Redis: dossier acknowledges a message only once Redis has it, so Redis must keep it. Run Redis
# with an append-only file (`appendonly yes`, `appendfsync everysec` loses at most about a second
# on a machine crash, `always` nothing); without one a Redis restart loses every acknowledged
# message since the last snapshot. `serve` reads these settings at start and warns, or refuses
# to start with `DOSSIER_REDIS__REQUIRE_AOF=true`. compose.yaml runs Redis that way.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# gcc/make for crates with C parts (aws-lc-sys builds without cmake).
RUN apt-get update && apt-get install -y --no-install-recommends gcc g++ make pkg-config \
    && rm -rf /var/lib/apt/lists/*
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
COPY src ./src
COPY build.rs ./
# Prompts, draft replies and the panel are compiled into the binary (build.rs); an operator may
# override any of them at run time with `templates_dir` (see README).
COPY templates ./templates
COPY config ./config
COPY data ./data
COPY examples ./examples
COPY tests ./tests
RUN cargo build --release --locked --bin dossier

FROM debian:bookworm-slim AS runtime
# ca-certificates: TLS to the Graph API, Slack and LLM vendors. tzdata: local business hours.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin dossier
WORKDIR /app
COPY --from=build /src/target/release/dossier /usr/local/bin/dossier
COPY --chown=dossier:dossier config ./config
COPY --chown=dossier:dossier data ./data
USER dossier
ENV DOSSIER_SERVER__LISTEN=0.0.0.0:8080 \
    DOSSIER_LOG_FORMAT=json
EXPOSE 8080
# bash (not dash) for /dev/tcp: the slim image has no curl.
HEALTHCHECK --interval=30s --timeout=3s CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q ok <&3"]
ENTRYPOINT ["dossier"]
CMD ["serve"]
