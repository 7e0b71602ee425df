import Foundation
import SkoopModel

/// Legacy-backend traces: `-j TRACE` logs through the netns's nf_log logger for IPv4, which the
/// verifier sets to nfnetlink_log inside each node netns (no host-wide setting changes), and
/// `tcpdump -i nflog:0` captures the messages (group 0 is nfnetlink_log's default).
extension GroundTruth {
    /// Where tcpdump is, nil when it is not installed (legacy traces are then skipped).
    static var tcpdumpPath: String? {
        ["/usr/bin/tcpdump", "/usr/sbin/tcpdump", "/bin/tcpdump", "/sbin/tcpdump"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Makes nfnetlink_log the IPv4 logger of every node netns: the per-netns nf_log/2 sysctl,
    /// written from inside the netns.
    func enableNFLOG() async {
        for node in topology.nodes {
            _ = await runner.run(["ip", "netns", "exec", state.netns(node.name), "sh", "-c",
                                  "echo nfnetlink_log > /proc/sys/net/netfilter/nf_log/2"])
        }
    }

    /// Starts `tcpdump -i nflog:0 -w FILE` in every node netns (as root: -Z keeps it from
    /// dropping to an account that may not write the file).
    func startCaptures(tag: Int) -> [TraceMonitor] {
        guard let tcpdump = Self.tcpdumpPath else { return [] }
        return topology.nodes.compactMap { node -> TraceMonitor? in
            let netns = state.netns(node.name)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-trace-\(netns)-\(tag).pcap").path
            try? FileManager.default.removeItem(atPath: file)  // readiness is seen by the header appearing
            guard let pid = try? BackgroundProcess.spawn(
                ["nsenter", "--net=/run/netns/\(netns)", tcpdump, "-i", "nflog:0", "-U", "-Z", "root", "-w", file]) else {
                return nil
            }
            return TraceMonitor(node: node.name, pid: pid, file: file, capture: true)
        }
    }

    /// Waits (up to 10 s) until every capture has written its pcap header: tcpdump writes it once
    /// bound to the NFLOG group, so from then on no TRACE message is missed. It is usually there
    /// within 100 ms; on a machine loaded by parallel test suites it took over 2 s, and a probe
    /// sent before it goes untraced.
    func waitUntilCapturing(_ monitors: [TraceMonitor]) async {
        for _ in 0..<500 {
            let ready = monitors.allSatisfy { monitor in
                !monitor.capture || (FileManager.default.contents(atPath: monitor.file)?.count ?? 0) >= 24
            }
            if ready { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Stops a capture and decodes it against the node's live ruleset (the one the snapshot
    /// holds); returns the hits (nil when the capture is unusable) and the text to keep: the
    /// hits rendered as xtables-monitor prints them, or a "cannot trace" line saying why not.
    func stopCapture(_ monitor: TraceMonitor) async -> ([XtablesTraceLine]?, String) {
        var status: Int32 = 0
        let exited = waitpid(monitor.pid, &status, WNOHANG) == monitor.pid
        if !exited { BackgroundProcess.stop(monitor.pid) }
        defer { try? FileManager.default.removeItem(atPath: monitor.file) }
        guard !exited else { return (nil, "cannot trace: tcpdump exited before it was stopped\n") }
        guard let data = FileManager.default.contents(atPath: monitor.file) else {
            return (nil, "cannot trace: tcpdump wrote no capture\n")
        }
        let saved = await runner.run(["ip", "netns", "exec", state.netns(monitor.node), "iptables-legacy-save"])
        do {
            let lines = try LegacyTraceDecoder.lines(pcap: [UInt8](data), rules: IptablesSaveRules(saved.stdout),
                                                     source: monitor.file)
            return (lines, LegacyTraceDecoder.render(lines))
        } catch {
            return (nil, "cannot trace: \(error)\n")
        }
    }
}
