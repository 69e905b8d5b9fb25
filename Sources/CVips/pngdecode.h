#ifndef FOLIO_PNGDECODE_H
#define FOLIO_PNGDECODE_H

#include <stddef.h>
#include <stdint.h>
#include <vips/vips.h>

/// The pixels of an 8-bit RGB or RGBA, non-interlaced PNG held in `file`, as an sRGB image in
/// memory (the same bytes libvips' own loader gives); NULL for any other PNG, anything else, or a
/// damaged file, which the caller then reads through libvips.
VipsImage *folio_png_decode(const uint8_t *file, size_t size);

/// The same for the file at `path` (a regular file), read whole.
VipsImage *folio_png_decode_file(const char *path);

#endif
