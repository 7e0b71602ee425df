# Sourced by the live e2e scripts: start the RECORDED API server (Tests/Live/fake-apiserver.py; no
# real Kubernetes API server is available here) and inspect its request log. Needs $here (this
# folder), $work (a private temporary folder) and $fixture (the snapshot it serves).
server=""
export KUBECACHEDIR="$work/cache"

start_server() {  # extra server flags...
    stop_server
    rm -f "$work/port" "$work/requests.log"
    python3 "$here/fake-apiserver.py" --snapshot "$fixture" --port-file "$work/port" --log "$work/requests.log" \
        --idle 120 --lifetime 600 "$@" &
    server=$!
    for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
    sh "$here/kubeconfig.sh" "$(cat "$work/port")" > "$work/kubeconfig"
}
stop_server() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    server=""
}
pods_created() { grep '^CREATED ' "$work/requests.log" 2>/dev/null | cut -d' ' -f2 | sort -u; }
pods_deleted() { grep '^DELETE ' "$work/requests.log" 2>/dev/null | grep -o 'skoop-collector-[a-z0-9-]*' | sort -u; }
pods_all_deleted() {  # every pod created was deleted
    local created
    created=$(pods_created)
    [ -n "$created" ] && [ "$created" = "$(pods_deleted)" ]
}
