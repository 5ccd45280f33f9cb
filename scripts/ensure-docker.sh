#!/usr/bin/env bash
# Makes sure a Docker daemon answers: installs Debian's docker.io (and any extra packages named as
# arguments) when missing, starts dockerd in the background when no daemon answers, and waits until
# `docker info` succeeds (60 s at most). Used by scripts/up.sh and .ci/run. Needs root for apt/dockerd.
set -euo pipefail

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
for pkg in "$@"; do
  case "$pkg" in
    busybox-static) [ -x /bin/busybox ] || need+=("$pkg") ;;
    dnsutils) command -v dig >/dev/null 2>&1 || need+=("$pkg") ;;
    iproute2) command -v ip >/dev/null 2>&1 || need+=("$pkg") ;;
    etcd-server) command -v etcd >/dev/null 2>&1 || need+=("$pkg") ;;
    *) command -v "$pkg" >/dev/null 2>&1 || need+=("$pkg") ;;
  esac
done
if [ ${#need[@]} -gt 0 ]; then
  echo "maestro: installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  echo "maestro: starting dockerd (log: /tmp/maestro-dockerd.log)"
  nohup dockerd >/tmp/maestro-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    echo "maestro: dockerd did not come up within 60 s" >&2
    tail -n 40 /tmp/maestro-dockerd.log >&2 || true
    exit 1
  fi
fi
docker info --format 'maestro: docker {{.ServerVersion}} ({{.Driver}})'
