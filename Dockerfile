# The clerk-mcp container image: nothing but the binary, the shared libraries it links (glibc, libgcc_s),
# the CA bundle for TLS to api.clerk.com, and a nonroot user. No shell, no package manager.
#
# Build it with scripts/image, which stages the build context (rootfs/ below) from a host-built binary
# and runs `buildah bud`: `scripts/image --tag clerk-mcp:dev` (release build), `--binary PATH` to package
# a given binary, `--save FILE` for an OCI archive, `--context DIR` to stage only (then
# `docker build -f Dockerfile DIR` works too). A plain `docker build .` in the repository does not:
# there is no rootfs/ here.
#
# Run: docker run -p 8787:8787 clerk-mcp:dev   (public mode: each request brings X-Clerk-Secret-Key)
# Hosted mode: -e CLERK_SECRET_KEY=sk_... -e MCP_AUTH_TOKEN=$(openssl rand -hex 32); on 0.0.0.0 the
# server refuses to start with a key and no access token. Clients reaching it under another name than
# localhost need -e MCP_ALLOWED_HOSTS=mcp.example.com (the Host check against DNS rebinding).
FROM scratch

ARG VERSION=unknown
ARG REVISION=unknown
ARG CREATED=unknown

LABEL org.opencontainers.image.title="clerk-mcp" \
      org.opencontainers.image.description="Model Context Protocol server for the Clerk Backend API (streamable HTTP on /mcp, /api/health)" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}"

# /clerk-mcp, /lib/x86_64-linux-gnu/*.so.*, /lib64/ld-linux-x86-64.so.2, /etc/{passwd,group,hosts,
# nsswitch.conf}, /etc/ssl/certs/ca-certificates.crt and /tmp (1777).
COPY rootfs/ /
# The home directory of `nonroot` (the working directory), the only place besides /tmp it may write to.
COPY --chown=65532:65532 home-nonroot/ /home/nonroot/

USER 65532:65532
WORKDIR /home/nonroot

# Listen on every interface of the container; the Host check admits the loopback names, so
# `docker run -p 8787:8787` answers on localhost out of the box. SSL_CERT_FILE pins the CA bundle
# (rustls-native-certs would find it at this Debian path anyway).
ENV HOST=0.0.0.0 \
    PORT=8787 \
    MCP_ALLOWED_HOSTS=localhost,127.0.0.1 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt

EXPOSE 8787

ENTRYPOINT ["/clerk-mcp"]
