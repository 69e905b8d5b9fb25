import CSimulatorDrawing
import FolioCore
import Foundation

/// Everything needed to draw one simulated result image again, byte for byte.
struct ImageSpec: Sendable {
    var seed: UInt64
    var width: Int
    var height: Int
    /// `png` or `jpeg`.
    var format: String
    var title: String
    var detail: SimulatedImageDetail
    /// When its URL stops working (storage-hosted images only).
    var expires: Date?
    /// Serve only half of it, then close the connection.
    var truncate = false

    var mime: String { format == "jpeg" ? "image/jpeg" : "image/png" }

    /// The encoded image.
    func render() throws -> [UInt8] {
        _ = Libraries.startVips
        var out: UnsafeMutableRawPointer?
        var length = 0
        let status = title.withCString { title in
            format.withCString { format in
                folio_sim_render_detail(Int32(width), Int32(height), seed, title, format, detail.drawing, &out, &length)
            }
        }
        guard status == 0, let out else { throw SimulatorError("could not render a \(width)×\(height) \(format) image") }
        defer { folio_sim_free(out) }
        return Array(UnsafeRawBufferPointer(start: out, count: length))
    }
}

extension SimulatedImageDetail {
    /// The level of detail as the C drawing code names it.
    var drawing: Int32 {
        switch self {
        case .simple: FOLIO_SIM_DETAIL_SIMPLE
        case .photo: FOLIO_SIM_DETAIL_PHOTO
        }
    }
}

/// The pixel sizes each route gives for its size settings.
enum ImageSizes {
    /// Gemini at 1K, by aspect ratio; 512 halves it, 2K doubles it, 4K quadruples it.
    static let gemini1K: [String: (Int, Int)] = [
        "1:1": (1024, 1024), "2:3": (848, 1264), "3:2": (1264, 848), "3:4": (896, 1200), "4:3": (1200, 896),
        "4:5": (928, 1152), "5:4": (1152, 928), "9:16": (768, 1376), "16:9": (1376, 768), "21:9": (1584, 672),
        "1:4": (512, 2048), "4:1": (2048, 512), "1:8": (352, 2816), "8:1": (2816, 352),
    ]

    static func gemini(aspectRatio: String?, imageSize: String?) -> (Int, Int) {
        let base = gemini1K[aspectRatio ?? "1:1"] ?? (1024, 1024)
        let factor: Double =
            switch imageSize ?? "1K" {
            case "512": 0.5
            case "2K": 2
            case "4K": 4
            default: 1
            }
        return (Int(Double(base.0) * factor), Int(Double(base.1) * factor))
    }

    /// DashScope's `W*H`.
    static func dashscope(size: String) -> (Int, Int) {
        let parts = size.split(separator: "*").compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : (1664, 928)
    }

    /// Kling: the long side is 1024 at 1k, 2048 at 2k, 4096 at 4k; the short side follows the ratio.
    static func kling(aspectRatio: String, resolution: String) -> (Int, Int) {
        let long: Double =
            switch resolution {
            case "2k": 2048
            case "4k": 4096
            default: 1024
            }
        let parts = aspectRatio.split(separator: ":").compactMap { Double($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { return (Int(long), Int(long)) }
        let (w, h) = parts[0] >= parts[1] ? (long, long * parts[1] / parts[0]) : (long * parts[0] / parts[1], long)
        return (Int((w / 8).rounded()) * 8, Int((h / 8).rounded()) * 8)
    }

    /// A size divided by the simulator's image scale, never below 8 px.
    static func scaled(_ size: (Int, Int), by scale: Int) -> (Int, Int) {
        (max(8, size.0 / max(scale, 1)), max(8, size.1 / max(scale, 1)))
    }
}
