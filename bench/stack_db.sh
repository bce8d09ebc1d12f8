#!/usr/bin/env bash
# bench/stack_db.sh: a database of the benchmarks' own, liuhen_bench, on the local stack's
# PostgreSQL (dropped and made anew, empty, owned by the migrating role as `liuhen` is), so
# that `make bench-stack` never fills the stack's shared `liuhen` database. Prints the
# export lines that point the benchmarks at it.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STACK="$HERE/../deploy/stack/stack.sh"
name=liuhen_bench
RUN="${LIUHEN_STACK_RUN:-${LIUHEN_STACK_CACHE:-${HOME:-/root}/.cache/liuhen-stack}/run}"
PSQL="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)/psql"
PORT="${LIUHEN_STACK_PG_PORT:-25432}"
q() {
    if [ "$(id -u)" = 0 ]; then set -- runuser -u "${LIUHEN_STACK_PG_USER:-postgres}" -- "$PSQL" "$@"
    else set -- "$PSQL" "$@"; fi
    "$@" -X -q -v ON_ERROR_STOP=1 -h "$RUN/postgres/sock" -p "$PORT" -U postgres >/dev/null
}
q -d postgres -c "DROP DATABASE IF EXISTS $name WITH (FORCE)"
q -d postgres -c "CREATE DATABASE $name OWNER liuhen_owner ENCODING 'UTF8' TEMPLATE template0"
q -d postgres -c "GRANT CONNECT ON DATABASE $name TO liuhen_app"
q -d "$name" -c "ALTER SCHEMA public OWNER TO liuhen_owner; REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO liuhen_app;"
bash "$STACK" env | sed "s#/liuhen\$#/$name#"
