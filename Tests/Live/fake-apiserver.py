#!/usr/bin/env python3
"""A recorded Kubernetes API server for tests: NO real API server is involved.

Serves discovery (/api, /apis, /api/v1, group versions) and the list endpoints kubectl uses
from a snapshot's k8s/*.json, and simulates collector pods: a created pod runs at once and, after
--pod-delay seconds, its log is the archive NodeCollectionScript would print (built from
SNAP/nodes/NODE/netns/*) followed by the wrapper's "BOUNDARY READY BYTES" line; the pod keeps
running, and `kubectl exec POD -- cat FILE` answers with the archive over the WebSocket
remotecommand protocol (v5/v4.channel.k8s.io), as kubectl >= 1.30 speaks it. --log-limit keeps only
the last bytes of the log (kubelet's rotation of a large log); --no-exec refuses exec.
Binds 127.0.0.1 only, on an ephemeral port written to --port-file; every request is appended
to --log as "METHOD PATH" (and each created pod as "CREATED NAME"); it stops by itself after --max-requests requests, --idle seconds
without a request, or --lifetime seconds.
"""
import argparse, base64, hashlib, json, os, re, signal, struct, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

# Command (as the script prints it) -> file of the snapshot layout. Mirrors CollectionPlan.
STANDARD = {
    "ip -j -d link show": "ip-link.json", "ip -j addr show": "ip-addr.json",
    "ip -j route show table all": "ip-route.json", "ip -j -6 route show table all": "ip-route6.json",
    "ip -j rule show": "ip-rule.json", "ip -j -6 rule show": "ip-rule6.json",
    "ip -j neigh show": "ip-neigh.json", "bridge -j fdb show": "bridge-fdb.json",
    "ipset save": "ipset.txt", "ipvsadm -Sn": "ipvs.txt", "nft -j list ruleset": "nft.json",
    "ss -H -tuanp": "sockets.txt", "sysctl -a": "sysctl.txt",
}
LISTS = {
    "/api/v1/nodes": "nodes.json", "/api/v1/pods": "pods.json", "/api/v1/services": "services.json",
    "/apis/discovery.k8s.io/v1/endpointslices": "endpointslices.json",
    "/apis/networking.k8s.io/v1/networkpolicies": "networkpolicies.json",
    "/api/v1/endpoints": None, "/api/v1/configmaps": "configmaps.json",
}


def resource(name, kind, namespaced, verbs, single):
    return {"name": name, "singularName": single, "namespaced": namespaced, "kind": kind, "verbs": verbs}


LISTVERBS = ["get", "list"]
DISCOVERY = {
    "/api": {"kind": "APIVersions", "versions": ["v1"],
             "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": g, "versions": [{"groupVersion": g + "/v1", "version": "v1"}],
         "preferredVersion": {"groupVersion": g + "/v1", "version": "v1"}}
        for g in ("discovery.k8s.io", "networking.k8s.io")]},
    "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
        resource("nodes", "Node", False, LISTVERBS, "node"),
        resource("pods", "Pod", True, LISTVERBS + ["create", "delete"], "pod"),
        resource("pods/log", "Pod", True, ["get"], ""),
        resource("pods/exec", "PodExecOptions", True, ["create", "get"], ""),
        resource("services", "Service", True, LISTVERBS, "service"),
        resource("endpoints", "Endpoints", True, LISTVERBS, "endpoints"),
        resource("configmaps", "ConfigMap", True, LISTVERBS, "configmap"),
        resource("namespaces", "Namespace", False, LISTVERBS, "namespace")]},
    "/apis/discovery.k8s.io/v1": {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "discovery.k8s.io/v1",
                                  "resources": [resource("endpointslices", "EndpointSlice", True, LISTVERBS, "endpointslice")]},
    "/apis/networking.k8s.io/v1": {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "networking.k8s.io/v1",
                                   "resources": [resource("networkpolicies", "NetworkPolicy", True, LISTVERBS, "networkpolicy")]},
}


def archive(snapshot, node, boundary, missing_tools):
    """The archive the node script would print for SNAP/nodes/NODE."""
    base = os.path.join(snapshot, "nodes", node, "netns")
    ids = sorted(os.listdir(base))
    ids = ["host"] + [i for i in ids if i != "host"]
    out = ["\n%s SKOOP-ARCHIVE 1\n" % boundary]
    for index, ns in enumerate(ids):
        folder = os.path.join(base, ns)
        kind = "host" if ns == "host" else "named"
        out.append("\n%s N %d %s %d %s\n" % (boundary, index, kind, 4026531000 + index, ns))
        try:
            backend = open(os.path.join(folder, "iptables-backend.txt")).read().strip()
        except OSError:
            backend = None
        commands = dict(STANDARD)
        for b in ("legacy", "nft"):
            commands["iptables-%s-save -c" % b] = "iptables.txt" if b == backend else None
            commands["ip6tables-%s-save -c" % b] = "ip6tables.txt" if b == backend else None
        for command, name in commands.items():
            path = os.path.join(folder, name) if name else None
            tool = command.split()[0]
            if tool in missing_tools or not path or not os.path.exists(path):
                status, stdout, stderr = 127, "", "sh: %s: not found\n" % tool
            else:
                status, stdout, stderr = 0, open(path).read(), ""
            out.append("\n%s R %d %d %s\n%s\n%s E\n%s" % (boundary, index, status, command, stdout, boundary, stderr))
    out.append("\n%s END\n" % boundary)
    return "".join(out)


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.pods = {}
        self.created = {}
        self.requests = 0
        self.last = time.time()


def make_handler(state):
    args = state.args

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def send_json(self, code, obj):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def send_text(self, code, text):
            body = text.encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def status(self, code, reason, message):
            self.send_json(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                  "message": message, "reason": reason, "code": code})

        def record(self):
            with state.lock:
                state.requests += 1
                state.last = time.time()
                if args.log:
                    with open(args.log, "a") as log:
                        log.write("%s %s\n" % (self.command, self.path))

        def body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self):
            self.record()
            url = urlparse(self.path)
            path = url.path.rstrip("/") or "/"
            if path in DISCOVERY:
                return self.send_json(200, DISCOVERY[path])
            if path.startswith("/openapi") or path == "/version":
                return self.status(404, "NotFound", "not served by the recorded server")
            m = re.fullmatch(r"/api/v1/namespaces/([^/]+)/(configmaps|pods|services|endpoints)", path)
            namespace = None
            if m:
                namespace, path = m.group(1), "/api/v1/" + m.group(2)
            if path in LISTS:
                if path.endswith("endpointslices") and args.no_endpointslices:
                    return self.status(404, "NotFound", "the server could not find the requested resource")
                name = LISTS[path]
                doc = {"apiVersion": "v1", "kind": "List", "items": []}
                if name:
                    doc = json.load(open(os.path.join(args.snapshot, "k8s", name)))
                if namespace:
                    doc["items"] = [i for i in doc["items"] if i.get("metadata", {}).get("namespace") == namespace]
                doc.setdefault("metadata", {})["resourceVersion"] = "1"
                return self.send_json(200, doc)
            m = re.fullmatch(r"/api/v1/namespaces/([^/]+)/pods/([^/]+)(/log)?", path)
            if m:
                with state.lock:
                    pod = state.pods.get(m.group(2))
                if pod is None:
                    return self.status(404, "NotFound", 'pods "%s" not found' % m.group(2))
                if m.group(3):
                    if args.pod_mode == "fail":
                        return self.send_text(200, "sh: nsenter: not found\n")
                    log = pod_log(pod)
                    if args.log_limit and len(log) > args.log_limit:
                        log = log[-args.log_limit:]
                    tail = parse_qs(url.query).get("tailLines")
                    if tail:
                        log = "".join(log.splitlines(True)[-int(tail[0]):])
                    return self.send_text(200, log)
                return self.send_json(200, pod)
            m = re.fullmatch(r"/api/v1/namespaces/([^/]+)/pods/([^/]+)/exec", path)
            if m:
                return self.exec_command(m.group(2), parse_qs(url.query).get("command", []))
            return self.status(404, "NotFound", "the server could not find the requested resource")

        def exec_command(self, name, command):
            """`kubectl exec POD -- cat FILE` over a WebSocket (remotecommand v5/v4.channel.k8s.io)."""
            with state.lock:
                pod = state.pods.get(name)
            if pod is None:
                return self.status(404, "NotFound", 'pods "%s" not found' % name)
            if args.no_exec:
                return self.status(403, "Forbidden", 'pods "%s" is forbidden: cannot create resource "pods/exec"' % name)
            if self.headers.get("Upgrade", "").lower() != "websocket":
                return self.status(400, "BadRequest", "only the WebSocket remotecommand protocol is recorded here")
            offered = [p.strip() for p in self.headers.get("Sec-WebSocket-Protocol", "").split(",")]
            # v5 is v4 plus a client-side close signal for stdin, which cat does not use.
            protocol = next((p for p in offered if p in ("v5.channel.k8s.io", "v4.channel.k8s.io")), None)
            if protocol is None:
                return self.status(400, "BadRequest", "no v5/v4.channel.k8s.io offered: %s" % offered)
            key = self.headers.get("Sec-WebSocket-Key", "")
            accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
            self.send_response(101, "Switching Protocols")
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept.decode())
            self.send_header("Sec-WebSocket-Protocol", protocol)
            self.end_headers()
            if command[:1] == ["cat"] and len(command) == 2:
                data = archive_of(pod).encode()
                status = {"metadata": {}, "status": "Success"}
            else:
                data = b""
                status = {"metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
                          "message": "command terminated with non-zero exit code: exit status 1",
                          "details": {"causes": [{"reason": "ExitCode", "message": "1"}]}}
            for start in range(0, len(data), 65536):
                self.ws_frame(0x2, b"\x01" + data[start:start + 65536])
            self.ws_frame(0x2, b"\x03" + json.dumps(status).encode())
            self.ws_frame(0x8, struct.pack("!H", 1000))
            self.wfile.flush()
            self.close_connection = True

        def ws_frame(self, opcode, payload):
            header = bytes([0x80 | opcode])
            if len(payload) < 126:
                header += bytes([len(payload)])
            elif len(payload) < 65536:
                header += bytes([126]) + struct.pack("!H", len(payload))
            else:
                header += bytes([127]) + struct.pack("!Q", len(payload))
            self.wfile.write(header + payload)

        def do_POST(self):
            self.record()
            path = urlparse(self.path).path
            m = re.fullmatch(r"/api/v1/namespaces/([^/]+)/pods/([^/]+)/exec", path)
            if m:  # kubectl's SPDY fallback: refused like the WebSocket request, else not recorded
                return self.exec_command(m.group(2), [])
            m = re.fullmatch(r"/api/v1/namespaces/([^/]+)/pods", path)
            if not m:
                return self.status(405, "MethodNotAllowed", "only pods are created here")
            pod = json.loads(self.body() or b"{}")
            meta = pod.setdefault("metadata", {})
            meta["namespace"] = m.group(1)
            meta["uid"] = "uid-" + meta.get("name", "")
            meta["creationTimestamp"] = "2024-01-01T00:00:00Z"
            node = pod.get("spec", {}).get("nodeName", "")
            if node in args.stuck_nodes.split(","):
                pod["status"] = {"phase": "Pending", "containerStatuses": [{"name": "collect", "ready": False,
                    "state": {"waiting": {"reason": "ContainerCreating"}}}]}
            elif args.pod_mode == "fail":
                pod["status"] = {"phase": "Failed", "containerStatuses": [{"name": "collect", "ready": False,
                    "state": {"terminated": {"reason": "Error", "exitCode": 127}}}]}
            else:
                pod["status"] = {"phase": "Running", "containerStatuses": [{"name": "collect", "ready": True,
                    "state": {"running": {"startedAt": "2024-01-01T00:00:00Z"}}}]}
            with state.lock:
                state.created[meta.get("name", "")] = time.time()
                state.pods[meta.get("name", "")] = pod
                if args.log:
                    with open(args.log, "a") as log:
                        log.write("CREATED %s\n" % meta.get("name", ""))
            self.send_json(201, pod)

        def do_DELETE(self):
            self.record()
            self.body()
            m = re.fullmatch(r"/api/v1/namespaces/([^/]+)/pods/([^/]+)", urlparse(self.path).path)
            with state.lock:
                pod = state.pods.pop(m.group(2), None) if m else None
            if pod is None:
                return self.status(404, "NotFound", "not found")
            self.send_json(200, pod)

    def archive_of(pod):
        return archive(args.snapshot, pod["spec"]["nodeName"], pod["spec"]["containers"][0]["command"][-1],
                       set(filter(None, args.missing_tools.split(","))))

    def pod_log(pod):
        """Nothing while the pod "collects" (--pod-delay), then the archive and the READY line."""
        with state.lock:
            created = state.created.get(pod["metadata"]["name"], 0)
        if time.time() - created < args.pod_delay:
            return ""
        text = archive_of(pod)
        return "%s\n%s READY %d\n" % (text, pod["spec"]["containers"][0]["command"][-1], len(text.encode()))

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--snapshot", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log")
    parser.add_argument("--max-requests", type=int, default=2000)
    parser.add_argument("--idle", type=float, default=60)
    parser.add_argument("--lifetime", type=float, default=300)
    parser.add_argument("--pod-mode", choices=["succeed", "fail"], default="succeed")
    parser.add_argument("--stuck-nodes", default="", help="nodes whose collector pod never starts")
    parser.add_argument("--missing-tools", default="", help="tools the nodes lack")
    parser.add_argument("--no-endpointslices", action="store_true")
    parser.add_argument("--pod-delay", type=float, default=0, help="seconds a collector pod takes to collect")
    parser.add_argument("--log-limit", type=int, default=0, help="keep only the last bytes of a log (kubelet rotation)")
    parser.add_argument("--no-exec", action="store_true", help="refuse kubectl exec (RBAC without pods/exec)")
    args = parser.parse_args()
    # A parent runtime may have blocked these; the server must stop when told to.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP})
    state = State(args)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    server.timeout = 0.5
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    started = time.time()
    while True:
        server.handle_request()
        now = time.time()
        with state.lock:
            if state.requests >= args.max_requests or now - state.last > args.idle or now - started > args.lifetime:
                break
    server.server_close()


if __name__ == "__main__":
    main()
