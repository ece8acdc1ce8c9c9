#!/bin/sh
# anibridge-like container entrypoint.
# - Started as a non-root user (the image's default USER, or `user: "1001:1001"`): checks that
#   the data directory is writable, then runs the command.
# - Started as root (`user: "0:0"`) with PUID/PGID: makes the data directory theirs (only what
#   they do not own yet), then runs the command as PUID:PGID (never as root).
set -eu
data="${ANIBRIDGE_DATA_DIR:-/data}"
if [ "$(id -u)" = "0" ]; then
    puid="${PUID:-1000}"
    pgid="${PGID:-1000}"
    case "$puid$pgid" in
        *[!0-9]*) echo "error: PUID and PGID must be numbers (got PUID=$puid PGID=$pgid)" >&2; exit 1 ;;
    esac
    if [ "$puid" = "0" ]; then
        echo "error: PUID=0 would run anibridge-like as root; pick the uid owning your data" >&2
        exit 1
    fi
    mkdir -p "$data"
    find "$data" -xdev \( ! -user "$puid" -o ! -group "$pgid" \) -exec chown "$puid:$pgid" {} +
    exec setpriv --reuid="$puid" --regid="$pgid" --clear-groups --inh-caps=-all "$@"
fi
if ! [ -w "$data" ]; then
    echo "error: $data is not writable by uid $(id -u) gid $(id -g): chown the mounted" \
         "directory to $(id -u):$(id -g), or start the container as root with PUID/PGID" >&2
    exit 1
fi
exec "$@"
