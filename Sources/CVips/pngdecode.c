// A fast path for the PNGs models return: 8-bit RGB or RGBA, not interlaced. Decoding one of those
// through libvips' loader spends most of its time in two places: zlib's inflate and libpng's
// byte-at-a-time Paeth filter (Debian's libpng is built without its SIMD filters). Here the
// compressed stream is inflated in one call by libdeflate, about twice as fast as zlib, and the
// Paeth rows are undone a pixel at a time with SSE2. Anything else (palette, grey, 16-bit,
// interlaced, transparency chunks, a damaged file) returns NULL, and the caller reads the file
// through libvips as before. The pixels are the same bytes libvips' loader gives.
#include "cvips.h"
#include "pngdecode.h"
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

// Larger images go through libvips, which has its own limits and messages.
enum { largest_side = 1 << 15 };
static const uint64_t largest_pixels = 100u * 1000 * 1000;
static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static uint32_t big_endian(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

// Whether the chunk at `chunk` (length, type, data, CRC; its length already checked against the
// file) carries the CRC of its type and data.
static int crc_holds(const uint8_t *chunk) {
    const uint32_t n = big_endian(chunk);
    return (uint32_t)libdeflate_crc32(0, chunk + 4, (size_t)n + 4) == big_endian(chunk + 8 + n);
}

// Paeth's predictor for one byte: whichever of left, up and up-left is closest to left + up - up-left.
static inline uint8_t paeth_byte(int a, int b, int c) {
    int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
    return (uint8_t)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

// Paeth undone byte by byte over row[from..<length]: the whole row without SSE2, the bytes the
// SIMD loop leaves with it.
static void paeth_bytes(uint8_t *row, const uint8_t *up, size_t from, size_t length, int bpp) {
    for (size_t i = from; i < length; i++) {
        row[i] = (uint8_t)(row[i] + paeth_byte(i >= (size_t)bpp ? row[i - bpp] : 0, up[i], i >= (size_t)bpp ? up[i - bpp] : 0));
    }
}

#if defined(__SSE2__)
// Four bytes from p (a pixel, and for 3-byte pixels the next one's first byte, which is ignored)
// in the low 16-bit lanes.
static inline __attribute__((always_inline)) __m128i load_pixel(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return _mm_unpacklo_epi8(_mm_cvtsi32_si128((int)v), _mm_setzero_si128());
}

static inline __attribute__((always_inline)) __m128i absolute(__m128i x) {
    return _mm_max_epi16(x, _mm_sub_epi16(_mm_setzero_si128(), x));
}

// One row of Paeth filtering undone a pixel (3 or 4 bytes) at a time, in 16-bit lanes; the last
// pixel of a 3-byte row, where 4 bytes cannot be read, byte by byte.
static inline __attribute__((always_inline)) void paeth_pixels(uint8_t *row, const uint8_t *up, size_t length, int bpp) {
    __m128i a = _mm_setzero_si128(), c = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 4 <= length; i += (size_t)bpp) {
        __m128i b = load_pixel(up + i);
        __m128i x = load_pixel(row + i);
        __m128i pa = absolute(_mm_sub_epi16(b, c));
        __m128i pb = absolute(_mm_sub_epi16(a, c));
        __m128i pc = absolute(_mm_add_epi16(_mm_sub_epi16(b, c), _mm_sub_epi16(a, c)));
        // a where pa is the smallest, else b where pb <= pc, else c.
        __m128i not_a = _mm_cmpgt_epi16(pa, _mm_min_epi16(pb, pc));
        __m128i not_b = _mm_cmpgt_epi16(pb, pc);
        __m128i b_or_c = _mm_or_si128(_mm_andnot_si128(not_b, b), _mm_and_si128(not_b, c));
        __m128i predicted = _mm_or_si128(_mm_andnot_si128(not_a, a), _mm_and_si128(not_a, b_or_c));
        __m128i value = _mm_and_si128(_mm_add_epi16(x, predicted), _mm_set1_epi16(0xff));
        uint32_t out = (uint32_t)_mm_cvtsi128_si32(_mm_packus_epi16(value, value));
        if (bpp == 4) {
            memcpy(row + i, &out, 4);
        } else {
            uint16_t low = (uint16_t)out;
            memcpy(row + i, &low, 2);
            row[i + 2] = (uint8_t)(out >> 16);
        }
        a = value;
        c = b;
    }
    paeth_bytes(row, up, i, length, bpp);
}

static void paeth_row(uint8_t *row, const uint8_t *up, size_t length, int bpp) {
    if (bpp == 4) {
        paeth_pixels(row, up, length, 4);
    } else {
        paeth_pixels(row, up, length, 3);
    }
}
#else
static void paeth_row(uint8_t *row, const uint8_t *up, size_t length, int bpp) {
    paeth_bytes(row, up, 0, length, bpp);
}
#endif

// Undoes the five PNG filters, in place: row y (its filter byte, then `length` bytes) moves left
// by y + 1 bytes to make the image's row y, over bytes already used, so one buffer serves for both.
// The row above the first is zeros. Returns -1 for an unknown filter type.
static int unfilter(uint8_t *buffer, uint32_t height, size_t length, int bpp) {
    uint8_t *zeros = calloc(length, 1);
    if (zeros == NULL) return -1;
    const uint8_t *up = zeros;
    for (uint32_t y = 0; y < height; y++) {
        const uint8_t type = buffer[(size_t)y * (length + 1)];
        uint8_t *row = buffer + (size_t)y * length;
        memmove(row, buffer + (size_t)y * (length + 1) + 1, length);
        switch (type) {
        case 0: break;
        case 1:
            for (size_t i = (size_t)bpp; i < length; i++) row[i] = (uint8_t)(row[i] + row[i - bpp]);
            break;
        case 2:
            for (size_t i = 0; i < length; i++) row[i] = (uint8_t)(row[i] + up[i]);
            break;
        case 3:
            for (size_t i = 0; i < length; i++) row[i] = (uint8_t)(row[i] + (((i >= (size_t)bpp ? row[i - bpp] : 0) + up[i]) >> 1));
            break;
        case 4: paeth_row(row, up, length, bpp); break;
        default: free(zeros); return -1;
        }
        up = row;
    }
    free(zeros);
    return 0;
}

static void free_pixels(VipsImage *image, void *pixels) {
    (void)image;
    free(pixels);
}

VipsImage *folio_png_decode(const uint8_t *file, size_t size) {
    if (size < 8 + 25 || memcmp(file, png_signature, 8) != 0) return NULL;
    // IHDR first, 13 bytes.
    const uint8_t *ihdr = file + 8;
    if (big_endian(ihdr) != 13 || memcmp(ihdr + 4, "IHDR", 4) != 0) return NULL;
    const uint32_t width = big_endian(ihdr + 8), height = big_endian(ihdr + 12);
    const uint8_t depth = ihdr[16], colour = ihdr[17], compression = ihdr[18], filter = ihdr[19], interlace = ihdr[20];
    if (width == 0 || height == 0 || width > largest_side || height > largest_side) return NULL;
    if ((uint64_t)width * height > largest_pixels) return NULL;
    if (depth != 8 || (colour != 2 && colour != 6) || compression != 0 || filter != 0 || interlace != 0) return NULL;
    const int bpp = colour == 6 ? 4 : 3;
    const size_t length = (size_t)width * bpp;

    // Critical chunks whose CRC is wrong make libvips' loader fail: the same file is left to it.
    if (!crc_holds(ihdr)) return NULL;

    // The IDAT chunks, one run of them by the standard, joined (into at most the file's size);
    // other chunks are skipped, except those that change what libvips would give: transparency,
    // which becomes an alpha band, unknown critical chunks, and the first pHYs before the image
    // data, which libvips reads into the resolution JPEG renditions carry.
    size_t at = 8 + 25, joined = 0;
    uint8_t *stream = malloc(size);
    if (stream == NULL) return NULL;
    enum { before_idat, in_idat, after_idat } place = before_idat;
    int ended = 0, resolved = 0;
    // Without pHYs, what libvips says: 72 pixels per inch, as 2.834 per millimetre.
    double xres = 2.834, yres = 2.834;
    while (!ended) {
        if (size - at < 12) goto refuse;
        const uint32_t n = big_endian(file + at);
        const uint8_t *type = file + at + 4;
        if (n > size - at - 12) goto refuse;
        const uint8_t *data = file + at + 8;
        if (memcmp(type, "IDAT", 4) == 0) {
            if (place == after_idat) goto refuse;
            place = in_idat;
            if (n > 0) memcpy(stream + joined, data, n);
            joined += n;
        } else {
            if (place == in_idat) place = after_idat;
            if (memcmp(type, "IEND", 4) == 0) {
                ended = 1;
            } else if (memcmp(type, "pHYs", 4) == 0) {
                // As libvips' loader reads it: pixels per metre as pixels per millimetre, any
                // other unit as it is.
                if (n != 9) goto refuse;
                if (place == before_idat && !resolved) {
                    xres = data[8] == 1 ? big_endian(data) / 1000.0 : big_endian(data);
                    yres = data[8] == 1 ? big_endian(data + 4) / 1000.0 : big_endian(data + 4);
                    resolved = 1;
                }
            } else if (memcmp(type, "PLTE", 4) == 0) {
                if (!crc_holds(file + at)) goto refuse;
            } else if (memcmp(type, "tRNS", 4) == 0 || !(type[0] & 0x20)) {
                goto refuse;
            }
        }
        at += 12 + (size_t)n;
    }
    if (joined < 2) goto refuse;

    // zlib refuses a distance beyond the window its header declares, where libdeflate does not
    // look: a stream whose window may be too small for the image is libvips' to judge.
    const size_t filtered_size = (length + 1) * height;
    const unsigned method = stream[0] & 0x0f, window = stream[0] >> 4;
    if (method != 8 || window > 7 || (window < 7 && filtered_size > ((size_t)1 << (window + 8)))) goto refuse;

    uint8_t *pixels = malloc(filtered_size);
    if (pixels == NULL) goto refuse;
    struct libdeflate_decompressor *inflater = libdeflate_alloc_decompressor();
    size_t produced = 0;
    enum libdeflate_result result =
        inflater ? libdeflate_zlib_decompress(inflater, stream, joined, pixels, filtered_size, &produced) : LIBDEFLATE_BAD_DATA;
    if (inflater) libdeflate_free_decompressor(inflater);
    free(stream);
    stream = NULL;
    if (result != LIBDEFLATE_SUCCESS || produced != filtered_size || unfilter(pixels, height, length, bpp) != 0) {
        free(pixels);
        return NULL;
    }
    // The filter bytes are gone: give back the last `height` bytes.
    uint8_t *fitted = realloc(pixels, length * height);
    if (fitted != NULL) pixels = fitted;
    VipsImage *image = vips_image_new_from_memory(pixels, length * height, (int)width, (int)height, bpp, VIPS_FORMAT_UCHAR);
    if (image == NULL) {
        vips_error_clear();
        free(pixels);
        return NULL;
    }
    g_signal_connect(image, "postclose", G_CALLBACK(free_pixels), pixels);
    // libvips guesses multiband for four bands; a PNG's are RGB and alpha.
    image->Type = VIPS_INTERPRETATION_sRGB;
    image->Xres = xres;
    image->Yres = yres;
    return image;

refuse:
    free(stream);
    return NULL;
}

VipsImage *folio_png_decode_file(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat info;
    // Only regular files the size of an image; libvips reads anything else and says what is wrong.
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_size < 33 || info.st_size > (off_t)1 << 30) {
        close(fd);
        return NULL;
    }
    const size_t size = (size_t)info.st_size;
    // Not a PNG (a JPEG or WebP original): nothing more is read.
    uint8_t head[8];
    if (pread(fd, head, sizeof head, 0) != (ssize_t)sizeof head || memcmp(head, png_signature, sizeof head) != 0) {
        close(fd);
        return NULL;
    }
    uint8_t *file = malloc(size);
    size_t got = 0;
    while (file != NULL && got < size) {
        ssize_t n = read(fd, file + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    VipsImage *image = file != NULL && got == size ? folio_png_decode(file, size) : NULL;
    free(file);
    return image;
}

int folio_png_fast_path_check(const char *path) {
    VipsImage *fast = folio_png_decode_file(path);
    if (fast == NULL) return 0;
    VipsImage *loaded = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    VipsImage *slow = loaded != NULL ? vips_image_copy_memory(loaded) : NULL;
    if (loaded != NULL) g_object_unref(loaded);
    int same = slow != NULL && vips_image_get_width(fast) == vips_image_get_width(slow) &&
               vips_image_get_height(fast) == vips_image_get_height(slow) && vips_image_get_bands(fast) == vips_image_get_bands(slow) &&
               vips_image_get_format(fast) == vips_image_get_format(slow) &&
               vips_image_get_interpretation(fast) == vips_image_get_interpretation(slow) &&
               vips_image_get_xres(fast) == vips_image_get_xres(slow) && vips_image_get_yres(fast) == vips_image_get_yres(slow) &&
               memcmp(vips_image_get_data(fast), vips_image_get_data(slow), VIPS_IMAGE_SIZEOF_IMAGE(fast)) == 0;
    if (slow == NULL) vips_error_clear();
    if (slow != NULL) g_object_unref(slow);
    g_object_unref(fast);
    return same ? 1 : -1;
}
