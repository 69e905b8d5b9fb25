/// The sentences the command line prints about a build, kept beside what they describe so the
/// library's tests can read them exactly.
extension GenerationEvent {
    /// One progress line when standard error is not a terminal; nil when only `--verbose` shows it.
    public func line(verbose: Bool) -> String? {
        switch self {
        case .started(let id, let route, let action): verbose ? "\(action.rawValue) \(id) (\(route.rawValue))" : nil
        case .submitted(let id, let task): verbose ? "task \(task) for \(id)" : nil
        case .retrying(let id, let attempt, let delay, let reason): "retry \(attempt) of \(id) in \(String(format: "%.1f", delay)) s: \(reason)"
        case .generated(let id, let images): "generated \(id) (\(images) image\(images == 1 ? "" : "s"))"
        case .cached(let id): verbose ? "cached \(id)" : nil
        case .pending(let id, let reason): "pending \(id): \(reason)"
        case .failed(let id, let error): "failed \(id): \(error.kind.rawValue)\(error.code.map { " \($0)" } ?? ""): \(error.message)"
        case .missing(let id, let reason): "missing \(id): \(reason)"
        }
    }
}

extension GenerationReport {
    /// The closing lines: `12 generated, 3 cached, 1 failed in 41 s` (not when quiet), then each
    /// failure, missing and pending prompt with its reason, and what to do next.
    public func closingLines(quiet: Bool) -> [String] {
        var lines: [String] = []
        if !quiet { lines.append(summary) }
        for (id, error) in failed {
            lines.append("  failed  \(id): \(error.kind.rawValue)\(error.code.map { " \($0)" } ?? ""): \(error.message)")
        }
        for (id, reason) in missing { lines.append("  missing \(id): \(reason)") }
        for (id, reason) in pending { lines.append("  pending \(id): \(reason)") }
        lines += spendingLines
        if uncertain > 0 {
            let them = uncertain == 1 ? "it" : "them"
            lines.append(
                "\(uncertain) call\(uncertain == 1 ? "" : "s") may have been charged without returning an image (failed as uncertain); none was sent again. Check your usage with the provider, then run with --retry-failed to send \(them) once more."
            )
        }
        if !pending.isEmpty {
            lines.append(
                "Run the same command again to resume: Kling tasks are polled or looked up by their external id, and only variants never asked for are requested."
            )
        }
        return lines
    }
}

extension RenderReport {
    /// `rendered site/: 12 pages (…)`, then each placeholder and each prompt missing some images, with why.
    public func lines(site: String) -> [String] {
        let shown = placeholders.isEmpty ? "" : ", \(placeholders.count) shown as placeholders"
        let partly = incomplete.isEmpty ? "" : ", \(incomplete.count) without some of \(incomplete.count == 1 ? "its" : "their") images"
        let head =
            "rendered \(site)/: \(pages) pages (\(written) files written, \(unchanged) unchanged), \(imagesRendered) images rendered, \(imagesSkipped) already done\(shown)\(partly)"
        return [head] + placeholders.map { "  placeholder \($0.id): \($0.reason)" } + incomplete.map { "  incomplete  \($0.id): \($0.explanation)" }
    }
}
