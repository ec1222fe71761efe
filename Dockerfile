# kvd in a container: debian:bookworm, multi-stage. NOT built by the tests in this repository
# (see README.md, "Install as a service"). Build and run:
#   docker build -t kvd .
#   docker run -d -p 6379:6379 -p 8080:8080 -v kvd-data:/var/lib/kvd kvd

# ---- build: the project's own bootstrap (Debian packages) and build scripts ----------------
FROM debian:bookworm AS build
WORKDIR /src
COPY . .
# bootstrap runs as root here (no sudo needed); it also installs the test tools.
RUN tools/bootstrap \
 && rm -rf build \
 && tools/build build Release \
 && DESTDIR=/out cmake --install build --prefix /usr --strip

# ---- runtime: only the shared libraries kvd-server and kvd-cli link --------------------------
FROM debian:bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libboost-json1.81.0 libboost-program-options1.81.0 libspdlog1.10 libfmt9 \
      libjemalloc2 libedit2 libsystemd0 libssl3 liblzf1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system kvd \
 && useradd --system --gid kvd --home-dir /var/lib/kvd --no-create-home --shell /usr/sbin/nologin kvd \
 && mkdir -p /var/lib/kvd \
 && chown kvd:kvd /var/lib/kvd
COPY --from=build /out/usr/bin/kvd-server /out/usr/bin/kvd-cli /usr/bin/
COPY --from=build /out/etc/kvd/kvd.conf /etc/kvd/kvd.conf
USER kvd
WORKDIR /var/lib/kvd
# `dir`: the AOF lives here.
VOLUME ["/var/lib/kvd"]
EXPOSE 6379 8080
# Listen on every container address; the container network is the boundary, so protected
# mode (loopback-only without a password) is off, as in the official Redis image. kvd has no
# password option yet: publish the ports only on a network you trust.
# The AOF is on so the volume keeps the data across restarts.
CMD ["kvd-server", "--config", "/etc/kvd/kvd.conf", "--dir", "/var/lib/kvd", \
     "--bind", "0.0.0.0", "--http-bind", "0.0.0.0", "--protected-mode", "no", "--appendonly", "yes"]
