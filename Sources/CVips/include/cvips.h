#ifndef FOLIO_CVIPS_H
#define FOLIO_CVIPS_H

// Fixed-argument wrappers around libvips, whose API is variadic (Swift cannot call it directly).
// Only what FolioCore calls; the simulator draws its images in CSimulatorDrawing.

/// Starts libvips once per process; returns 0 on success.
int folio_vips_init(void);

/// Whether the installed libvips has a saver for the given suffix (".avif", ".webp", ".jpg").
int folio_vips_can_save(const char *suffix);

/// The libvips version as "major.minor.micro".
const char *folio_vips_version(void);

/// Sets libvips' worker threads per operation, and turns its operation cache off when cache is 0.
void folio_vips_configure(int threads, int cache);

#include <stddef.h>

/// What every rendition of one original carries, in place of whatever the original held: an XMP
/// packet, an EXIF block (starting "Exif\0\0"), and the text of a PNG `parameters` chunk. Any may
/// be absent (NULL, or a length of 0).
typedef struct {
    const void *xmp;
    size_t xmp_length;
    const void *exif;
    size_t exif_length;
    const char *png_parameters;
} FolioMetadata;

/// Decodes source once and writes it at each of count widths (largest first) in each of formats
/// formats: targets[i * formats + f] is the file for width i, format f, with save options in
/// brackets ("x.webp[Q=80]"). Every metadata field of the original is dropped; metadata, when
/// given, is written instead (the targets must then not say "strip"). rgb, when given, gets the
/// mean colour of the smallest width. Returns 0, or -1 with folio_vips_last_error() saying why.
int folio_render_renditions(const char *source, int count, const int *widths, int formats,
                            const char *const *targets, double rgb[3], const FolioMetadata *metadata);

/// Whether the PNG at path takes Folio's fast decoder (pngdecode.c) and gives the very pixels,
/// bands, interpretation and resolution libvips' own loader gives: 1 it does, 0 the fast decoder
/// leaves this file to libvips, -1 they differ (or libvips cannot read a file the fast decoder
/// took). For tests and benchmarks.
int folio_png_fast_path_check(const char *path);

/// The message of the last failed call on this thread's behalf (not thread-safe across failures).
const char *folio_vips_last_error(void);

#endif
