#!/usr/bin/env bash
# uninstall.sh: remove what deploy/install.sh installed. Idempotent.
#
#   sudo deploy/uninstall.sh [--purge]
#
# Stops and disables the service, removes the unit, the binary, the ACLs on /var/log/named,
# named's membership of group dns-analytics and the AppArmor rule of --dnstap. Keeps the
# configuration (/etc/dns-analytics), the state (/var/lib/dns-analytics) and the user that
# owns it, unless --purge. The PostgreSQL database is never touched (drop it yourself:
# sudo -u postgres dropdb dns_analytics).
set -euo pipefail

SERVICE_USER=dns-analytics
BIN=/usr/local/bin/dns-analytics
CONF_DIR=/etc/dns-analytics
LOG_DIR=/var/log/named
STATE_DIR=/var/lib/dns-analytics
UNIT=/etc/systemd/system/dns-analytics.service
APPARMOR_LOCAL=/etc/apparmor.d/local/usr.sbin.named
APPARMOR_RULE='/run/dns-analytics/dnstap.sock rw,'

purge=no
case ${1:-} in
--purge) purge=yes ;;
"") ;;
-h | --help)
  sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 0
  ;;
*)
  echo "uninstall.sh: unknown option $1 (see --help)" >&2
  exit 1
  ;;
esac
say() { echo "uninstall.sh: $*"; }

if [ "$(id -u)" != 0 ]; then
  echo "uninstall.sh: run as root (sudo $0)" >&2
  exit 1
fi

if [ -d /run/systemd/system ]; then
  systemctl disable --now dns-analytics.service >/dev/null 2>&1 || true
fi
rm -f "$UNIT" "$BIN"
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl reset-failed dns-analytics.service >/dev/null 2>&1 || true
fi
say "service stopped and removed"

if getent passwd "$SERVICE_USER" >/dev/null; then
  if [ -d "$LOG_DIR" ] && command -v setfacl >/dev/null; then
    setfacl -x "u:$SERVICE_USER" "$LOG_DIR" 2>/dev/null || true
    setfacl -d -x "u:$SERVICE_USER" "$LOG_DIR" 2>/dev/null || true
    find "$LOG_DIR" -maxdepth 1 -type f -exec setfacl -x "u:$SERVICE_USER" {} + 2>/dev/null || true
    say "ACLs of $SERVICE_USER removed from $LOG_DIR"
  fi
  if id -nG bind 2>/dev/null | tr ' ' '\n' | grep -qx "$SERVICE_USER"; then
    gpasswd -d bind "$SERVICE_USER" >/dev/null
    say "removed bind from group $SERVICE_USER"
  fi
fi
if [ -f "$APPARMOR_LOCAL" ] && grep -qxF "$APPARMOR_RULE" "$APPARMOR_LOCAL"; then
  sed -i "\#^${APPARMOR_RULE}\$#d" "$APPARMOR_LOCAL"
  if command -v apparmor_parser >/dev/null && [ -e /etc/apparmor.d/usr.sbin.named ]; then
    apparmor_parser -r /etc/apparmor.d/usr.sbin.named || true
  fi
  say "AppArmor rule removed"
fi

if [ "$purge" = yes ]; then
  rm -rf "$CONF_DIR" "$STATE_DIR"
  if getent passwd "$SERVICE_USER" >/dev/null; then
    userdel "$SERVICE_USER"
  fi
  if getent group "$SERVICE_USER" >/dev/null; then
    groupdel "$SERVICE_USER"
  fi
  say "purged $CONF_DIR, $STATE_DIR and user $SERVICE_USER"
else
  say "kept $CONF_DIR, $STATE_DIR and user $SERVICE_USER (--purge removes them)"
fi
