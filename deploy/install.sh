#!/usr/bin/env bash
# install.sh: install dns-analytics as a systemd service on this DNS server. Idempotent:
# running it again updates the binary and the unit and keeps the configuration.
#
#   sudo deploy/install.sh [--binary PATH] [--dnstap] [--no-start]
#
#   --binary PATH  the compiled program (default: dist/dns-analytics of this repository,
#                  built by 'deno task compile'); installed as /usr/local/bin/dns-analytics
#   --dnstap       let named connect to the dnstap socket /run/dns-analytics/dnstap.sock:
#                  named's user joins group dns-analytics, and AppArmor (when present) allows
#                  the socket; restart named afterwards
#   --no-start     install and enable, but do not (re)start the service
#
# What it does: creates the system user dns-analytics; creates
# /etc/dns-analytics/dns-analytics.env (mode 0600) from the example when it is missing;
# gives the user read access to BIND's logs with POSIX ACLs on /var/log/named (the directory,
# the files in it, and a default ACL so files named creates when it rotates stay readable);
# installs the unit, reloads systemd, enables and (re)starts the service.
# Moving from the seed guide's install: when dns-ingestor.service runs here, its database
# keys (/etc/dns-ingestor/db.env) are reused; 'migrate --dry-run' shows what happens to the
# seed's tables; 'ingest' of BIND's current and rotated logs converts them (every row kept,
# marked as the seed's) and replaces the seed's rows wherever the logs still cover them;
# serve starts; once it runs, dns-ingestor.service is stopped and disabled.
# Undo with deploy/uninstall.sh.
set -euo pipefail

SERVICE_USER=dns-analytics
BIN=/usr/local/bin/dns-analytics
CONF_DIR=/etc/dns-analytics
ENV_FILE=$CONF_DIR/dns-analytics.env
SEED_ENV=/etc/dns-ingestor/db.env
SEED_UNIT=dns-ingestor.service
LOG_DIR=/var/log/named
STATE_DIR=/var/lib/dns-analytics
UNIT=/etc/systemd/system/dns-analytics.service
APPARMOR_LOCAL=/etc/apparmor.d/local/usr.sbin.named
APPARMOR_RULE='/run/dns-analytics/dnstap.sock rw,'

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
binary=$here/../dist/dns-analytics
dnstap=no
start=yes

die() {
  echo "install.sh: $*" >&2
  exit 1
}
say() { echo "install.sh: $*"; }

while [ $# -gt 0 ]; do
  case $1 in
  --binary)
    [ $# -ge 2 ] || die "--binary needs a path"
    binary=$2
    shift 2
    ;;
  --dnstap) dnstap=yes && shift ;;
  --no-start) start=no && shift ;;
  -h | --help)
    sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *) die "unknown option $1 (see --help)" ;;
  esac
done

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
command -v setfacl >/dev/null || die "setfacl is missing: apt-get install -y acl"

# The program.
if [ -f "$binary" ]; then
  install -m 0755 -o root -g root "$binary" "$BIN"
  say "installed $BIN"
elif [ ! -x "$BIN" ]; then
  die "no binary at $binary: build it with 'deno task compile' or pass --binary PATH"
fi

# The user: no login, no home of its own; its state is /var/lib/dns-analytics.
if ! getent passwd "$SERVICE_USER" >/dev/null; then
  useradd --system --user-group --no-create-home --home-dir "$STATE_DIR" \
    --shell /usr/sbin/nologin "$SERVICE_USER"
  say "created system user $SERVICE_USER"
fi

# The configuration: only when missing, so an edited file is never overwritten.
install -d -m 0755 -o root -g root "$CONF_DIR"
if [ ! -e "$ENV_FILE" ]; then
  install -m 0600 -o root -g root "$here/dns-analytics.env.example" "$ENV_FILE"
  sed -i "s/^DNSA_NODE=.*/DNSA_NODE=$(hostname -s)/" "$ENV_FILE"
  if [ -f "$SEED_ENV" ]; then
    # The unit reads the seed's db.env first; the example's DB_* lines would override it.
    sed -i 's/^DB_/# (from '"${SEED_ENV//\//\\/}"') DB_/' "$ENV_FILE"
    say "created $ENV_FILE; the database keys come from $SEED_ENV"
  else
    say "created $ENV_FILE: set DB_PASSWORD (or DATABASE_URL) in it"
  fi
fi
chmod 0600 "$ENV_FILE"

# Read access to BIND's logs, now and after every rotation (default ACL on the directory).
if [ ! -d "$LOG_DIR" ]; then
  if getent passwd bind >/dev/null; then
    install -d -m 0750 -o bind -g bind "$LOG_DIR"
  else
    install -d -m 0750 "$LOG_DIR"
  fi
  say "created $LOG_DIR (named's logging channels write there)"
fi
setfacl -m "u:$SERVICE_USER:rx" "$LOG_DIR"
setfacl -d -m "u:$SERVICE_USER:r" "$LOG_DIR"
find "$LOG_DIR" -maxdepth 1 -type f -exec setfacl -m "u:$SERVICE_USER:r" {} +
say "ACLs: $SERVICE_USER may read $LOG_DIR and the files named writes there"

# dnstap over a unix socket: named (user bind) connects to the socket serve creates with
# mode 0660 in /run/dns-analytics (mode 0750, group dns-analytics).
if [ "$dnstap" = yes ]; then
  named_user=bind
  getent passwd "$named_user" >/dev/null || die "--dnstap: user $named_user (named's) not found"
  usermod -a -G "$SERVICE_USER" "$named_user"
  say "added $named_user to group $SERVICE_USER (restart named to take it: systemctl restart named)"
  if [ -d /etc/apparmor.d/local ] && [ -e /etc/apparmor.d/usr.sbin.named ]; then
    touch "$APPARMOR_LOCAL"
    grep -qxF "$APPARMOR_RULE" "$APPARMOR_LOCAL" || echo "$APPARMOR_RULE" >>"$APPARMOR_LOCAL"
    if command -v apparmor_parser >/dev/null; then
      apparmor_parser -r /etc/apparmor.d/usr.sbin.named || say "apparmor_parser failed: reload AppArmor"
    fi
    say "AppArmor: named may use the dnstap socket ($APPARMOR_LOCAL)"
  fi
fi

# The unit.
install -m 0644 -o root -g root "$here/dns-analytics.service" "$UNIT"
if [ ! -d /run/systemd/system ]; then
  say "systemd is not running here: unit installed as $UNIT, not enabled or started"
  exit 0
fi
systemctl daemon-reload
systemctl enable dns-analytics.service >/dev/null

# The seed's Python ingestor: dns-analytics takes over, then it stops.
if [ "$start" = yes ] && systemctl is-active --quiet "$SEED_UNIT"; then
  say "found $SEED_UNIT running: dns-analytics takes over its database and logs"
  # As the service runs: the same user and the same environment files as the unit.
  as_service() {
    systemd-run --quiet --wait --pipe --collect --uid="$SERVICE_USER" --gid="$SERVICE_USER" \
      -p EnvironmentFile=-"$SEED_ENV" -p EnvironmentFile="$ENV_FILE" "$BIN" "$@"
  }
  as_service migrate --dry-run || die "migrate --dry-run failed: $SEED_UNIT keeps running"
  conf_value() { sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1; }
  query_log=$(conf_value DNSA_QUERY_LOG)
  error_log=$(conf_value DNSA_ERROR_LOG)
  shopt -s nullglob
  logs=("${query_log:-$LOG_DIR/queries.log}"* "${error_log:-$LOG_DIR/query-errors.log}"*)
  shopt -u nullglob
  # ingest migrates first (converting the seed's tables), then reads every retained log;
  # serve must not read the same files meanwhile.
  systemctl stop dns-analytics.service
  rc=0
  as_service ingest "${logs[@]}" || rc=$?
  [ "$rc" = 0 ] || [ "$rc" = 2 ] || die "ingest failed (exit $rc): $SEED_UNIT keeps running"
  systemctl restart dns-analytics.service
  for _ in $(seq 1 30); do
    sleep 1
    systemctl is-active --quiet dns-analytics.service || break
  done
  systemctl is-active --quiet dns-analytics.service ||
    die "dns-analytics.service did not stay up (journalctl -u dns-analytics): $SEED_UNIT keeps running"
  systemctl disable --now "$SEED_UNIT" >/dev/null
  say "stopped and disabled $SEED_UNIT; dns-analytics serves its database now"
fi

if [ "$start" = yes ]; then
  systemctl restart dns-analytics.service
  say "started; check it with: sudo $BIN doctor --config $ENV_FILE; journalctl -u dns-analytics -f"
else
  say "enabled; start it with: systemctl start dns-analytics"
fi
