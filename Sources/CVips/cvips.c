#include "cvips.h"

int folio_vips_init(void) {
    return vips_init("folio");
}

int folio_vips_can_save(const char *suffix) {
    const char *saver = vips_foreign_find_save(suffix);
    if (saver == NULL) {
        vips_error_clear();
        return 0;
    }
    return 1;
}

const char *folio_vips_version(void) {
    return vips_version_string();
}

int folio_vips_header(const char *path, int *width, int *height) {
    VipsImage *image = vips_image_new_from_file(path, NULL);
    if (image == NULL) {
        vips_error_clear();
        return -1;
    }
    *width = vips_image_get_width(image);
    *height = vips_image_get_height(image);
    g_object_unref(image);
    return 0;
}
