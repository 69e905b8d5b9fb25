import Foundation

/// Where the gateway is for a run: ANYINT_BASE_URL, else `gateway.base_url`; the key from ANYINT_API_KEY only.
public enum GatewaySetup {
    /// The endpoint from the environment and settings, or an error that says what to set.
    public static func endpoint(settings: Settings, environment: [String: String]) throws(FolioError) -> GatewayEndpoint {
        let fromEnvironment = environment["ANYINT_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let base = fromEnvironment ?? settings.gateway.baseURL
        guard let key = environment["ANYINT_API_KEY"], !key.isEmpty else {
            throw FolioError("ANYINT_API_KEY is not set: export your AnyInt key to generate, or run with --simulate to try Folio without one")
        }
        let endpoint = try GatewayEndpoint(baseURL: base, key: key)
        // A cloned project must not be able to send your key elsewhere: a gateway named only in
        // folio.yml gets it when it is AnyInt's own, or when ANYINT_BASE_URL names the same host.
        if fromEnvironment == nil, let host = URL(string: base)?.host?.lowercased(), !officialHosts.contains(host) {
            throw FolioError(
                """
                folio.yml sets gateway.base_url to \(endpoint.baseURL), which is not AnyInt's gateway; Folio sends your key there only when \
                ANYINT_BASE_URL names the same host. If you trust it: export ANYINT_BASE_URL=\(endpoint.baseURL)
                """)
        }
        return endpoint
    }

    /// The wait scale a run may use: `FOLIO_TIME_SCALE` speeds waits up for the simulator and tests,
    /// so it holds only against a gateway on this machine; a real gateway is never hurried.
    public static func timeScale(requested: Double, endpoint: GatewayEndpoint) -> Double {
        endpoint.isLoopback && requested >= 0 ? requested : 1
    }

    /// The gateway's documented hosts, which `folio.yml` may name without ANYINT_BASE_URL.
    static let officialHosts: Set<String> = ["api.anyint.ai", "gateway.api.anyint.ai"]

    /// Generation options from `folio.yml` and the command line.
    public static func options(settings: Settings, jobs: Int?, retryFailed: Bool, regenerate: Bool, timeScale: Double) -> GenerationOptions {
        var options = GenerationOptions()
        options.jobs = jobs ?? settings.gateway.concurrency
        options.retries = settings.gateway.retries
        options.pollTimeout = settings.gateway.pollTimeout
        options.maxDownloadBytes = settings.gateway.maxDownloadBytes
        options.retryFailed = retryFailed
        options.regenerate = regenerate
        options.timing.scale = timeScale
        return options
    }
}
