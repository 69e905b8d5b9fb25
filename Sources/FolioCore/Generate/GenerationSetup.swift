import Foundation

/// Where the gateway is for a run: ANYINT_BASE_URL, else `gateway.base_url`; the key from ANYINT_API_KEY only.
public enum GatewaySetup {
    /// The endpoint from the environment and settings, or an error that says what to set.
    public static func endpoint(settings: Settings, environment: [String: String]) throws(GenerationError) -> GatewayEndpoint {
        let base = environment["ANYINT_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? settings.gateway.baseURL
        guard let key = environment["ANYINT_API_KEY"], !key.isEmpty else {
            throw GenerationError("ANYINT_API_KEY is not set: export your AnyInt key to generate, or run with --simulate to try Folio without one")
        }
        return try GatewayEndpoint(baseURL: base, key: key)
    }

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
