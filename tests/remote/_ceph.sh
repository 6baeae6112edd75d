#!/usr/bin/env bash
# A single-node Ceph cluster with an S3 gateway (radosgw), for the remote-store tests:
# one monitor, one OSD (bluestore on a file), pool size 1, no authentication, every
# daemon bound to 127.0.0.1 (the gateway to ADDRESS when given) and every file under DIR.
#
#   ceph.sh start DIR [PORT [ADDRESS]]
#                              start it (prints "endpoint=… access=… secret=…" when ready);
#                              the gateway listens on ADDRESS:PORT (default 127.0.0.1:7480)
#   ceph.sh stop DIR           stop every daemon it started, by pid
#   ceph.sh rgw-stop DIR       stop only the S3 gateway (by pid), as a server gone mid-request
#   ceph.sh rgw-start DIR      start the gateway again on its port (the cluster kept running)
#
# Needs Debian's ceph-mon, ceph-osd and radosgw. Cold start ~20 s; stop ~6 s.
# -E: the ERR trap below also fires inside functions (ceph_), which failed silently before.
set -Eeuo pipefail

cmd=${1:?usage: ceph.sh start|stop DIR [PORT]}
dir=$(realpath -m "${2:?usage: ceph.sh start|stop DIR [PORT]}")
port=${3:-7480}
address=${4:-127.0.0.1}
conf="$dir/ceph.conf"
access=cairn-test-access
secret=cairn-test-secret

stop() {
  for name in ${*:-rgw osd mon}; do
    pidfile="$dir/run/$name.pid"
    [[ -f $pidfile ]] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

if [[ $cmd == stop ]]; then
  stop rgw osd mon
  exit 0
fi
if [[ $cmd == rgw-stop ]]; then
  stop rgw
  exit 0
fi
if [[ $cmd == rgw-start ]]; then
  endpoint=$(sed -n 's/^rgw_frontends = beast endpoint=\([^ ]*:[0-9]*\).*$/\1/p' "$conf")
  radosgw -c "$conf" -n client.rgw >>"$dir/log/start.log" 2>&1
  for _ in $(seq 1 300); do
    curl -s -o /dev/null "http://$endpoint/" && exit 0
    sleep 0.2
  done
  echo "ceph.sh: radosgw did not answer again on $endpoint (see $dir/log)" >&2
  exit 1
fi
[[ $cmd == start ]] || { echo "usage: ceph.sh start|stop DIR [PORT]" >&2; exit 2; }

for tool in ceph-mon ceph-osd radosgw monmaptool ceph radosgw-admin; do
  command -v "$tool" >/dev/null || { echo "ceph.sh: $tool is not installed (apt-get install ceph-mon ceph-osd radosgw)" >&2; exit 3; }
done

mkdir -p "$dir"/{run,log,mon,osd}
# A failed step says which, and where its daemon's log is.
trap 'echo "ceph.sh: line $LINENO failed: $BASH_COMMAND (logs in $dir/log)" >&2' ERR
fsid=$(cat "$dir/fsid" 2>/dev/null || { uuidgen || cat /proc/sys/kernel/random/uuid; } | tee "$dir/fsid")
mon_port=${CEPH_MON_PORT:-6789}
cat > "$conf" <<EOF
[global]
fsid = $fsid
mon_host = v1:127.0.0.1:$mon_port
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv6 = false
ms_bind_msgr2 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
osd_crush_chooseleaf_type = 0
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
mon_max_pg_per_osd = 1000
mon_warn_on_pool_no_redundancy = false
run_dir = $dir/run
log_file = $dir/log/\$name.log
admin_socket = $dir/run/\$name.asok
keyring = $dir/keyring
mon_data = $dir/mon/\$cluster-\$id
osd_data = $dir/osd/\$cluster-\$id
[mon]
pid_file = $dir/run/mon.pid
[osd]
pid_file = $dir/run/osd.pid
osd_objectstore = bluestore
bluestore_block_path = $dir/osd/block
bluestore_block_create = true
bluestore_block_size = 4294967296
osd_max_object_name_len = 460
osd_max_object_namespace_len = 64
osd_memory_target = 536870912
[client.rgw]
pid_file = $dir/run/rgw.pid
# tcp_nodelay: without it radosgw's replies on a kept-alive connection wait for the
# client's delayed ACK (measured: 45 ms a request from the SDK, 6 ms without keep-alive).
rgw_frontends = beast endpoint=$address:$port tcp_nodelay=1
rgw_dns_name = $address
EOF
ceph_() { ceph -c "$conf" --connect-timeout 5 "$@"; }
# A setup command the monitor refused right after its start (measured: "handle_command on
# fsid 00000000-…", a silent exit before -E) is tried again; each of them is idempotent.
ceph_retry() {
  local n
  for n in 1 2 3 4 5; do
    ceph_ "$@" && return 0
    sleep 1
  done
  ceph_ "$@"
}

if [[ ! -d $dir/mon/ceph-a ]]; then
  monmaptool --create --clobber --addv a "[v1:127.0.0.1:$mon_port]" --fsid "$fsid" "$dir/monmap" >/dev/null
  ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" >/dev/null 2>&1
fi
ceph-mon -c "$conf" -i a >>"$dir/log/start.log" 2>&1
# Waits are generous: on a loaded 2-core machine the monitor has taken over 20 s.
for _ in $(seq 1 300); do ceph_ mon stat >/dev/null 2>&1 && break; sleep 0.2; done
ceph_ mon stat >/dev/null 2>&1 || { echo "ceph.sh: the monitor did not answer in 60 s (see $dir/log)" >&2; stop; exit 1; }

if [[ ! -f $dir/osd/id ]]; then
  uuid=$({ uuidgen || cat /proc/sys/kernel/random/uuid; })
  id=$(ceph_retry osd new "$uuid")
  mkdir -p "$dir/osd/ceph-$id"
  ceph-osd -c "$conf" -i "$id" --mkfs --osd-uuid "$uuid" >/dev/null 2>&1
  ceph_retry osd crush add-bucket localhost host >/dev/null 2>&1
  ceph_retry osd crush move localhost root=default >/dev/null 2>&1
  ceph_retry osd crush add "osd.$id" 1.0 host=localhost >/dev/null 2>&1
  echo "$id" > "$dir/osd/id"
fi
id=$(cat "$dir/osd/id")
# Its first start right after the monitor's can fail ("wrong fsid"): try again.
# Under --parallel (three clusters starting on two cores) two tries were not enough:
# five, two seconds apart.
started=
for _ in 1 2 3 4 5; do
  ceph-osd -c "$conf" -i "$id" >>"$dir/log/start.log" 2>&1 && { started=1; break; }
  sleep 2
done
[[ -n $started ]] || ceph-osd -c "$conf" -i "$id" >>"$dir/log/start.log" 2>&1
for _ in $(seq 1 300); do
  ceph_ osd stat 2>/dev/null | grep -q " 1 up" && break
  sleep 0.2
done
ceph_ osd stat 2>/dev/null | grep -q " 1 up" || { echo "ceph.sh: the OSD did not come up in 60 s (see $dir/log)" >&2; stop; exit 1; }

radosgw -c "$conf" -n client.rgw >>"$dir/log/start.log" 2>&1
for _ in $(seq 1 300); do
  curl -s -o /dev/null "http://$address:$port/" && break
  sleep 0.2
done
curl -s -o /dev/null "http://$address:$port/" || { echo "ceph.sh: radosgw did not answer on $address:$port (see $dir/log)" >&2; stop; exit 1; }
radosgw-admin -c "$conf" user info --uid cairn >/dev/null 2>&1 ||
  radosgw-admin -c "$conf" user create --uid cairn --display-name cairn \
    --access-key "$access" --secret "$secret" >/dev/null
echo "endpoint=http://$address:$port access=$access secret=$secret"
