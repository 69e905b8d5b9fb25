// The site's image renditions: decode an original once, write it at several widths and formats.
#include "cvips.h"
#include "pngdecode.h"
#include <vips/vips.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

// Building an operation compiles its SIMD code with liborc, whose code allocator is not safe to
// call from two threads at once (orc 0.4.33 crashes). Operations are built under this lock; the
// pixel work, where the time goes, runs outside it.
static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;

static _Thread_local char folio_last_error[512];

// Dropping the last reference to an image disposes of the operations that made it, and with them
// their liborc code, whose chunks the same unsafe allocator hands back: a render crashed in
// orc_code_allocate_codemem while another thread's resize was freed. So images go under the lock too.
static void release(void *object) {
    pthread_mutex_lock(&build_lock);
    g_object_unref(object);
    pthread_mutex_unlock(&build_lock);
}

const char *folio_vips_last_error(void) {
    return folio_last_error;
}

static int fail(const char *what) {
    const char *detail = vips_error_buffer();
    snprintf(folio_last_error, sizeof folio_last_error, "%s: %s", what, detail && *detail ? detail : "unknown error");
    vips_error_clear();
    return -1;
}

void folio_vips_configure(int threads, int cache) {
    vips_concurrency_set(threads);
    if (!cache) {
        vips_cache_set_max(0);
        vips_cache_set_max_mem(0);
    }
}

// Drops every metadata field the image carries (EXIF, XMP, IPTC, ICC, comments), then sets
// Folio's own. Header properties (width, bands, …) are not metadata fields and stay.
static void replace_metadata(VipsImage *image, const FolioMetadata *metadata) {
    gchar **fields = vips_image_get_fields(image);
    for (int i = 0; fields != NULL && fields[i] != NULL; i++) {
        vips_image_remove(image, fields[i]);
    }
    g_strfreev(fields);
    if (metadata == NULL) return;
    if (metadata->xmp != NULL && metadata->xmp_length > 0) {
        vips_image_set_blob_copy(image, VIPS_META_XMP_NAME, metadata->xmp, metadata->xmp_length);
    }
    if (metadata->exif != NULL && metadata->exif_length > 0) {
        vips_image_set_blob_copy(image, VIPS_META_EXIF_NAME, metadata->exif, metadata->exif_length);
    }
    if (metadata->png_parameters != NULL && metadata->png_parameters[0] != '\0') {
        vips_image_set_string(image, "png-comment-0-parameters", metadata->png_parameters);
    }
}

// The mean of each of the first three bands (the only one, for a one-band image) of an image held
// in memory. An 8-bit image, the usual case, is summed in one pass over its bytes: three
// extract_band and avg operations walked the rendition three times and cost more than encoding it.
static void mean_colour(VipsImage *image, double rgb[3]) {
    const int bands = vips_image_get_bands(image);
    const VipsPel *data = vips_image_get_data(image);
    if (vips_image_get_format(image) == VIPS_FORMAT_UCHAR && data != NULL) {
        const size_t pixels = (size_t)vips_image_get_width(image) * vips_image_get_height(image);
        uint64_t sums[3] = {0, 0, 0};
        for (size_t i = 0; i < pixels; i++, data += bands) {
            for (int band = 0; band < 3; band++) sums[band] += data[band < bands ? band : 0];
        }
        for (int band = 0; band < 3; band++) rgb[band] = pixels > 0 ? (double)sums[band] / pixels : 0;
        return;
    }
    for (int band = 0; band < 3; band++) {
        VipsImage *one = NULL;
        double mean = 0;
        pthread_mutex_lock(&build_lock);
        int extracted = vips_extract_band(image, &one, bands > band ? band : 0, NULL);
        pthread_mutex_unlock(&build_lock);
        if (extracted == 0) {
            vips_avg(one, &mean, NULL);
            release(one);
        }
        rgb[band] = mean;
    }
}

// The original through libvips' own loaders, decoded into memory and converted to sRGB; NULL with
// the reason in folio_vips_last_error().
static VipsImage *decode(const char *source) {
    VipsImage *original = vips_image_new_from_file(source, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (original == NULL) {
        fail("cannot read the original");
        return NULL;
    }
    VipsImage *srgb = NULL;
    pthread_mutex_lock(&build_lock);
    int converted = vips_colourspace(original, &srgb, VIPS_INTERPRETATION_sRGB, NULL);
    pthread_mutex_unlock(&build_lock);
    release(original);
    if (converted) {
        fail("cannot convert to sRGB");
        return NULL;
    }
    VipsImage *decoded = vips_image_copy_memory(srgb);
    release(srgb);
    if (decoded == NULL) fail("cannot decode the original");
    return decoded;
}

int folio_render_renditions(const char *source, int count, const int *widths, int formats,
                            const char *const *targets, double rgb[3], const FolioMetadata *metadata) {
    // Decode once into memory, in sRGB, so every rendition reads the same pixels. The PNGs models
    // return take the fast path (pngdecode.c), already in memory and in sRGB; anything else is
    // read by libvips.
    VipsImage *decoded = folio_png_decode_file(source);
    if (decoded == NULL) decoded = decode(source);
    if (decoded == NULL) return -1;

    // Opaque images only: a flattened copy drops any alpha against white.
    VipsImage *opaque = decoded;
    if (vips_image_hasalpha(decoded)) {
        VipsArrayDouble *white = vips_array_double_newv(3, 255.0, 255.0, 255.0);
        pthread_mutex_lock(&build_lock);
        int flattened = vips_flatten(decoded, &opaque, "background", white, NULL);
        pthread_mutex_unlock(&build_lock);
        if (flattened) {
            vips_area_unref(VIPS_AREA(white));
            release(decoded);
            return fail("cannot flatten the alpha channel");
        }
        vips_area_unref(VIPS_AREA(white));
        release(decoded);
    }

    int status = 0;
    // Widths come largest first. A width at most half of the last rendition made is resized from
    // that rendition, already in memory, instead of from the original: the Lanczos kernel then
    // reads a third or less of the pixels (a 200 px thumbnail from 640 px, not 1024), and still
    // has at least two source pixels per output pixel, so it looks the same (sigal makes its
    // thumbnails from its display image the same way).
    VipsImage *previous = NULL;
    for (int i = 0; i < count && status == 0; i++) {
        VipsImage *resized = NULL;
        VipsImage *from = opaque;
        if (previous != NULL && widths[i] * 2 <= vips_image_get_width(previous)) from = previous;
        double scale = widths[i] / (double)vips_image_get_width(from);
        // The height Folio plans (ImagePlanner: the original's, scaled and rounded): from a
        // rendition, whose own height was rounded, scaling by the width alone could round again
        // to one pixel more or less.
        const double planned = fmax(1.0, round(vips_image_get_height(opaque) * (double)widths[i] / vips_image_get_width(opaque)));
        double vscale = from == opaque ? scale : planned / vips_image_get_height(from);
        if (scale >= 1.0) {
            resized = from;
            g_object_ref(resized);
        } else {
            pthread_mutex_lock(&build_lock);
            int failed = vips_resize(from, &resized, scale, "vscale", vscale, "kernel", VIPS_KERNEL_LANCZOS3, NULL);
            pthread_mutex_unlock(&build_lock);
            if (failed) {
                status = fail("cannot resize");
                break;
            }
        }
        VipsImage *ready = vips_image_copy_memory(resized);
        release(resized);
        if (ready == NULL) {
            status = fail("cannot hold the resized image");
            break;
        }
        replace_metadata(ready, metadata);
        for (int f = 0; f < formats; f++) {
            if (vips_image_write_to_file(ready, targets[i * formats + f], NULL)) {
                status = fail("cannot write a rendition");
                break;
            }
        }
        // The placeholder colour: the mean of the smallest rendition.
        if (i == count - 1 && status == 0 && rgb != NULL) mean_colour(ready, rgb);
        if (previous != NULL) release(previous);
        previous = ready;
    }
    if (previous != NULL) release(previous);
    release(opaque);
    return status;
}
