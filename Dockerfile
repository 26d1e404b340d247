# Builds the leadstream binary into a small image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# `leadstream version` names the commit from the VCS stamp of the copied
# .git; --build-arg VERSION=v1.2.3 names a release instead.
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-X main.version=${VERSION}" -o /out/leadstream ./cmd/leadstream

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/leadstream /usr/local/bin/leadstream
VOLUME ["/var/lib/leadstream"]
ENV LEADSTREAM_DATA_DIR=/var/lib/leadstream LEADSTREAM_METRICS_ADDR=:9090
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/leadstream"]
