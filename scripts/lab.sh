#!/usr/bin/env bash
# A three-host Maestro cluster on this machine, to try Maestro as a cluster in a minute:
#
#   bash scripts/lab.sh up       # build the hosts, start etcd, agents and two servers
#   bash scripts/lab.sh status   # what runs where
#   bash scripts/lab.sh down     # stop everything and remove what `up` made
#
# Each host is a network namespace (lab-a, lab-b, lab-c) on one bridge, with its own dockerd, its own
# etcd member (one three-member etcd cluster) and its own `maestro agent --etcd`; lab-a and lab-b also
# run `maestro server --etcd`. The API is reachable from this (root) namespace; `up` prints the
# two variables that point `maestro` at it. Needs root, Debian's docker.io, etcd-server,
# busybox-static and iproute2, and a built Maestro (`npm ci && npm run build`).
# Faults to try: `ip link set lab-vc down` (partition lab-c), `bash scripts/lab.sh kill-host lab-c`.
set -euo pipefail
cd "$(dirname "$0")/.."

LAB_DIR=${MAESTRO_LAB_DIR:-/tmp/maestro-lab}
NET=${MAESTRO_LAB_NET:-10.213.250}
BRIDGE=lab-br0
HOSTS=(lab-a lab-b lab-c)
SERVERS=(lab-a lab-b)
MAIN="$PWD/dist/src/cli/main.js"
IMAGE=maestro-lab:busybox

addr() { # lab-a → 10.213.250.2
  local i
  for i in "${!HOSTS[@]}"; do if [ "${HOSTS[$i]}" = "$1" ]; then echo "$NET.$((i + 2))"; fi; done
}
veth() { echo "lab-v${1#lab-}"; }
in_ns() { local ns=$1; shift; nsenter --net="/var/run/netns/$ns" "$@"; }
dockersock() { echo "unix://$LAB_DIR/$1/docker.sock"; }
endpoints() { local h out=(); for h in "${HOSTS[@]}"; do out+=("http://$(addr "$h"):2379"); done; (IFS=,; echo "${out[*]}"); }

# Starts a command in the background inside a namespace, its pid in $LAB_DIR/pids/<name>.
spawn() {
  local name=$1 ns=$2; shift 2
  mkdir -p "$LAB_DIR/pids" "$LAB_DIR/logs"
  setsid nsenter --net="/var/run/netns/$ns" "$@" >"$LAB_DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$LAB_DIR/pids/$name"
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND…
  local secs=$1 what=$2; shift 2
  for _ in $(seq 1 "$((secs * 5))"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "lab: timed out waiting for $what (logs: $LAB_DIR/logs)" >&2
  return 1
}

need() {
  [ "$(id -u)" = 0 ] || { echo "lab: needs root (network namespaces, a dockerd per host)" >&2; exit 1; }
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v etcd >/dev/null || missing+=(etcd-server)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  command -v ip >/dev/null || missing+=(iproute2)
  if [ ${#missing[@]} -gt 0 ]; then echo "lab: install first: apt-get install -y ${missing[*]}" >&2; exit 1; fi
  [ -f "$MAIN" ] || { echo "lab: build Maestro first: npm ci && npm run build" >&2; exit 1; }
}

# A busybox image (httpd, nc, sh, wget…) imported into a host's dockerd: no registry is needed.
import_image() {
  local sock=$1 root
  DOCKER_HOST=$sock docker image inspect "$IMAGE" >/dev/null 2>&1 && return 0
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/www" "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for app in $(/bin/busybox --list); do [ "$app" = busybox ] || ln -sf busybox "$root/bin/$app"; done
  tar -C "$root" -c . | DOCKER_HOST=$sock docker import -c 'CMD ["sh"]' - "$IMAGE" >/dev/null
  rm -rf "$root"
}

up() {
  need
  [ -e "$LAB_DIR/token" ] && { echo "lab: already up ($LAB_DIR); run 'down' first" >&2; exit 1; }
  mkdir -p "$LAB_DIR"
  head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$LAB_DIR/token"
  ip link add name "$BRIDGE" type bridge
  ip addr add "$NET.1/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # dockerd sets the root FORWARD policy to DROP; bridged traffic between lab hosts crosses it.
  iptables -w -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
  local i h
  for i in "${!HOSTS[@]}"; do
    h=${HOSTS[$i]}
    mkdir -p "$LAB_DIR/$h"
    ip netns add "$h"
    ip link add "$(veth "$h")" type veth peer name eth0 netns "$h"
    ip link set "$(veth "$h")" master "$BRIDGE" up
    ip -n "$h" addr add "$(addr "$h")/24" dev eth0
    ip -n "$h" link set eth0 up
    ip -n "$h" link set lo up
    spawn "dockerd-$h" "$h" dockerd --data-root "$LAB_DIR/$h/docker" --exec-root "$LAB_DIR/$h/exec" \
      -H "$(dockersock "$h")" --pidfile "$LAB_DIR/$h/docker.pid" --bip "172.31.$((i + 1)).1/24" \
      --containerd-namespace "lab-$h" --containerd-plugins-namespace "lab-$h-plugins" \
      --iptables=false --ip-masq=false --log-level warn
  done
  local initial=()
  for h in "${HOSTS[@]}"; do initial+=("$h=http://$(addr "$h"):2380"); done
  for h in "${HOSTS[@]}"; do
    spawn "etcd-$h" "$h" etcd --name "$h" --data-dir "$LAB_DIR/$h/etcd" \
      --listen-client-urls "http://$(addr "$h"):2379" --advertise-client-urls "http://$(addr "$h"):2379" \
      --listen-peer-urls "http://$(addr "$h"):2380" --initial-advertise-peer-urls "http://$(addr "$h"):2380" \
      --initial-cluster "$(IFS=,; echo "${initial[*]}")" --initial-cluster-token maestro-lab \
      --initial-cluster-state new --heartbeat-interval 100 --election-timeout 1000 --pre-vote --log-level warn --logger zap
  done
  for h in "${HOSTS[@]}"; do
    wait_for 60 "dockerd on $h" env DOCKER_HOST="$(dockersock "$h")" docker info
    import_image "$(dockersock "$h")"
  done
  wait_for 60 "etcd quorum" curl -sf "http://$(addr lab-a):2379/health"
  for h in "${HOSTS[@]}"; do
    spawn "agent-$h" "$h" node "$MAIN" agent --etcd "$(endpoints)" --host "$h" --advertise "$(addr "$h")" \
      --data-dir "$LAB_DIR/$h/agent" --docker-host "$(dockersock "$h")" --dns-addr "$(addr "$h"):53" \
      --http-addr "$(addr "$h"):80" --proxy-bind "$(addr "$h")"
  done
  for h in "${SERVERS[@]}"; do
    spawn "server-$h" "$h" node "$MAIN" server --etcd "$(endpoints)" --host "$h-server" \
      --data-dir "$LAB_DIR/$h/server" --api-addr "$(addr "$h"):4680" --api-token "$(cat "$LAB_DIR/token")" --host-down-grace 5s
  done
  wait_for 60 "the API on lab-a" curl -sf -H "Authorization: Bearer $(cat "$LAB_DIR/token")" "http://$(addr lab-a):4680/healthz"
  cat <<EOF
lab: up — three hosts (${HOSTS[*]}) on $NET.0/24, etcd on each, servers on ${SERVERS[*]}.
Point maestro at it:
  export MAESTRO_ADDR=http://$(addr lab-a):4680 MAESTRO_API_TOKEN=$(cat "$LAB_DIR/token")
Try:
  maestro hosts
  maestro run examples/lab-web.yaml    # busybox httpd: maestro-lab:busybox is in every host's dockerd
  dig @$(addr lab-c) web.service.cluster
  curl -H 'Host: web.service.cluster' http://$(addr lab-b)/
  ip link set $(veth lab-c) down        # partition lab-c; 'up' to heal
Logs: $LAB_DIR/logs/   Stop: bash scripts/lab.sh down
EOF
}

status() {
  [ -e "$LAB_DIR/token" ] || { echo "lab: not up"; return 0; }
  local f name
  for f in "$LAB_DIR"/pids/*; do
    name=$(basename "$f")
    if kill -0 "$(cat "$f")" 2>/dev/null; then echo "  $name: running (pid $(cat "$f"))"; else echo "  $name: stopped"; fi
  done
  MAESTRO_ADDR="http://$(addr lab-a):4680" MAESTRO_API_TOKEN=$(cat "$LAB_DIR/token") node "$MAIN" hosts || true
}

# Host loss: its agent and dockerd die as in a crash (etcd stays, so the cluster keeps its quorum).
kill_host() {
  local h=${1:?host name, e.g. lab-c}
  for name in "agent-$h" "dockerd-$h"; do
    [ -f "$LAB_DIR/pids/$name" ] && kill -9 "$(cat "$LAB_DIR/pids/$name")" 2>/dev/null || true
  done
  echo "lab: killed the agent and dockerd of $h"
}

down() {
  local f h
  if [ -d "$LAB_DIR/pids" ]; then
    # Maestro first (so nothing recreates containers), then the daemons and etcd.
    for f in "$LAB_DIR"/pids/agent-* "$LAB_DIR"/pids/server-*; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
    sleep 1
    for h in "${HOSTS[@]}"; do
      DOCKER_HOST=$(dockersock "$h") timeout 20 sh -c 'ids=$(docker ps -aq); [ -z "$ids" ] || docker rm -f $ids' >/dev/null 2>&1 || true
    done
    for f in "$LAB_DIR"/pids/*; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
    sleep 2
    for f in "$LAB_DIR"/pids/*; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
  fi
  for h in "${HOSTS[@]}"; do
    umount -R "$LAB_DIR/$h/exec" 2>/dev/null || true
    ip link del "$(veth "$h")" 2>/dev/null || true
    ip netns del "$h" 2>/dev/null || true
  done
  iptables -w -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null || true
  ip link del "$BRIDGE" 2>/dev/null || true
  rm -rf "$LAB_DIR"
  echo "lab: down"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  kill-host) kill_host "${2:-}" ;;
  *) echo "usage: bash scripts/lab.sh up|down|status|kill-host HOST" >&2; exit 2 ;;
esac
