# sigal's settings for Benchmarks/compare.sh (sigal 2.6): the same outputs Folio makes with
# `images: {widths: [200, 640], formats: [jpeg]}`, which compare.sh times beside it.
#
# Sizes. sigal's defaults are img_size (640, 480) with ResizeToFit and thumb_size (200, 150) with
# thumb_fit (crop to fill): on the square 1024x1024 originals of the benchmark that is a 480x480
# display image and a 200x150 cropped thumbnail. Folio cannot crop and keeps the aspect ratio, so
# sigal is given square boxes instead: a 640x640 display image and a 200x200 thumbnail, the very
# pixels Folio writes at widths 640 and 200.
#
# Format and quality. From a PNG, sigal writes PNG unless img_format says otherwise, and it saves
# with {"optimize": True} whatever jpg_options says (those apply to JPEG sources only). Folio
# writes baseline JPEG at quality 82 without optimised Huffman tables (libvips' defaults apart from
# Q), so img_format is JPEG and the save below is given exactly those options.
#
# Originals. Folio publishes every original beside its renditions, so sigal keeps them too
# (keep_orig, copied, not linked). Processes: compare.sh runs `sigal build -n 2`, one per core,
# as Folio runs one original per core.

img_processor = "ResizeToFit"
img_size = (640, 640)
thumb_size = (200, 200)
thumb_fit = True
img_format = "JPEG"
jpg_options = {"quality": 82, "optimize": False, "progressive": False}
keep_orig = True
orig_link = False
title = "Folio benchmark"


def _save_every_jpeg_like_folio():
    """Gives every JPEG sigal writes the options above, PNG sources included. sigal reads this file
    before it starts its worker processes, which inherit the patched module. Nothing but settings
    may stay in this file's names: sigal sends them to its workers, and a module cannot be."""
    import sigal.image

    save_image, like_folio = sigal.image.save_image, dict(jpg_options)

    def save(img, outname, outformat, options=None, autoconvert=True):
        chosen = like_folio if outformat.upper() == "JPEG" else options
        return save_image(img, outname, outformat, options=chosen, autoconvert=autoconvert)

    sigal.image.save_image = save


_save_every_jpeg_like_folio()
del _save_every_jpeg_like_folio
