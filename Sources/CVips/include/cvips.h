#ifndef FOLIO_CVIPS_H
#define FOLIO_CVIPS_H

#include <stddef.h>
#include <stdint.h>
#include <vips/vips.h>

/// Starts libvips once per process; returns 0 on success.
int folio_vips_init(void);

/// Whether the installed libvips has a saver for the given suffix (".avif", ".webp", ".jpg").
int folio_vips_can_save(const char *suffix);

/// The libvips version as "major.minor.micro".
const char *folio_vips_version(void);

/// Reads width and height from a file's header without decoding pixels; returns 0 on success.
int folio_vips_header(const char *path, int *width, int *height);

/// Renders a deterministic test image of width×height from seed, with title drawn on it, encoded as
/// "png", "jpeg" or "webp". Returns 0 and sets *out (free with g_free) and *length; -1 on failure.
int folio_sim_render(int width, int height, uint64_t seed, const char *title, const char *format, void **out, size_t *length);

/// Sets libvips' worker threads per operation, and turns its operation cache off when cache is 0.
void folio_vips_configure(int threads, int cache);

/// Decodes source once and writes it at each of count widths (largest first) in each of formats
/// formats: targets[i * formats + f] is the file for width i, format f, with save options in
/// brackets ("x.webp[Q=80,strip]"). rgb, when given, gets the mean colour of the smallest width.
/// Returns 0, or -1 with folio_vips_last_error() saying why.
int folio_render_renditions(const char *source, int count, const int *widths, int formats,
                            const char *const *targets, double rgb[3]);

/// The message of the last failed call on this thread's behalf (not thread-safe across failures).
const char *folio_vips_last_error(void);

#endif
