// Folio's image step without Folio around it, for callgrind (which cannot run the folio binary
// itself: valgrind 3.19 stops at Swift's DWARF 5 and at libdispatch's main-thread exit).
// "folio" renders each original with folio_render_renditions (Sources/CVips/renditions.c) at
// 1024 and 400 px as JPEG Q 82, with an XMP packet and the placeholder colour, as `folio render`
// does with `widths: [400, 1024], formats: [jpeg]`; "floor" does the same with bare libvips calls
// (decode once, save, resize, save), like Benchmarks/floor.py. One original after another on one
// thread, so instruction counts repeat exactly.
// Usage: renditions-harness folio|floor OUTPUT_FOLDER ORIGINAL...
#include "cvips.h"
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <vips/vips.h>

static int floor_one(const char *source, const char *large, const char *small) {
    VipsImage *in = vips_image_new_from_file(source, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    if (in == NULL) return -1;
    VipsImage *decoded = vips_image_copy_memory(in);
    g_object_unref(in);
    if (decoded == NULL) return -1;
    VipsImage *resized = NULL;
    int status = vips_jpegsave(decoded, large, "Q", 82, "strip", TRUE, NULL) ||
                 vips_resize(decoded, &resized, 400.0 / vips_image_get_width(decoded), "kernel", VIPS_KERNEL_LANCZOS3, NULL) ||
                 vips_jpegsave(resized, small, "Q", 82, "strip", TRUE, NULL);
    if (resized != NULL) g_object_unref(resized);
    g_object_unref(decoded);
    return status ? -1 : 0;
}

int main(int argc, char **argv) {
    if (argc < 4 || folio_vips_init() != 0) {
        fprintf(stderr, "usage: %s folio|floor OUTPUT_FOLDER ORIGINAL...\n", argv[0]);
        return 2;
    }
    folio_vips_configure(1, 0);
    const int folio = strcmp(argv[1], "folio") == 0;
    static char xmp[3000];  // about the size of the XMP packet Folio writes
    memset(xmp, ' ', sizeof xmp);
    for (int i = 3; i < argc; i++) {
        char name[1024], large[1200], small[1200];
        snprintf(name, sizeof name, "%s", argv[i]);
        snprintf(large, sizeof large, "%s/%s-1024.jpg%s", argv[2], basename(name), folio ? "[Q=82]" : "");
        snprintf(small, sizeof small, "%s/%s-400.jpg%s", argv[2], basename(name), folio ? "[Q=82]" : "");
        int status;
        if (folio) {
            const char *targets[2] = {large, small};
            const int widths[2] = {1024, 400};
            double rgb[3];
            FolioMetadata metadata = {xmp, sizeof xmp, NULL, 0, NULL};
            status = folio_render_renditions(argv[i], 2, widths, 1, targets, rgb, &metadata);
        } else {
            status = floor_one(argv[i], large, small);
        }
        if (status != 0) {
            fprintf(stderr, "%s: %s\n", argv[i], folio ? folio_vips_last_error() : vips_error_buffer());
            return 1;
        }
    }
    return 0;
}
