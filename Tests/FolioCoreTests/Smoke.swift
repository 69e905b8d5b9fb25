import Testing
@testable import FolioCore
@Test func smoke() { #expect(1 == 1) }
