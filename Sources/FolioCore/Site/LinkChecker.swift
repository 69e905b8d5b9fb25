import CLibXML2
import Foundation

/// Parses every rendered page with libxml2 and checks that each local `href`, `src` and `srcset`
/// entry names a file of the site.
enum LinkChecker {
    struct Broken: Sendable, Hashable {
        var page: String
        var link: String
    }

    /// Checks `pages` on all cores; the broken links come back in page order.
    static func check(site: URL, pages: [String], files: Set<String>) async -> [Broken] {
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let chunk = max(1, (pages.count + workers - 1) / workers)
        return await withTaskGroup(of: (Int, [Broken]).self) { group in
            for start in stride(from: 0, to: pages.count, by: chunk) {
                group.addTask {
                    var broken: [Broken] = []
                    for page in pages[start..<min(start + chunk, pages.count)] {
                        guard let bytes = FastFiles.read(site.path + "/" + page) else { continue }
                        for link in links(in: bytes) where !resolves(link, from: page, files: files, site: site) {
                            broken.append(Broken(page: page, link: link))
                        }
                    }
                    return (start, broken)
                }
            }
            var parts: [(Int, [Broken])] = []
            for await part in group { parts.append(part) }
            return parts.sorted { $0.0 < $1.0 }.flatMap(\.1)
        }
    }

    /// Every `href`, `src` and `srcset` URL of an HTML document.
    static func links(in bytes: [UInt8]) -> [String] {
        let options = Int32(HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue | HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NONET.rawValue)
        let document = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                htmlReadMemory(chars.baseAddress, Int32(chars.count), "page.html", "UTF-8", options)
            }
        }
        guard let document else { return [] }
        defer { xmlFreeDoc(document) }
        guard let context = xmlXPathNewContext(document) else { return [] }
        defer { xmlXPathFreeContext(context) }
        guard let result = xmlXPathEvalExpression("//@href | //@src | //@srcset", context) else { return [] }
        defer { xmlXPathFreeObject(result) }
        var urls: [String] = []
        guard let set = result.pointee.nodesetval else { return [] }
        for index in 0..<Int(set.pointee.nodeNr) {
            guard let node = set.pointee.nodeTab[index], let raw = xmlNodeGetContent(node) else { continue }
            let value = String(cString: raw)
            folio_xml_free(raw)
            let name = String(cString: node.pointee.name)
            if name == "srcset" {
                urls += value.split(separator: ",").compactMap { $0.split(separator: " ", omittingEmptySubsequences: true).first.map(String.init) }
            } else {
                urls.append(value)
            }
        }
        return urls
    }

    static func resolves(_ link: String, from page: String, files: Set<String>, site: URL) -> Bool {
        let trimmed = link.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("//") { return true }
        if let colon = trimmed.firstIndex(of: ":"), !trimmed[..<colon].contains("/") { return true }  // has a scheme
        var path = trimmed
        if let cut = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = String(path[..<cut]) }
        if path.contains("%") { path = path.removingPercentEncoding ?? path }
        let folder = (page as NSString).deletingLastPathComponent
        guard let target = Slug.normalize(folder.isEmpty ? path : folder + "/" + path) else { return false }
        if files.contains(target) { return true }
        // Only what this build produced counts: anything else in the folder is pruned after the check.
        return files.contains(target + "/index.html")
    }
}
