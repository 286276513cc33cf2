public import DuplexCore

extension ControlService {
    /// `duplexctl checkpoints` (nil) or `duplexctl checkpoint show NAME`: asks the checkpoint
    /// thread (a bounded wait).
    func checkpointResponse(_ name: String?) -> ControlResponse {
        guard let checkpoints else {
            return .error(ControlErrorReply(code: .unsupported, message: "this duplexd has no checkpoint service"))
        }
        let sync = checkpoints.status.report
        switch checkpoints.ask(name.map { .show($0) } ?? .list) {
        case .list(let infos)?:
            return .checkpoints(CheckpointReport(sync: sync, checkpoints: infos))
        case .show(let info?, let sections, let more)?:
            var kept: [SessionSection] = []
            var size = 0
            for section in sections {
                size += section.encodedSize
                guard size <= CheckpointReport.sectionBytesMax else { break }
                kept.append(section)
            }
            return .checkpoints(CheckpointReport(
                sync: sync, checkpoints: [info], sections: kept, sectionsTruncated: more || kept.count < sections.count))
        case .show(nil, _, _)?:
            return .error(ControlErrorReply(code: .badRequest, message: "no checkpoint named \"\(name ?? "")\""))
        case .resync?, nil:
            return .error(ControlErrorReply(code: .busy, message: "the checkpoint thread did not answer in time"))
        }
    }

    /// `duplexctl resync`: this standby drops its replica's stream and resynchronises in full.
    func resyncResponse() -> ControlResponse {
        guard let checkpoints else {
            return .error(ControlErrorReply(code: .unsupported, message: "this duplexd has no checkpoint service"))
        }
        switch checkpoints.ask(.resync) {
        case .resync(nil)?:
            return .ok
        case .resync(let refusal?)?:
            return .error(ControlErrorReply(code: .badRequest, message: refusal))
        case .list?, .show?, nil:
            return .error(ControlErrorReply(code: .busy, message: "the checkpoint thread did not answer in time"))
        }
    }
}

extension CheckpointServiceStatus {
    /// The operator's view of this status.
    public var report: CheckpointSyncReport {
        var report = CheckpointSyncReport(
            role: role, syncPolicy: syncPolicy, progress: progress, isHot: isHot, mateIsHot: mateIsHot,
            mateReachable: mateReachable, mateLag: mateLag, sequence: sequence, checkpoints: checkpoints,
            sections: sections, bytes: bytes, window: window, pending: pending, clients: clients,
            writesRefused: writesRefused)
        report.replication = counters
        report.isReplicated = isReplicated
        return report
    }
}
