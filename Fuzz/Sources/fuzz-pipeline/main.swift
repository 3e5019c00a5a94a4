import CLibFuzzer
import FuzzSupport
import Glibc

// libFuzzer's entry point: one input (see FuzzChecks.pipeline). Returns 0; a violated property traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzChecks.pipeline(FuzzChecks.bytes(data, size))
    return 0
}

// SwiftPM links this file's top-level code as the program's `main`, so it starts libFuzzer's driver itself.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzTestOneInput(data, size) })
