#!/usr/bin/env bash
# Liuhen "real stack" without Docker: PostgreSQL, Kafka (KRaft), Ceph RGW (two zones,
# multisite sync) and Keycloak, all on loopback, all state under one run folder.
#
#   stack.sh up [postgres|kafka|rgw|keycloak ...]   start (all four without arguments)
#   stack.sh down [component ...]                   stop (all without arguments)
#   stack.sh status                                 one line per component + memory
#   stack.sh env                                    export lines for the services
#   stack.sh ports                                  every port the stack listens on
#   stack.sh reset                                  down, then delete the run folder
#   stack.sh fresh-db                               drop and recreate the liuhen database
#
# Downloads come only from Debian's packages (apt) and Maven Central (mvn) and are kept
# in ${LIUHEN_STACK_CACHE:-$HOME/.cache/liuhen-stack}; runtime state (data, logs, pids)
# in ${LIUHEN_STACK_RUN:-$LIUHEN_STACK_CACHE/run}. See README.md beside this file.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"

CACHE="${LIUHEN_STACK_CACHE:-${HOME:-/root}/.cache/liuhen-stack}"
RUN="${LIUHEN_STACK_RUN:-$CACHE/run}"

# Ports: all below Linux's ephemeral range (32768-60999 by default), which the kernel
# hands out as the local port of outgoing connections; inside it, one of the many
# connections the tests open could hold a port a server is about to bind. The Ceph OSD
# binds in Ceph's own 6800-7568. `stack.sh ports` lists them; tests/unit checks them.
PG_PORT="${LIUHEN_STACK_PG_PORT:-25432}"
KAFKA_PORT="${LIUHEN_STACK_KAFKA_PORT:-29092}"
KAFKA_CONTROLLER_PORT="${LIUHEN_STACK_KAFKA_CONTROLLER_PORT:-29093}"
MON_PORT="${LIUHEN_STACK_MON_PORT:-26789}"
RGW_PRIMARY_PORT="${LIUHEN_STACK_RGW_PRIMARY_PORT:-27480}"
RGW_OFFSITE_PORT="${LIUHEN_STACK_RGW_OFFSITE_PORT:-27481}"
KC_PORT="${LIUHEN_STACK_KEYCLOAK_PORT:-28080}"
KC_MGMT_PORT="${LIUHEN_STACK_KEYCLOAK_MGMT_PORT:-28081}"

KAFKA_VERSION="${LIUHEN_STACK_KAFKA_VERSION:-4.1.1}"
KEYCLOAK_VERSION="${LIUHEN_STACK_KEYCLOAK_VERSION:-26.4.7}"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.6.1"
MEMSTORE_BYTES="${LIUHEN_STACK_MEMSTORE_BYTES:-1073741824}" # 1 GiB cap; RAM used grows with data
KAFKA_HEAP="${LIUHEN_STACK_KAFKA_HEAP:--Xms128m -Xmx512m}"
KC_HEAP="${LIUHEN_STACK_KEYCLOAK_HEAP:--Xms64m -Xmx768m}"
PYTHON="${LIUHEN_STACK_PYTHON:-python3}"
PG_OS_USER="${LIUHEN_STACK_PG_USER:-postgres}"

# readiness timeouts (seconds)
T_PG="${LIUHEN_STACK_TIMEOUT_PG:-60}"
T_KAFKA="${LIUHEN_STACK_TIMEOUT_KAFKA:-180}"
T_RGW="${LIUHEN_STACK_TIMEOUT_RGW:-240}"
T_KC="${LIUHEN_STACK_TIMEOUT_KEYCLOAK:-420}"

# credentials (fixed: a local test stack)
S3_SYSTEM_ACCESS=liuhen-sync
S3_SYSTEM_SECRET=liuhen-sync-secret-key
S3_APP_ACCESS=liuhen-app
S3_APP_SECRET=liuhen-app-secret-key
S3_ADMIN_ACCESS=liuhen-admin
S3_ADMIN_SECRET=liuhen-admin-secret-key

COMPONENTS=(postgres kafka rgw keycloak)

PG_DIR="$RUN/postgres"
PG_DATA="$PG_DIR/data"
KAFKA_HOME="$CACHE/kafka-$KAFKA_VERSION"
KAFKA_DIR="$RUN/kafka"
CEPH_DIR="$RUN/ceph"
CEPH_CONF="$CEPH_DIR/ceph.conf"
KC_ZIP="$CACHE/m2/org/keycloak/keycloak-quarkus-dist/$KEYCLOAK_VERSION/keycloak-quarkus-dist-$KEYCLOAK_VERSION.zip"
KC_DIR="$RUN/keycloak"
KC_HOME="$KC_DIR/keycloak-$KEYCLOAK_VERSION"

log() { printf '[stack %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- installs -----------

APT_UPDATED=0
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
ensure_apt() {
    local p missing=()
    for p in "$@"; do pkg_installed "$p" || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]} (run as root, or apt-get install them)"
    mkdir -p "$RUN"
    if [ "$APT_UPDATED" = 0 ]; then
        log "apt-get update"
        apt-get update -qq >"$RUN/apt.log" 2>&1 || { tail -40 "$RUN/apt.log" >&2; die "apt-get update failed"; }
        APT_UPDATED=1
    fi
    log "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        >>"$RUN/apt.log" 2>&1 || { tail -40 "$RUN/apt.log" >&2; die "apt-get install failed"; }
}

java_home() {
    if [ -n "${LIUHEN_STACK_JAVA_HOME:-}" ]; then echo "$LIUHEN_STACK_JAVA_HOME"; return; fi
    local j
    for j in /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/java-17-openjdk-* /usr/lib/jvm/java-21-openjdk-* \
        /usr/lib/jvm/temurin-25-jdk-amd64; do
        [ -x "$j/bin/java" ] && { echo "$j"; return; }
    done
    echo ""
}

ensure_java_maven() {
    local need=()
    [ -n "$(java_home)" ] || need+=(openjdk-17-jre-headless)
    command -v mvn >/dev/null 2>&1 || need+=(maven)
    [ ${#need[@]} -eq 0 ] || ensure_apt "${need[@]}"
    JAVA_HOME_STACK="$(java_home)"
    [ -n "$JAVA_HOME_STACK" ] || die "no Java 17+ found under /usr/lib/jvm"
}

mvn_cache() { # mvn with the local repository inside the cache folder
    JAVA_HOME="$JAVA_HOME_STACK" mvn -B -q -Dmaven.repo.local="$CACHE/m2" "$@"
}

fetch_kafka() {
    [ -f "$KAFKA_HOME/.complete" ] && return 0
    ensure_java_maven
    log "kafka: resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION from Maven Central"
    rm -rf "$KAFKA_HOME"
    mkdir -p "$KAFKA_HOME/pom"
    cp "$HERE/kafka/pom.xml" "$KAFKA_HOME/pom/pom.xml"
    (cd "$KAFKA_HOME/pom" && mvn_cache -Dkafka.version="$KAFKA_VERSION" \
        "$DEP_PLUGIN:copy-dependencies" -DincludeScope=runtime -DoutputDirectory="$KAFKA_HOME/libs") \
        >"$KAFKA_HOME/mvn.log" 2>&1 || { tail -40 "$KAFKA_HOME/mvn.log" >&2; die "kafka: maven resolution failed"; }
    ls "$KAFKA_HOME/libs"/kafka_2.13-*.jar >/dev/null 2>&1 || die "kafka: kafka_2.13 jar missing after resolution"
    touch "$KAFKA_HOME/.complete"
}

fetch_keycloak() {
    if [ ! -f "$KC_ZIP" ]; then
        ensure_java_maven
        log "keycloak: resolving org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip from Maven Central"
        mkdir -p "$CACHE"
        mvn_cache "$DEP_PLUGIN:get" -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:zip" \
            -Dtransitive=false >"$CACHE/keycloak-mvn.log" 2>&1 \
            || { tail -40 "$CACHE/keycloak-mvn.log" >&2; die "keycloak: maven resolution failed"; }
    fi
    if [ ! -f "$KC_HOME/.complete" ]; then
        command -v unzip >/dev/null 2>&1 || ensure_apt unzip
        log "keycloak: unpacking into $KC_HOME"
        rm -rf "$KC_HOME" "$KC_DIR/unpack.tmp"
        mkdir -p "$KC_DIR/unpack.tmp"
        unzip -q "$KC_ZIP" -d "$KC_DIR/unpack.tmp"
        mv "$KC_DIR/unpack.tmp/keycloak-$KEYCLOAK_VERSION" "$KC_HOME"
        rm -rf "$KC_DIR/unpack.tmp"
        touch "$KC_HOME/.complete"
    fi
}

# --------------------------------------------------------------- processes -----------

pidfile() { echo "$RUN/pids/$1.pid"; }

# A pid counts only if the process is alive and its command line names the run folder
# (so a stale pid file whose number was reused is not taken for ours).
pid_ours() {
    local pid=$1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$RUN"
}
is_alive() {
    local f; f="$(pidfile "$1")"
    [ -s "$f" ] && pid_ours "$(cat "$f")"
}
getpid() { local f; f="$(pidfile "$1")"; [ -s "$f" ] && cat "$f" || true; }

# launch NAME LOGFILE CMD... : run CMD in a new session (its own process group), so
# `down` can stop the whole group.
launch() {
    local name=$1 logf=$2; shift 2
    mkdir -p "$RUN/pids" "$(dirname "$logf")"
    [ -f "$logf" ] && mv -f "$logf" "$logf.prev"
    setsid "$@" </dev/null >"$logf" 2>&1 &
    echo $! >"$(pidfile "$name")"
}

stop_group() { # NAME [TIMEOUT]
    local name=$1 t=${2:-30} pid i
    pid="$(getpid "$name")"
    if [ -z "$pid" ] || ! pid_ours "$pid"; then rm -f "$(pidfile "$name")"; return 0; fi
    log "$name: stopping (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < t * 5; i++)); do
        kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null; then
        log "$name: still running after ${t}s, killing"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$(pidfile "$name")"
}

fail_with_log() { # NAME LOGFILE MESSAGE
    log "ERROR: $1: $3"
    if [ -f "$2" ]; then
        echo "---- last 40 lines of $2 ----" >&2
        tail -n 40 "$2" >&2
        echo "----" >&2
    fi
    exit 1
}

# poll PIDNAME TIMEOUT CMD... : poll CMD until it succeeds (0); 1 if the process PIDNAME
# died, 2 on timeout.
poll() {
    local pidname=$1 t=$2; shift 2
    local deadline=$((SECONDS + t))
    until "$@" >/dev/null 2>&1; do
        if [ "$pidname" != - ] && ! is_alive "$pidname"; then return 1; fi
        ((SECONDS < deadline)) || return 2
        sleep 1
    done
}

# wait_for NAME PIDNAME TIMEOUT LOGFILE CMD... : poll CMD until it succeeds; fail with
# the server's log tail on timeout, or at once if the process PIDNAME died.
wait_for() {
    local name=$1 pidname=$2 t=$3 logf=$4 rc=0; shift 4
    poll "$pidname" "$t" "$@" || rc=$?
    case $rc in
        0) ;;
        1) fail_with_log "$name" "$logf" "process exited during startup (waiting for: $*)" ;;
        *) fail_with_log "$name" "$logf" "not ready after ${t}s (waiting for: $*); a slow machine may need LIUHEN_STACK_TIMEOUT_* raised" ;;
    esac
}

tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_holder() { # PORT : "pid N (command)" of the process listening there, if ss can tell
    command -v ss >/dev/null 2>&1 || return 0
    ss -Htlnp "sport = :$1" 2>/dev/null | sed -nE 's/.*users:\(\("([^"]+)",pid=([0-9]+).*/pid \2 (\1)/p' | head -n 1
}
ports_free() { # NAME VARIABLE=PORT... : refuse to start over a port another process holds
    local name=$1 pair var p who; shift
    for pair in "$@"; do
        var=${pair%%=*} p=${pair#*=}
        if tcp_open "$p"; then
            who="$(port_holder "$p")"
            die "$name: 127.0.0.1:$p is already in use${who:+ by $who}, a process this run folder ($RUN) does not know; set $var to move it"
        fi
    done
    return 0
}
http_ok() { curl -fsS -o /dev/null --max-time 5 "$1"; }

# RSS in KiB of a process and all its descendants
tree_rss() {
    ps -eo pid=,ppid=,rss= | awk -v root="$1" '
        { parent[$1] = $2; rss[$1] = $3 }
        END {
            total = 0
            for (p in parent) {
                q = p
                while (q != "" && q != 0 && q != 1) { if (q == root) { total += rss[p]; break } q = parent[q] }
            }
            print total
        }'
}

# ---------------------------------------------------------------- postgres -----------

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$PG_OS_USER" -- "$@"; else "$@"; fi; }
pg_pid() { [ -s "$PG_DATA/postmaster.pid" ] && head -n 1 "$PG_DATA/postmaster.pid" || true; }
pg_alive() { local p; p="$(pg_pid)"; [ -n "$p" ] && pid_ours "$p"; }
pg_ready() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres; }

# PostgreSQL refuses to run as root: as root, run it as $PG_OS_USER and let that user
# reach the run folder (search permission on each parent folder that denies it).
pg_prepare_user() {
    [ "$(id -u)" = 0 ] || return 0
    id -u "$PG_OS_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OS_USER"
    local d dirs=() i
    d="$PG_DIR"
    while [ "$d" != / ]; do d="$(dirname "$d")"; dirs=("$d" "${dirs[@]}"); done
    for ((i = 0; i < ${#dirs[@]}; i++)); do
        d="${dirs[$i]}"
        runuser -u "$PG_OS_USER" -- test -x "$d" && continue
        command -v setfacl >/dev/null 2>&1 || ensure_apt acl
        if setfacl -m "u:$PG_OS_USER:x" "$d" 2>/dev/null; then
            log "postgres: granted $PG_OS_USER search (x) on $d (ACL)"
        else
            chmod o+x "$d"
            log "postgres: chmod o+x $d so that $PG_OS_USER can reach $PG_DIR"
        fi
    done
    chown "$PG_OS_USER:" "$PG_DIR"
}

pg_up() {
    local bin; bin="$(pg_bin)"
    [ -n "$bin" ] || die "postgres: no /usr/lib/postgresql/*/bin"
    mkdir -p "$PG_DIR"
    pg_prepare_user
    if pg_alive; then
        log "postgres: already running (pid $(pg_pid))"
    else
        if [ ! -s "$PG_DATA/PG_VERSION" ]; then
            log "postgres: initdb $PG_DATA"
            rm -rf "$PG_DATA"
            as_pg "$bin/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C.UTF-8 \
                --auth-local=trust --auth-host=scram-sha-256 >"$PG_DIR/initdb.log" 2>&1 \
                || fail_with_log postgres "$PG_DIR/initdb.log" "initdb failed"
        fi
        ports_free postgres LIUHEN_STACK_PG_PORT="$PG_PORT"
        rm -f "$PG_DATA/postmaster.pid" # stale (not ours or not alive)
        as_pg mkdir -p "$PG_DIR/sock"
        [ -f "$PG_DIR/postgres.log" ] && mv -f "$PG_DIR/postgres.log" "$PG_DIR/postgres.log.prev"
        as_pg touch "$PG_DIR/postgres.log"
        log "postgres: starting on 127.0.0.1:$PG_PORT"
        as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/postgres.log" -w -t "$T_PG" -s \
            -o "-c port=$PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_DIR/sock -c max_connections=200 -c shared_buffers=64MB -c synchronous_commit=off" \
            start >/dev/null 2>&1 || fail_with_log postgres "$PG_DIR/postgres.log" "pg_ctl start failed"
        mkdir -p "$RUN/pids"
    fi
    wait_for postgres - "$T_PG" "$PG_DIR/postgres.log" pg_ready
    pg_bootstrap
    log "postgres: ready"
}

pg_bootstrap() {
    local psql; psql="$(pg_bin)/psql"
    as_pg "$psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR/sock" -p "$PG_PORT" -U postgres -d postgres >/dev/null <<'SQL'
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'liuhen_owner') THEN
    CREATE ROLE liuhen_owner LOGIN PASSWORD 'liuhen_owner';
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'liuhen_app') THEN
    CREATE ROLE liuhen_app LOGIN PASSWORD 'liuhen_app';
  END IF;
END
$$;
ALTER ROLE liuhen_owner NOSUPERUSER NOBYPASSRLS CREATEDB NOCREATEROLE;
ALTER ROLE liuhen_app NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
SELECT 'CREATE DATABASE liuhen OWNER liuhen_owner ENCODING ''UTF8'' TEMPLATE template0'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'liuhen')\gexec
GRANT CONNECT ON DATABASE liuhen TO liuhen_app;
SQL
    as_pg "$psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR/sock" -p "$PG_PORT" -U postgres -d liuhen >/dev/null <<'SQL'
ALTER SCHEMA public OWNER TO liuhen_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO liuhen_app;
SQL
}

pg_down() {
    if pg_alive; then
        log "postgres: stopping (pid $(pg_pid))"
        as_pg "$(pg_bin)/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 -s stop >/dev/null 2>&1 || {
            local p; p="$(pg_pid)"
            [ -n "$p" ] && kill -KILL "$p" 2>/dev/null || true
        }
    fi
}

# ------------------------------------------------------------------- kafka -----------

kafka_java() { "$JAVA_HOME_STACK/bin/java" "$@"; }

KAFKA_WAS_RUNNING=0
kafka_launch() {
    if is_alive kafka; then
        log "kafka: already running (pid $(getpid kafka))"
        KAFKA_WAS_RUNNING=1
        return 0
    fi
    ensure_java_maven
    ports_free kafka LIUHEN_STACK_KAFKA_PORT="$KAFKA_PORT" LIUHEN_STACK_KAFKA_CONTROLLER_PORT="$KAFKA_CONTROLLER_PORT"
    mkdir -p "$KAFKA_DIR/data"
    sed -e "s#@PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
        -e "s#@DATA@#$KAFKA_DIR/data#g" "$HERE/kafka/server.properties.in" >"$KAFKA_DIR/server.properties"
    # KRaft keeps the controller's address in its storage: made for another port, start anew
    if [ -f "$KAFKA_DIR/data/meta.properties" ] && [ "$(cat "$KAFKA_DIR/controller.port" 2>/dev/null)" != "$KAFKA_CONTROLLER_PORT" ]; then
        log "kafka: storage was formatted for another controller port: formatting anew"
        rm -rf "$KAFKA_DIR/data" && mkdir -p "$KAFKA_DIR/data"
    fi
    echo "$KAFKA_CONTROLLER_PORT" >"$KAFKA_DIR/controller.port"
    if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
        local cid
        cid="$(kafka_java -cp "$KAFKA_HOME/libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
        log "kafka: formatting KRaft storage (cluster id $cid)"
        kafka_java -Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties" -cp "$KAFKA_HOME/libs/*" \
            kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_DIR/server.properties" --standalone \
            >"$KAFKA_DIR/format.log" 2>&1 || fail_with_log kafka "$KAFKA_DIR/format.log" "storage format failed"
    fi
    log "kafka: starting on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)"
    # shellcheck disable=SC2086
    launch kafka "$KAFKA_DIR/kafka.log" "$JAVA_HOME_STACK/bin/java" $KAFKA_HEAP -server -XX:+UseG1GC \
        -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties" -Dkafka.logs.dir="$KAFKA_DIR" \
        -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$KAFKA_DIR/server.properties"
}

kafka_api_ok() {
    timeout 60 "$JAVA_HOME_STACK/bin/java" -Xmx128m -Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties" \
        -cp "$KAFKA_HOME/libs/*" org.apache.kafka.tools.BrokerApiVersionsCommand \
        --bootstrap-server "127.0.0.1:$KAFKA_PORT" 2>/dev/null | grep -q "127.0.0.1:$KAFKA_PORT"
}
kafka_started() { grep -q "Kafka Server started" "$KAFKA_DIR/kafka.log"; }

kafka_wait() {
    ensure_java_maven
    wait_for kafka kafka "$T_KAFKA" "$KAFKA_DIR/kafka.log" tcp_open "$KAFKA_PORT"
    [ "$KAFKA_WAS_RUNNING" = 1 ] && return 0 # already proven ready when it was started
    if ! kafka_api_ok; then
        wait_for kafka kafka "$T_KAFKA" "$KAFKA_DIR/kafka.log" kafka_started
        wait_for kafka kafka 60 "$KAFKA_DIR/kafka.log" kafka_api_ok
    fi
    log "kafka: ready"
}

# -------------------------------------------------------------------- ceph -----------

cephc() { timeout 60 ceph -c "$CEPH_CONF" --connect-timeout 20 "$@" 2>>"$CEPH_DIR/log/cli.log"; }
rgwadm() { timeout 120 radosgw-admin -c "$CEPH_CONF" "$@" 2>>"$CEPH_DIR/log/cli.log"; }
rgw_names=(rgw-offsite rgw-primary ceph-osd ceph-mon)

rgw_all_alive() { local n; for n in "${rgw_names[@]}"; do is_alive "$n" || return 1; done; }

rgw_down() { local n; for n in "${rgw_names[@]}"; do stop_group "$n" 30; done; }

osd_up() { cephc osd stat 2>/dev/null | grep -q "1 up"; }
rgw_user_synced() { rgwadm user info --uid="$1" --rgw-zone=offsite >/dev/null; }
rgw_meta_caught_up() { rgwadm sync status --rgw-zone=offsite 2>&1 | grep -q "metadata is caught up with master"; }

rgw_up() {
    if rgw_all_alive; then
        log "rgw: already running (mon $(getpid ceph-mon), osd $(getpid ceph-osd), rgw $(getpid rgw-primary)/$(getpid rgw-offsite))"
        wait_for rgw-primary rgw-primary 30 "$CEPH_DIR/log/ceph-client.rgw.primary.log" http_ok "http://127.0.0.1:$RGW_PRIMARY_PORT/"
        wait_for rgw-offsite rgw-offsite 30 "$CEPH_DIR/log/ceph-client.rgw.offsite.log" http_ok "http://127.0.0.1:$RGW_OFFSITE_PORT/"
        return 0
    fi
    # memstore keeps the data in RAM: any partial state is rebuilt from scratch
    rgw_down
    ports_free rgw LIUHEN_STACK_MON_PORT="$MON_PORT" LIUHEN_STACK_RGW_PRIMARY_PORT="$RGW_PRIMARY_PORT" \
        LIUHEN_STACK_RGW_OFFSITE_PORT="$RGW_OFFSITE_PORT"
    rm -rf "$CEPH_DIR"
    mkdir -p "$CEPH_DIR/run" "$CEPH_DIR/log" "$CEPH_DIR/mon" "$CEPH_DIR/osd"
    local fsid; fsid="$(cat /proc/sys/kernel/random/uuid)"
    sed -e "s#@DIR@#$CEPH_DIR#g" -e "s#@FSID@#$fsid#g" -e "s#@MON_PORT@#$MON_PORT#g" \
        -e "s#@MEMSTORE_BYTES@#$MEMSTORE_BYTES#g" -e "s#@RGW_PRIMARY_PORT@#$RGW_PRIMARY_PORT#g" \
        -e "s#@RGW_OFFSITE_PORT@#$RGW_OFFSITE_PORT#g" "$HERE/ceph/ceph.conf.in" >"$CEPH_CONF"
    log "rgw: monitor on 127.0.0.1:$MON_PORT"
    ceph-authtool --create-keyring "$CEPH_DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
    monmaptool --create --addv a "[v1:127.0.0.1:$MON_PORT]" --fsid "$fsid" "$CEPH_DIR/monmap" >/dev/null
    ceph-mon -c "$CEPH_CONF" --mkfs -i a --monmap "$CEPH_DIR/monmap" --keyring "$CEPH_DIR/keyring" \
        >"$CEPH_DIR/log/mkfs-mon.log" 2>&1 || fail_with_log rgw "$CEPH_DIR/log/mkfs-mon.log" "ceph-mon --mkfs failed"
    launch ceph-mon "$CEPH_DIR/log/mon.out" ceph-mon -c "$CEPH_CONF" -f -i a
    wait_for ceph-mon ceph-mon "$T_RGW" "$CEPH_DIR/log/ceph-mon.a.log" cephc mon stat

    log "rgw: OSD (memstore, $((MEMSTORE_BYTES / 1048576)) MiB cap)"
    local osd_uuid osd_id
    osd_uuid="$(cat /proc/sys/kernel/random/uuid)"
    osd_id="$(cephc osd create "$osd_uuid")"
    mkdir -p "$CEPH_DIR/osd/ceph-$osd_id"
    ceph-osd -c "$CEPH_CONF" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >"$CEPH_DIR/log/mkfs-osd.log" 2>&1 \
        || fail_with_log rgw "$CEPH_DIR/log/mkfs-osd.log" "ceph-osd --mkfs failed"
    cephc osd crush add "osd.$osd_id" 1.0 host=localhost root=default >/dev/null
    # On a loaded machine the OSD has died once at boot, right after registering with the
    # monitor ('wrong fsid' in its log); a second start of the same OSD comes up.
    local try rc osd_log="$CEPH_DIR/log/ceph-osd.$osd_id.log"
    for try in 1 2 3; do
        launch ceph-osd "$CEPH_DIR/log/osd.out" ceph-osd -c "$CEPH_CONF" -f -i "$osd_id"
        rc=0
        poll ceph-osd "$T_RGW" osd_up || rc=$?
        case "$rc:$try" in
            0:*) break ;;
            1:3) fail_with_log ceph-osd "$osd_log" "process exited during startup, three times" ;;
            1:*) log "rgw: ceph-osd exited during startup (try $try of 3): starting it again" ;;
            *) fail_with_log ceph-osd "$osd_log" "not up after ${T_RGW}s (LIUHEN_STACK_TIMEOUT_RGW)" ;;
        esac
    done

    log "rgw: realm liuhen, zonegroup wuhan, master zone primary"
    local pe="http://127.0.0.1:$RGW_PRIMARY_PORT" oe="http://127.0.0.1:$RGW_OFFSITE_PORT"
    local keys=(--access-key="$S3_SYSTEM_ACCESS" --secret="$S3_SYSTEM_SECRET")
    {
        rgwadm realm create --rgw-realm=liuhen --default &&
            rgwadm zonegroup create --rgw-realm=liuhen --rgw-zonegroup=wuhan --endpoints="$pe" --master --default &&
            rgwadm zone create --rgw-zonegroup=wuhan --rgw-zone=primary --endpoints="$pe" --master --default "${keys[@]}" &&
            rgwadm user create --uid=liuhen-sync --display-name="liuhen multisite sync" --system "${keys[@]}" &&
            rgwadm period update --commit --rgw-zone=primary
    } >"$CEPH_DIR/log/setup.log" || fail_with_log rgw "$CEPH_DIR/log/cli.log" "multisite setup (primary) failed"
    launch rgw-primary "$CEPH_DIR/log/rgw-primary.out" radosgw -c "$CEPH_CONF" -f -n client.rgw.primary
    wait_for rgw-primary rgw-primary "$T_RGW" "$CEPH_DIR/log/ceph-client.rgw.primary.log" http_ok "$pe/"

    log "rgw: zone offsite"
    {
        rgwadm zone create --rgw-zonegroup=wuhan --rgw-zone=offsite --endpoints="$oe" "${keys[@]}" &&
            rgwadm period update --commit --rgw-zone=primary
    } >>"$CEPH_DIR/log/setup.log" || fail_with_log rgw "$CEPH_DIR/log/cli.log" "multisite setup (offsite) failed"
    launch rgw-offsite "$CEPH_DIR/log/rgw-offsite.out" radosgw -c "$CEPH_CONF" -f -n client.rgw.offsite
    wait_for rgw-offsite rgw-offsite "$T_RGW" "$CEPH_DIR/log/ceph-client.rgw.offsite.log" http_ok "$oe/"

    log "rgw: S3 users $S3_APP_ACCESS and $S3_ADMIN_ACCESS"
    {
        rgwadm user create --uid=liuhen-app --display-name="liuhen services" \
            --access-key="$S3_APP_ACCESS" --secret="$S3_APP_SECRET" --rgw-zone=primary &&
            rgwadm user create --uid=liuhen-admin --display-name="liuhen administrator" --admin \
                --access-key="$S3_ADMIN_ACCESS" --secret="$S3_ADMIN_SECRET" --rgw-zone=primary &&
            rgwadm caps add --uid=liuhen-admin --caps="users=*;buckets=*;metadata=*;usage=*;zone=*" --rgw-zone=primary
    } >>"$CEPH_DIR/log/setup.log" || fail_with_log rgw "$CEPH_DIR/log/cli.log" "user creation failed"
    # the users reach the offsite zone through metadata sync: proof that sync runs
    wait_for rgw-offsite rgw-offsite "$T_RGW" "$CEPH_DIR/log/ceph-client.rgw.offsite.log" rgw_user_synced liuhen-admin
    wait_for rgw-offsite rgw-offsite 60 "$CEPH_DIR/log/ceph-client.rgw.offsite.log" rgw_meta_caught_up
    log "rgw: ready (primary $pe, offsite $oe, metadata sync caught up)"
}

# ---------------------------------------------------------------- keycloak -----------

kc_token_ok() {
    curl -fsS --max-time 10 -o /dev/null \
        -d grant_type=client_credentials -d client_id=liuhen-intake -d client_secret=liuhen-intake-secret \
        "http://127.0.0.1:$KC_PORT/realms/jiangan/protocol/openid-connect/token"
}
kc_ready() { http_ok "http://127.0.0.1:$KC_MGMT_PORT/health/ready"; }

kc_launch() {
    if is_alive keycloak; then log "keycloak: already running (pid $(getpid keycloak))"; return 0; fi
    ensure_java_maven
    ports_free keycloak LIUHEN_STACK_KEYCLOAK_PORT="$KC_PORT" LIUHEN_STACK_KEYCLOAK_MGMT_PORT="$KC_MGMT_PORT"
    local tmp="$KC_DIR/realms.tmp" sum old="" py="$PYTHON"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    # run as a plain script (no package imports); it needs PyYAML: fall back to Debian's python3 (+ python3-yaml)
    if ! "$py" -c 'import yaml' >/dev/null 2>&1; then
        py=/usr/bin/python3
        "$py" -c 'import yaml' >/dev/null 2>&1 || ensure_apt python3-yaml
    fi
    "$py" "$REPO_ROOT/liuhen/platform/keycloak_realms.py" "$tmp" \
        >"$KC_DIR/realms.log" 2>&1 || fail_with_log keycloak "$KC_DIR/realms.log" "realm generation failed (needs PyYAML)"
    sum="$(cd "$tmp" && cat $(ls | sort) | sha256sum | cut -c1-64)"
    [ -f "$KC_DIR/realms.sha256" ] && old="$(cat "$KC_DIR/realms.sha256")"
    if [ "$sum" != "$old" ]; then
        # new or changed realms: start from an empty dev database so the import applies
        log "keycloak: realm files changed: fresh dev database"
        rm -rf "$KC_HOME/data/h2" "$KC_HOME/data/import"
    fi
    rm -rf "$KC_HOME/data/import"
    mkdir -p "$KC_HOME/data"
    mv "$tmp" "$KC_HOME/data/import"
    echo "$sum" >"$KC_DIR/realms.sha256"
    log "keycloak: starting on 127.0.0.1:$KC_PORT (management $KC_MGMT_PORT)"
    launch keycloak "$KC_DIR/keycloak.log" env JAVA_HOME="$JAVA_HOME_STACK" JAVA_OPTS_KC_HEAP="$KC_HEAP" \
        KC_BOOTSTRAP_ADMIN_USERNAME=admin KC_BOOTSTRAP_ADMIN_PASSWORD=admin \
        bash "$KC_HOME/bin/kc.sh" start-dev --http-host=127.0.0.1 --http-port="$KC_PORT" \
        --http-management-port="$KC_MGMT_PORT" --health-enabled=true --import-realm \
        --hostname="http://127.0.0.1:$KC_PORT"
}

kc_wait() {
    wait_for keycloak keycloak "$T_KC" "$KC_DIR/keycloak.log" kc_ready
    wait_for keycloak keycloak 60 "$KC_DIR/keycloak.log" kc_token_ok
    log "keycloak: ready"
}

# ---------------------------------------------------------------- commands -----------

want() { local c; for c in "${SELECTED[@]}"; do [ "$c" = "$1" ] && return 0; done; return 1; }

select_components() {
    SELECTED=()
    if [ $# -eq 0 ]; then SELECTED=("${COMPONENTS[@]}"); return; fi
    local a c ok
    for a in "$@"; do
        ok=0
        for c in "${COMPONENTS[@]}"; do [ "$a" = "$c" ] && ok=1; done
        [ $ok = 1 ] || die "unknown component '$a' (known: ${COMPONENTS[*]})"
        SELECTED+=("$a")
    done
}

cmd_up() {
    select_components "$@"
    local t0=$SECONDS pkgs=()
    mkdir -p "$CACHE" "$RUN/pids"
    want postgres && pkgs+=(postgresql)
    want rgw && pkgs+=(ceph-mon ceph-osd radosgw ceph-common)
    command -v curl >/dev/null 2>&1 || pkgs+=(curl)
    [ ${#pkgs[@]} -eq 0 ] || ensure_apt "${pkgs[@]}"
    if want kafka; then fetch_kafka; fi
    if want keycloak; then fetch_keycloak; fi
    # the slow starters first, in the background; then the quick ones; then wait
    if want keycloak; then kc_launch; fi
    if want kafka; then kafka_launch; fi
    if want postgres; then pg_up; fi
    if want rgw; then rgw_up; fi
    if want kafka; then kafka_wait; fi
    if want keycloak; then kc_wait; fi
    log "up: ${SELECTED[*]} ready in $((SECONDS - t0))s"
}

cmd_down() {
    select_components "$@"
    if want keycloak; then stop_group keycloak 40; fi
    if want kafka; then stop_group kafka 40; fi
    if want rgw; then rgw_down; fi
    if want postgres; then pg_down; fi
    log "down: ${SELECTED[*]} stopped"
}

status_line() { # NAME STATE ENDPOINT PIDS RSS_KIB
    printf '%-9s %-8s %-44s pid %-24s rss %5d MiB\n' "$1" "$2" "$3" "$4" "$(($5 / 1024))"
}

cmd_status() {
    local total=0 rss pids state n p
    # postgres
    if pg_alive; then state=running; p="$(pg_pid)"; rss="$(tree_rss "$p")"; else state=stopped; p=-; rss=0; fi
    status_line postgres "$state" "127.0.0.1:$PG_PORT" "$p" "$rss"; total=$((total + rss))
    # kafka
    if is_alive kafka; then state=running; p="$(getpid kafka)"; rss="$(tree_rss "$p")"; else state=stopped; p=-; rss=0; fi
    status_line kafka "$state" "127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)" "$p" "$rss"; total=$((total + rss))
    # rgw: mon + osd + two gateways
    rss=0; pids=""; state=running
    for n in ceph-mon ceph-osd rgw-primary rgw-offsite; do
        if is_alive "$n"; then p="$(getpid "$n")"; pids="$pids${pids:+,}$p"; rss=$((rss + $(tree_rss "$p"))); else state=partial; fi
    done
    [ -z "$pids" ] && state=stopped && pids=-
    status_line rgw "$state" "127.0.0.1:$RGW_PRIMARY_PORT + :$RGW_OFFSITE_PORT (mon $MON_PORT)" "$pids" "$rss"; total=$((total + rss))
    # keycloak
    if is_alive keycloak; then state=running; p="$(getpid keycloak)"; rss="$(tree_rss "$p")"; else state=stopped; p=-; rss=0; fi
    status_line keycloak "$state" "127.0.0.1:$KC_PORT (management $KC_MGMT_PORT)" "$p" "$rss"; total=$((total + rss))
    printf 'total RSS %d MiB (run folder %s)\n' "$((total / 1024))" "$RUN"
}

cmd_env() {
    cat <<EOF
export LIUHEN_DATABASE_URL=postgresql+psycopg://liuhen_app:liuhen_app@127.0.0.1:$PG_PORT/liuhen
export LIUHEN_DATABASE_OWNER_URL=postgresql+psycopg://liuhen_owner:liuhen_owner@127.0.0.1:$PG_PORT/liuhen
export LIUHEN_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT
export LIUHEN_S3_ENDPOINT=127.0.0.1:$RGW_PRIMARY_PORT
export LIUHEN_S3_OFFSITE_ENDPOINT=127.0.0.1:$RGW_OFFSITE_PORT
export LIUHEN_S3_ACCESS_KEY=$S3_APP_ACCESS
export LIUHEN_S3_SECRET_KEY=$S3_APP_SECRET
export LIUHEN_S3_ADMIN_ACCESS_KEY=$S3_ADMIN_ACCESS
export LIUHEN_S3_ADMIN_SECRET_KEY=$S3_ADMIN_SECRET
export LIUHEN_KEYCLOAK_URL=http://127.0.0.1:$KC_PORT
export LIUHEN_LOG_KEYS_DIR=$RUN/ledger-keys
EOF
    # The development realms' client secrets (keycloak_realms.dev_client_secret): the
    # services refuse to start on the stack profile without theirs.
    local s
    for s in intake cases media routing enforcement; do
        echo "export LIUHEN_${s^^}_CLIENT_SECRET=liuhen-$s-secret"
    done
}

cmd_ports() { # VARIABLE PORT, one a line: every port the stack listens on
    cat <<EOF
LIUHEN_STACK_PG_PORT $PG_PORT
LIUHEN_STACK_KAFKA_PORT $KAFKA_PORT
LIUHEN_STACK_KAFKA_CONTROLLER_PORT $KAFKA_CONTROLLER_PORT
LIUHEN_STACK_MON_PORT $MON_PORT
LIUHEN_STACK_RGW_PRIMARY_PORT $RGW_PRIMARY_PORT
LIUHEN_STACK_RGW_OFFSITE_PORT $RGW_OFFSITE_PORT
LIUHEN_STACK_KEYCLOAK_PORT $KC_PORT
LIUHEN_STACK_KEYCLOAK_MGMT_PORT $KC_MGMT_PORT
EOF
}

cmd_fresh_db() { # drop the liuhen database and make it anew, empty (a test run's start)
    pg_alive || die "fresh-db: postgres is not running (stack.sh up postgres)"
    as_pg "$(pg_bin)/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR/sock" -p "$PG_PORT" \
        -U postgres -d postgres -c "DROP DATABASE IF EXISTS liuhen WITH (FORCE)" >/dev/null
    pg_bootstrap
    log "fresh-db: database liuhen recreated, empty"
}

cmd_reset() {
    cmd_down
    log "reset: removing $RUN (downloads in $CACHE are kept)"
    rm -rf "$RUN"
}

main() {
    local cmd="${1:-}"
    [ $# -gt 0 ] && shift
    case "$cmd" in
        up) cmd_up "$@" ;;
        down) cmd_down "$@" ;;
        status) cmd_status ;;
        env) cmd_env ;;
        ports) cmd_ports ;;
        reset) cmd_reset ;;
        fresh-db) cmd_fresh_db ;;
        *)
            sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
            [ -z "$cmd" ] || [ "$cmd" = -h ] || [ "$cmd" = --help ] || exit 2
            ;;
    esac
}

main "$@"
