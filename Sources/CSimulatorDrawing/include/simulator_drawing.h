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

/// Frees an image returned by folio_sim_render.
void folio_sim_free(void *bytes);

#endif
