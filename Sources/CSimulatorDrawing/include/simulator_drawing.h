#ifndef FOLIO_SIMULATOR_DRAWING_H
#define FOLIO_SIMULATOR_DRAWING_H

// The gateway simulator's test images, drawn in C for speed. Only the simulator (and tests that
// need images) link this; the production shim for libvips is CVips.

#include <stddef.h>
#include <stdint.h>

/// Renders a deterministic test image of width×height from seed, with title drawn on it, encoded as
/// "png", "jpeg" or "webp". Returns 0 and sets *out (free with folio_sim_free) and *length; -1 on
/// failure. libvips must have been started (vips_init) first.
int folio_sim_render(int width, int height, uint64_t seed, const char *title, const char *format, void **out, size_t *length);

/// How much detail folio_sim_render_detail draws: the plain composition (what folio_sim_render draws),
/// or the same composition with photographic texture, grain and light, whose PNG is as large and
/// as slow to decode as a real model's (about 1.5 MB at 1024×1024).
#define FOLIO_SIM_DETAIL_SIMPLE 0
#define FOLIO_SIM_DETAIL_PHOTO 1

/// folio_sim_render with a level of detail, FOLIO_SIM_DETAIL_SIMPLE or FOLIO_SIM_DETAIL_PHOTO; the
/// same seed gives the same composition at either level.
int folio_sim_render_detail(int width, int height, uint64_t seed, const char *title, const char *format, int detail,
                            void **out, size_t *length);

/// Writes a PNG of noise over gradients (width×height, 1, 3 or 4 bands, 8 or 16 bits) to path
/// with one PNG row filter for every row (0 none … 4 Paeth, 5 the encoder's choice per row),
/// interlaced or not: the shapes of PNG that Folio's fast decoder (CVips' pngdecode.c) takes or
/// leaves to libvips. Returns 0, or -1.
int folio_sim_write_test_png(const char *path, int width, int height, int bands, int bits, int filter, int interlace, uint64_t seed);

/// Frees an image returned by folio_sim_render or folio_sim_render_detail.
void folio_sim_free(void *bytes);

#endif
