#include <libxml/xmlversion.h>
// Debian's libxml2 headers pull in system ICU headers, which clash with Foundation's own ICU module.
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

/// `xmlFree` is a C global variable, which Swift 6 concurrency checking rejects; call it through here.
static inline void folio_xml_free(void *pointer) { xmlFree(pointer); }
