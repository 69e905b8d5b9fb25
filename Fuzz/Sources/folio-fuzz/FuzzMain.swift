@testable import FolioCore
import Foundation

// libFuzzer's entry points. SwiftPM links an executable target with `main` renamed to
// `<module>_main`, so that is where libFuzzer's driver is started, for the target that
// FOLIO_FUZZ_TARGET names.

/// The target this process fuzzes.
let selected = ProcessInfo.processInfo.environment["FOLIO_FUZZ_TARGET"].flatMap(FuzzTarget.init(rawValue:))

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// One input: a broken property is a crash, which libFuzzer saves as an artifact.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let selected else { return 0 }
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let problems = selected.run(bytes)
    if !problems.isEmpty { fatalError("\(selected.rawValue): " + problems.joined(separator: "\n")) }
    return 0
}

@_cdecl("folio_fuzz_main")
func folioFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    guard selected != nil else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("folio-fuzz: set FOLIO_FUZZ_TARGET to one of \(names)\n".utf8))
        return 2
    }
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzOne)
}
