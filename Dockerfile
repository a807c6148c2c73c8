# msgsim in a container, for sweeps on Kubernetes or any container engine (docs/scale-out.md).
# Build:  docker build -t msgsim:0.1.0 .      (BuildKit; `docker buildx build` on older engines)
# Run:    docker run --rm msgsim:0.1.0 run /scenarios/echo/echo-smallest.ron
#
# Stage 1 builds the release binary with the toolchain the workspace asks for (rust-version 1.95);
# the cache mounts keep the registry and target/ between builds on the same builder.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin msgsim \
 && cp target/release/msgsim /usr/local/bin/msgsim

# Stage 2: the binary (dynamically linked against glibc only) and the shipped scenarios, on a
# small Debian base that has /bin/sh for the job recipes' `sh -c` commands. No Rust toolchain.
FROM debian:bookworm-slim
COPY --from=build /usr/local/bin/msgsim /usr/local/bin/msgsim
COPY scenarios /scenarios
# Not root: the results volume must be writable by this uid (fsGroup in the Kubernetes recipe).
USER 65532:65532
WORKDIR /tmp
ENTRYPOINT ["msgsim"]
CMD ["--help"]
