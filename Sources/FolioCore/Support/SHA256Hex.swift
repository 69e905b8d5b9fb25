import Crypto
import Foundation

/// Lowercase hex SHA-256 digests.
public enum SHA256Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The digest of `bytes` as 64 lowercase hex characters.
    public static func of(_ bytes: some DataProtocol) -> String {
        hex(SHA256.hash(data: bytes))
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
