# Builds the leadstream binary into a small image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/leadstream ./cmd/leadstream

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/leadstream /usr/local/bin/leadstream
VOLUME ["/var/lib/leadstream"]
ENV LEADSTREAM_DATA_DIR=/var/lib/leadstream LEADSTREAM_METRICS_ADDR=:9090
EXPOSE 9090
ENTRYPOINT ["/usr/local/bin/leadstream"]
