import SkoopModel

/// The lab pods' TCP servers: a small python3 program that accepts concurrently with a normal
/// listen backlog. openbsd nc (`nc -dlk`) serves one connection at a time with a backlog of 1:
/// under a fault that leaves handshakes half-open (asymmetric-return), its queues fill and probes
/// to healthy backends fail too.
extension LabListener {
    /// A listener on `port` for one family, bound to the wildcard address like `nc -4/-6 -l`: the
    /// IPv6 socket is dual-stack (`*:PORT` in ss) and both set SO_REUSEPORT so they coexist. The
    /// port is the last argument (LabController waits for it to be bound).
    public static func tcp(netnsID: String, family: AddressFamily, port: Int) -> LabListener {
        LabListener(netnsID: netnsID, argv: ["python3", "-I", "-S", "-c", tcpServer, family == .inet ? "-4" : "-6", String(port)])
    }

    /// Accepts every connection and reads it to its end on a thread of its own, as nc -d reads
    /// and discards what a client sends. -I -S: no site packages or environment (faster start).
    static let tcpServer = """
        import socket, sys, threading
        family = socket.AF_INET6 if sys.argv[1] == "-6" else socket.AF_INET
        server = socket.socket(family, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        server.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", int(sys.argv[2])))
        server.listen(1024)
        def drain(connection):
            with connection:
                connection.settimeout(60)
                try:
                    while connection.recv(65536):
                        pass
                except OSError:
                    pass
        while True:
            connection, _ = server.accept()
            threading.Thread(target=drain, args=(connection,), daemon=True).start()
        """
}
