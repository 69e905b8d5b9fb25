#include "cvips.h"
#include <vips/vips.h>

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
