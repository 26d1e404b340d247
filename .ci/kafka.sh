#!/usr/bin/env bash
# .ci/kafka.sh - run a real single-node Apache Kafka 4.x broker (KRaft,
# combined broker+controller) on loopback, for integration tests.
#
# No Docker and no Kafka tarball: the broker jars are resolved from Maven
# Central with `mvn` and cached under $LEADSTREAM_CACHE.
#
# Usage:
#   bash .ci/kafka.sh start   # fetch jars if needed, format, start, wait;
#                             # last stdout line is the bootstrap address
#   bash .ci/kafka.sh stop    # SIGTERM (then SIGKILL), remove the data dir
#   bash .ci/kafka.sh fetch   # only fetch jars into the cache
#   bash .ci/kafka.sh status  # exit 0 if running (prints the address)
#
# Environment:
#   KAFKA_VERSION     Kafka version (Maven artifact version), default 4.3.1 (4.1.1 and 4.4.0 also verified)
#   KAFKA_PORT        PLAINTEXT listener port, default 19092; controller uses +1
#   LEADSTREAM_CACHE  jar cache root, default $HOME/.cache/leadstream
#                     (jars end up in $LEADSTREAM_CACHE/kafka-$KAFKA_VERSION/libs)
#   KAFKA_WORK        data/logs/pid dir, default /tmp/leadstream-kafka-$KAFKA_PORT
#   KAFKA_HEAP_OPTS   JVM heap flags, default "-Xms256m -Xmx768m"
#   KAFKA_START_TIMEOUT  seconds to wait for readiness, default 120
#   KAFKA_EXTRA_CONFIG   extra server.properties lines appended verbatim
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
CONTROLLER_PORT="$((KAFKA_PORT + 1))"
LEADSTREAM_CACHE="${LEADSTREAM_CACHE:-${HOME:-/root}/.cache/leadstream}"
KAFKA_WORK="${KAFKA_WORK:-/tmp/leadstream-kafka-${KAFKA_PORT}}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
KAFKA_EXTRA_CONFIG="${KAFKA_EXTRA_CONFIG:-}"

HOST=127.0.0.1
ADDR="${HOST}:${KAFKA_PORT}"
KAFKA_HOME="${LEADSTREAM_CACHE}/kafka-${KAFKA_VERSION}"
LIBS="${KAFKA_HOME}/libs"
PID_FILE="${KAFKA_WORK}/broker.pid"
LOG_FILE="${KAFKA_WORK}/broker.log"
DATA_DIR="${KAFKA_WORK}/data"
CONFIG_FILE="${KAFKA_WORK}/server.properties"
LOG4J_FILE="${KAFKA_WORK}/log4j2.properties"

log() { echo "kafka.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Print the tail of the broker log to stderr (for failure diagnostics).
dump_log() {
  if [[ -f "$LOG_FILE" ]]; then
    log "---- last 60 lines of $LOG_FILE ----"
    tail -n 60 "$LOG_FILE" >&2 || true
    log "---- end of broker log ----"
  fi
}

# ---------------------------------------------------------------------------
# fetch: resolve the broker's runtime classpath from Maven Central.
# ---------------------------------------------------------------------------

# Writes a throwaway pom whose runtime dependencies equal what a broker needs:
#  - kafka_2.13: the broker (kafka.Kafka, kafka.tools.StorageTool) and,
#    transitively, kafka-server/-storage/-raft/-metadata/coordinators,
#    scala, log4j-api/-core, slf4j-api 1.7.
#  - kafka-tools: TopicCommand, ConsoleProducer, ... (handy for debugging).
#    Its connect-runtime dependency (Jetty, Jersey, ...) is excluded: the
#    command-line tools do not need it and it triples the download.
#  - log4j-slf4j-impl is NOT listed here: the broker logs through slf4j 1.7,
#    and the binding must match the log4j-core version Kafka pulls in, so
#    it is copied in a second step (see fetch_jars).
write_pom() {
  cat >"$1/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>leadstream.ci</groupId>
  <artifactId>kafka-broker-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>${KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>${KAFKA_VERSION}</version>
      <exclusions>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion>
        <exclusion><groupId>com.fasterxml.jackson.jakarta.rs</groupId><artifactId>*</artifactId></exclusion>
      </exclusions>
    </dependency>
  </dependencies>
</project>
EOF
}

fetch_jars() {
  if [[ -f "${LIBS}/kafka_2.13-${KAFKA_VERSION}.jar" ]]; then
    log "jars cached in ${LIBS}"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found on PATH"
  mkdir -p "$LEADSTREAM_CACHE"

  # Fetch into a private temp dir next to the cache and rename it into place
  # at the end, so an interrupted fetch never leaves a half-filled cache.
  local tmp
  tmp="$(mktemp -d "${LEADSTREAM_CACHE}/.kafka-${KAFKA_VERSION}.tmp.XXXXXX")"
  # shellcheck disable=SC2064 # expand $tmp now, on purpose
  trap "rm -rf '$tmp'" EXIT

  log "fetching Kafka ${KAFKA_VERSION} jars with Maven (first run only)..."
  write_pom "$tmp"
  local mvn_log="$tmp/mvn.log"
  if ! mvn -B -q -f "$tmp/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp/libs" >"$mvn_log" 2>&1; then
    tail -n 40 "$mvn_log" >&2
    die "mvn could not resolve org.apache.kafka:kafka_2.13:${KAFKA_VERSION}"
  fi

  # Add the slf4j-1.x -> log4j2 binding at the same version as log4j-core.
  local core log4j_version
  core="$(find "$tmp/libs" -maxdepth 1 -name 'log4j-core-*.jar' -printf '%f\n' | head -n 1)"
  [[ -n "$core" ]] || die "log4j-core not among Kafka's runtime dependencies"
  log4j_version="${core#log4j-core-}"
  log4j_version="${log4j_version%.jar}"
  if ! mvn -B -q -f "$tmp/pom.xml" dependency:copy \
      -Dartifact="org.apache.logging.log4j:log4j-slf4j-impl:${log4j_version}" \
      -DoutputDirectory="$tmp/libs" >"$mvn_log" 2>&1; then
    tail -n 40 "$mvn_log" >&2
    die "mvn could not fetch log4j-slf4j-impl:${log4j_version}"
  fi

  [[ -f "$tmp/libs/kafka_2.13-${KAFKA_VERSION}.jar" ]] || die "kafka_2.13 jar missing after fetch"
  rm -f "$mvn_log" "$tmp/pom.xml"

  # Atomic publish. If another fetch won the race, keep its copy.
  if ! mv -T "$tmp" "$KAFKA_HOME" 2>/dev/null; then
    [[ -f "${LIBS}/kafka_2.13-${KAFKA_VERSION}.jar" ]] || die "could not move jars into ${KAFKA_HOME}"
  fi
  rm -rf "$tmp"
  trap - EXIT
  log "cached $(find "$LIBS" -name '*.jar' | wc -l) jars ($(du -sh "$LIBS" | cut -f1)) in ${LIBS}"
}

# ---------------------------------------------------------------------------
# start / stop
# ---------------------------------------------------------------------------

# True if the pid file names a live process.
is_running() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# True if something accepts TCP connections on $1.
port_open() {
  (exec 3<>"/dev/tcp/${HOST}/$1") 2>/dev/null
}

# Kafka cluster ids are 16 random bytes in URL-safe base64 without padding
# (what `kafka-storage.sh random-uuid` prints); no need to start a JVM for it.
# Like Kafka's own generator it never starts with "-", which the storage
# tool's argument parser would take for an option.
random_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* ]] && break
  done
  printf '%s' "$id"
}

write_config() {
  cat >"$CONFIG_FILE" <<EOF
# Generated by .ci/kafka.sh: single-node KRaft (combined mode), loopback only.
process.roles=broker,controller
node.id=1
# Static quorum of one voter: the simplest KRaft setup that works on every 4.x.
controller.quorum.voters=1@${HOST}:${CONTROLLER_PORT}
listeners=PLAINTEXT://${HOST}:${KAFKA_PORT},CONTROLLER://${HOST}:${CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://${HOST}:${KAFKA_PORT}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${DATA_DIR}

num.partitions=3
auto.create.topics.enable=true
# Single node: every internal topic has one replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer internal partitions than the production default of 50: creating and
# loading them is most of the first group/transaction latency on 2 cores.
offsets.topic.num.partitions=5
transaction.state.log.num.partitions=5
group.initial.rebalance.delay.ms=0

# KIP-848 ("consumer") group protocol is on by default in 4.x; make its
# heartbeat faster than the 5 s default so reassignments settle quickly in tests.
group.consumer.min.heartbeat.interval.ms=500
group.consumer.heartbeat.interval.ms=1000

# Keep disk and CPU use small.
num.network.threads=2
num.io.threads=4
log.retention.hours=1
log.segment.bytes=67108864
${KAFKA_EXTRA_CONFIG}
EOF
}

write_log4j() {
  # Kafka 4.x logs through log4j2; one file, INFO for Kafka, quiet noisy parts.
  cat >"$LOG4J_FILE" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.kafkalog.name = org.apache.kafka.storage.internals.log
logger.kafkalog.level = WARN
logger.unifiedlog.name = kafka.log
logger.unifiedlog.level = WARN
# Full config dumps (every client and the broker) are 100s of lines each.
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
EOF
}

JVM_OPTS=()
jvm_opts() {
  # shellcheck disable=SC2206 # heap opts are intentionally word-split
  JVM_OPTS=(
    ${KAFKA_HEAP_OPTS}
    -XX:+UseSerialGC            # 2 shared cores: no parallel GC threads
    -XX:TieredStopAtLevel=1     # C1 only: much less JIT CPU at startup
    -Xss512k
    -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$LOG4J_FILE"
    -Dkafka.logs.dir="$KAFKA_WORK"
  )
}

start() {
  if is_running; then
    log "already running (pid $(cat "$PID_FILE"))"
    echo "$ADDR"
    return 0
  fi
  command -v java >/dev/null || die "java not found on PATH"
  fetch_jars

  if port_open "$KAFKA_PORT" || port_open "$CONTROLLER_PORT"; then
    die "port ${KAFKA_PORT} or ${CONTROLLER_PORT} is already in use by another process"
  fi

  # Fresh state on every start (a stale pid file means a dead broker).
  rm -rf "$DATA_DIR" "$PID_FILE"
  mkdir -p "$KAFKA_WORK" "$DATA_DIR"
  : >"$LOG_FILE"
  write_config
  write_log4j
  jvm_opts

  local cluster_id t0
  t0=$SECONDS
  cluster_id="$(random_cluster_id)"
  log "formatting ${DATA_DIR} (cluster id ${cluster_id})"
  if ! java "${JVM_OPTS[@]}" -cp "${LIBS}/*" kafka.tools.StorageTool format \
      -t "$cluster_id" -c "$CONFIG_FILE" >>"$LOG_FILE" 2>&1; then
    dump_log
    die "storage format failed"
  fi

  log "starting Kafka ${KAFKA_VERSION} on ${ADDR} (log: ${LOG_FILE})"
  # setsid: own process group/session, so it survives the caller's shell
  # and its job control; nohup: ignore SIGHUP.
  setsid nohup java "${JVM_OPTS[@]}" -cp "${LIBS}/*" kafka.Kafka "$CONFIG_FILE" \
    >>"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"

  # Ready = the broker logged "Kafka Server started" (KafkaRaftServer logs it
  # after the broker is unfenced, i.e. it serves metadata/produce requests)
  # AND the listener accepts connections.
  local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  while :; do
    if ! is_running; then
      dump_log
      rm -f "$PID_FILE"
      die "broker exited during startup"
    fi
    if grep -q "Kafka Server started" "$LOG_FILE" && port_open "$KAFKA_PORT"; then
      break
    fi
    if ((SECONDS >= deadline)); then
      dump_log
      stop >/dev/null 2>&1 || true
      die "broker not ready after ${KAFKA_START_TIMEOUT}s"
    fi
    sleep 0.5
  done
  log "ready in $((SECONDS - t0))s (pid $(cat "$PID_FILE"))"
  echo "$ADDR"
}

stop() {
  if [[ -f "$PID_FILE" ]]; then
    local pid
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
      log "stopping broker (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      local i
      for ((i = 0; i < 60; i++)); do # up to 30 s for a clean shutdown
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
      done
      if kill -0 "$pid" 2>/dev/null; then
        log "broker did not stop in 30s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
      fi
    fi
  else
    log "not running (no pid file)"
  fi
  rm -rf "$DATA_DIR" "$PID_FILE"
}

status() {
  if is_running && port_open "$KAFKA_PORT"; then
    echo "$ADDR"
  else
    log "not running"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  fetch) fetch_jars ;;
  status) status ;;
  *)
    echo "usage: $0 {start|stop|fetch|status}" >&2
    exit 2
    ;;
esac
