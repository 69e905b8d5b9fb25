// Folio supports Linux only: its POSIX layer (atomic writes, run locks, file identities, the
// directory walker, reflink copies) calls Glibc directly, and CI builds on Debian 12.
#if !os(Linux)
#error("Folio builds and runs on Linux only; see the set-up section of README.md.")
#endif
