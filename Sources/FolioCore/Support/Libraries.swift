import CCmark
import CLibXML2
import CVips
import Foundation

/// The C libraries Folio links, started once and asked what they can do.
public enum Libraries {
    /// Starts libvips; safe to call more than once.
    public static let startVips: Bool = folio_vips_init() == 0

    /// The running Folio binary: its device, inode, size and times (to the nanosecond), so a
    /// rebuilt or upgraded Folio is told from the last one without reading it, even one installed
    /// with the same size and modification time (a package manager that fixes every mtime).
    static let executable: String = {
        var binary = stat()
        return stat("/proc/self/exe", &binary) == 0 ? FileIdentity(binary).text : "unknown"
    }()

    /// `libvips 8.14.1, cmark 0.30.2, libxml2 2.9.14`.
    public static var versions: String {
        _ = startVips
        let vips = String(cString: folio_vips_version())
        let cmark = String(cString: cmark_version_string())
        return "libvips \(vips), cmark \(cmark), libxml2 \(LIBXML_DOTTED_VERSION)"
    }

    /// Whether the installed libvips can write `format`.
    public static func canEncode(_ format: ImageOutputFormat) -> Bool {
        guard startVips else { return false }
        let suffix: String =
            switch format {
            case .webp: ".webp"
            case .jpeg: ".jpg"
            case .avif: ".avif"
            }
        return folio_vips_can_save(suffix) != 0
    }
}
