#!/usr/bin/env bash
# A PostgreSQL 15 primary with one synchronous standby on loopback, made from scratch in a
# folder of its own, and the operator's steps around it: stop or start a node, lose the
# primary hard, fence it, promote the standby, rejoin the old primary as the new standby,
# degrade knowingly. docs/replication.md explains every choice; `pg-replica.sh help` lists
# the commands.
#
# It never touches another cluster: every node lives under --dir, listens on 127.0.0.1 on
# its own port, keeps its Unix socket in --dir, and is stopped by the postmaster pid that
# its own postmaster.pid names.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
STANDBY_NAME=hongbao_standby
SYNC_NAMES="FIRST 1 (${STANDBY_NAME})"
WAIT_S=${PG_REPLICA_WAIT_S:-60}
PG_HOME=$(getent passwd postgres | cut -d: -f6 || true)

die() {
  echo "pg-replica: $*" >&2
  exit 1
}

say() {
  echo "pg-replica: $*" >&2
}

usage() {
  cat <<'EOF'
usage: pg-replica.sh COMMAND --dir DIR [options]

  up --dir DIR [--primary-port 5433] [--standby-port 5434] [--database hongbao]
        initdb a primary in DIR/a, start it, make DIR/b with pg_basebackup -R as its
        synchronous standby, start it, and wait until the primary reports it as "sync"
  status --dir DIR          roles, ports, pids, and the primary's pg_stat_replication
  url --dir DIR [primary|standby]   the postgres:// URL of the node in that role
  stop --dir DIR NODE       stop a node (a or b) cleanly (pg_ctl stop -m fast)
  start --dir DIR NODE      start a node again (refused while it is fenced)
  kill-primary --dir DIR    SIGKILL the primary's postmaster: a machine that dies
  fence --dir DIR           make sure the primary can never take a write again: stop it
                            (-m immediate) if it runs, and leave standby.signal in it
  promote --dir DIR [--keep-sync]
                            fence the old primary, promote the standby (pg_promote, wait),
                            and record the roles; without --keep-sync the new primary runs
                            with synchronous_standby_names = '' until a rejoin
  rejoin --dir DIR          rebuild the fenced node as a standby of the new primary
                            (fresh pg_basebackup) and require it as synchronous again
  degrade --dir DIR         the operator's knowing choice: commits on the primary stop
                            waiting for the standby (synchronous_standby_names = '')
  require-sync --dir DIR    undo degrade: commits wait for the standby again
  psql --dir DIR NODE [psql args]   psql as postgres on that node
  down --dir DIR [--remove] stop every node of DIR (immediate) and optionally delete DIR

Environment: PG_BIN (default /usr/lib/postgresql/15/bin), PG_REPLICA_WAIT_S (60).
Run as root, the PostgreSQL programs run as the postgres user (initdb refuses root).
EOF
}

# ---------------------------------------------------------------------------------------
# Running PostgreSQL's programs
# ---------------------------------------------------------------------------------------

as_pg() {
  if [ "$(id -u)" = 0 ]; then
    # setpriv rather than runuser or su: no PAM session, several times faster per call.
    HOME=$PG_HOME setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

pg() {
  local program=$1
  shift
  as_pg "${PG_BIN}/${program}" "$@"
}

node_dir() { echo "${DIR}/$1"; }
node_port() { cat "${DIR}/$1.port"; }

# The postmaster's pid from its own postmaster.pid, if that process is alive.
postmaster_pid() {
  local pidfile
  pidfile="$(node_dir "$1")/postmaster.pid"
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(head -n 1 "$pidfile")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

sql() {
  local node=$1
  shift
  pg psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(node_port "$node")" -U postgres -d postgres -At "$@"
}

role_of() {
  # roles file: "primary=a standby=b" (standby empty once promoted without rejoin)
  sed -n "s/.*$1=\([ab]\?\).*/\1/p" "${DIR}/roles"
}

set_roles() {
  echo "primary=$1 standby=$2" >"${DIR}/roles"
}

wait_until() {
  local what=$1
  shift
  local deadline=$((SECONDS + WAIT_S))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "timed out after ${WAIT_S} s waiting for ${what}"
    sleep 0.1
  done
}

start_node() {
  local node=$1
  [ ! -f "$(node_dir "$node")/FENCED" ] || die "node ${node} is fenced (old primary): rejoin it, never start it as it is"
  if postmaster_pid "$node" >/dev/null; then
    say "node ${node} already runs"
    return
  fi
  pg pg_ctl start -w -t "$WAIT_S" -D "$(node_dir "$node")" -l "${DIR}/${node}.log" >/dev/null
}

stop_node() {
  local node=$1 mode=$2
  local pid
  pid=$(postmaster_pid "$node") || return 0
  pg pg_ctl stop -w -t "$WAIT_S" -m "$mode" -D "$(node_dir "$node")" >/dev/null || kill -KILL "$pid" 2>/dev/null || true
  wait_pid_gone "$pid"
}

wait_pid_gone() {
  local deadline=$((SECONDS + WAIT_S))
  while kill -0 "$1" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || die "process $1 still alive after ${WAIT_S} s"
    sleep 0.05
  done
}

# Settings of a node, after the copy of postgresql.conf that initdb wrote (or pg_basebackup
# copied): a later line of the same name wins, so appending is enough.
write_node_conf() {
  local node=$1 port=$2
  cat >>"$(node_dir "$node")/postgresql.conf" <<EOF

# --- hongbao pg-replica (scripts/pg-replica/pg-replica.sh) ---
listen_addresses = '127.0.0.1'
port = ${port}
unix_socket_directories = '${DIR}'
cluster_name = 'hongbao_${node}'
wal_level = replica
max_wal_senders = 4
max_replication_slots = 4
# The standby's slot keeps WAL it has not received, up to this much; past it the standby
# must be rebuilt rather than the primary's disk filled.
max_slot_wal_keep_size = 2GB
hot_standby = on
# pg_rewind needs it; cheap.
wal_log_hints = on
fsync = on
full_page_writes = on
# An acknowledgement waits until the standby has flushed the commit's WAL to its disk.
synchronous_commit = on
EOF
}

set_sync_names() {
  local node=$1 names=$2
  sql "$node" -c "ALTER SYSTEM SET synchronous_standby_names = '${names}'" -c "SELECT pg_reload_conf()" >/dev/null
}

# ---------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------

cmd_up() {
  [ ! -e "${DIR}/a" ] || die "${DIR}/a exists: use another --dir or down --remove first"
  mkdir -p "$DIR"
  [ "$(id -u)" != 0 ] || chown postgres: "$DIR"
  # Unix socket paths are limited to 107 bytes.
  [ ${#DIR} -lt 80 ] || die "--dir path is too long for a Unix socket: ${DIR}"
  echo "$PRIMARY_PORT" >"${DIR}/a.port"
  echo "$STANDBY_PORT" >"${DIR}/b.port"

  # Trust on loopback only (listen_addresses is 127.0.0.1); see docs/replication.md for a
  # real deployment's authentication.
  pg initdb -D "$(node_dir a)" -U postgres --auth=trust --data-checksums --encoding=UTF8 --locale=C >/dev/null
  write_node_conf a "$PRIMARY_PORT"
  start_node a
  sql a -c "CREATE DATABASE ${DATABASE}" >/dev/null

  # -R writes primary_conninfo (with application_name, which synchronous_standby_names
  # names) and standby.signal; -C -S makes the physical slot that keeps WAL for it.
  pg pg_basebackup -D "$(node_dir b)" -R -X stream -C -S "$STANDBY_NAME" --checkpoint=fast \
    -d "host=127.0.0.1 port=${PRIMARY_PORT} user=postgres application_name=${STANDBY_NAME}" >/dev/null
  write_node_conf b "$STANDBY_PORT"
  start_node b
  set_roles a b
  # From here on every commit waits for the standby (set only now: the database had to be
  # made before there was a standby to wait for).
  set_sync_names a "$SYNC_NAMES"
  wait_until "the standby to be synchronous" sync_standby_streaming a
  say "primary a on 127.0.0.1:${PRIMARY_PORT}, synchronous standby b on 127.0.0.1:${STANDBY_PORT}"
}

sync_standby_streaming() {
  local state
  state=$(sql "$1" -c "SELECT state || '/' || sync_state FROM pg_stat_replication WHERE application_name = '${STANDBY_NAME}'")
  [ "$state" = "streaming/sync" ]
}

cmd_status() {
  local node pid
  echo "roles: $(cat "${DIR}/roles")"
  for node in a b; do
    [ -d "$(node_dir "$node")" ] || continue
    pid=$(postmaster_pid "$node" || echo "-")
    local recovery="-"
    [ "$pid" = "-" ] || recovery=$(sql "$node" -c "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby' ELSE 'primary' END" || echo "?")
    local fenced=""
    [ ! -f "$(node_dir "$node")/FENCED" ] || fenced=" FENCED"
    echo "node ${node}: port $(node_port "$node") pid ${pid} ${recovery}${fenced}"
  done
  local primary
  primary=$(role_of primary)
  if postmaster_pid "$primary" >/dev/null; then
    echo "synchronous_standby_names: '$(sql "$primary" -c "SHOW synchronous_standby_names")'"
    sql "$primary" -c "SELECT application_name, state, sync_state, replay_lag FROM pg_stat_replication" |
      sed 's/^/replication: /'
  fi
}

cmd_url() {
  local role=${1:-primary} node
  node=$(role_of "$role")
  [ -n "$node" ] || die "no ${role} now"
  echo "postgres://postgres@127.0.0.1:$(node_port "$node")/${DATABASE}"
}

cmd_kill_primary() {
  local primary pid children
  primary=$(role_of primary)
  pid=$(postmaster_pid "$primary") || die "the primary (${primary}) does not run"
  children=$(ps -o pid= --ppid "$pid" || true)
  kill -KILL "$pid"
  wait_pid_gone "$pid"
  # Its backends notice the postmaster's death and exit on their own; wait for them so that
  # nothing of it still holds a socket or answers a client.
  local child
  for child in $children; do wait_pid_gone "$child"; done
  say "primary ${primary} (postmaster ${pid}) killed"
}

cmd_fence() {
  local primary
  primary=$(role_of primary)
  stop_node "$primary" immediate
  # Should anyone start it again, it comes up in recovery and takes no write: it is no
  # longer a primary, whatever happens to this machine's scripts.
  as_pg touch "$(node_dir "$primary")/standby.signal" "$(node_dir "$primary")/FENCED"
  say "old primary ${primary} stopped and fenced"
}

cmd_promote() {
  local primary standby
  primary=$(role_of primary)
  standby=$(role_of standby)
  [ -n "$standby" ] || die "no standby to promote"
  postmaster_pid "$standby" >/dev/null || die "the standby (${standby}) does not run"
  cmd_fence
  if [ "$KEEP_SYNC" = 0 ]; then
    # The copied setting names a standby that no longer exists: left as it is, every
    # commit on the new primary would wait for ever. Running on one machine until a rejoin
    # is the operator's choice, and this is where it is made.
    sql "$standby" -c "ALTER SYSTEM SET synchronous_standby_names = ''" >/dev/null
  fi
  local promoted started_ns
  started_ns=$(date +%s%N)
  promoted=$(sql "$standby" -c "SELECT pg_promote(true, ${WAIT_S})")
  [ "$promoted" = "t" ] || die "pg_promote did not finish within ${WAIT_S} s"
  say "pg_promote took $((($(date +%s%N) - started_ns) / 1000000)) ms"
  sql "$standby" -c "SELECT pg_reload_conf()" >/dev/null
  set_roles "$standby" ""
  # The slot would keep WAL for a standby that will be rebuilt with its own slot.
  sql "$standby" -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '${STANDBY_NAME}'" >/dev/null
  if [ "$KEEP_SYNC" = 0 ]; then
    say "standby ${standby} promoted; it runs WITHOUT a synchronous standby until: pg-replica.sh rejoin"
  else
    say "standby ${standby} promoted; commits wait until a standby rejoins (pg-replica.sh rejoin)"
  fi
  # Old primary ${primary} stays fenced.
  : "$primary"
}

cmd_rejoin() {
  local primary old
  primary=$(role_of primary)
  old=$([ "$primary" = a ] && echo b || echo a)
  [ -f "$(node_dir "$old")/FENCED" ] || die "node ${old} is not a fenced old primary"
  ! postmaster_pid "$old" >/dev/null || die "node ${old} runs"
  # A fresh copy rather than pg_rewind: simplest to get right, and the cost is one copy.
  rm -rf "$(node_dir "$old")"
  pg pg_basebackup -D "$(node_dir "$old")" -R -X stream -C -S "$STANDBY_NAME" --checkpoint=fast \
    -d "host=127.0.0.1 port=$(node_port "$primary") user=postgres application_name=${STANDBY_NAME}" >/dev/null
  write_node_conf "$old" "$(node_port "$old")"
  start_node "$old"
  set_roles "$primary" "$old"
  set_sync_names "$primary" "$SYNC_NAMES"
  wait_until "the standby to be synchronous" sync_standby_streaming "$primary"
  say "node ${old} is the synchronous standby of ${primary} again"
}

cmd_degrade() {
  set_sync_names "$(role_of primary)" ""
  say "commits on the primary no longer wait for a standby: an acknowledgement now means ONE machine"
}

cmd_require_sync() {
  set_sync_names "$(role_of primary)" "$SYNC_NAMES"
  say "commits on the primary wait for ${STANDBY_NAME} again"
}

cmd_down() {
  local node
  for node in a b; do
    [ -d "$(node_dir "$node")" ] || continue
    stop_node "$node" immediate
  done
  if [ "$REMOVE" = 1 ]; then
    rm -rf "$DIR"
  fi
}

# ---------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------

COMMAND=${1:-help}
shift || true
DIR=""
PRIMARY_PORT=5433
STANDBY_PORT=5434
DATABASE=hongbao
KEEP_SYNC=0
REMOVE=0
POSITIONAL=()
while [ $# -gt 0 ]; do
  case "$1" in
  --dir) DIR=$2; shift 2 ;;
  --primary-port) PRIMARY_PORT=$2; shift 2 ;;
  --standby-port) STANDBY_PORT=$2; shift 2 ;;
  --database) DATABASE=$2; shift 2 ;;
  --keep-sync) KEEP_SYNC=1; shift ;;
  --remove) REMOVE=1; shift ;;
  --) shift; POSITIONAL+=("$@"); break ;;
  *) POSITIONAL+=("$1"); shift ;;
  esac
done

case "$COMMAND" in
help | -h | --help) usage; exit 0 ;;
esac
[ -n "$DIR" ] || die "--dir is required (see pg-replica.sh help)"
DIR=$(realpath -m "$DIR")
[[ "$DATABASE" =~ ^[a-z_][a-z0-9_]*$ ]] || die "--database must be a plain lower-case name"
[ -x "${PG_BIN}/initdb" ] || die "no PostgreSQL binaries in ${PG_BIN} (set PG_BIN)"

case "$COMMAND" in
up)
  [[ "$PRIMARY_PORT" =~ ^[0-9]+$ && "$STANDBY_PORT" =~ ^[0-9]+$ ]] || die "ports must be numbers"
  [ "$PRIMARY_PORT" != 5432 ] && [ "$STANDBY_PORT" != 5432 ] || die "5432 belongs to the machine's own cluster"
  cmd_up
  ;;
status) cmd_status ;;
url) cmd_url "${POSITIONAL[0]:-primary}" ;;
stop) stop_node "${POSITIONAL[0]:?node a or b}" fast ;;
start) start_node "${POSITIONAL[0]:?node a or b}" ;;
kill-primary) cmd_kill_primary ;;
fence) cmd_fence ;;
promote) cmd_promote ;;
rejoin) cmd_rejoin ;;
degrade) cmd_degrade ;;
require-sync) cmd_require_sync ;;
psql)
  node=${POSITIONAL[0]:?node a or b}
  pg psql -X -h 127.0.0.1 -p "$(node_port "$node")" -U postgres -d "$DATABASE" "${POSITIONAL[@]:1}"
  ;;
down) cmd_down ;;
*) usage >&2; exit 2 ;;
esac
