"""The floor of Benchmarks/compare.sh: what libvips alone needs for the images of a gallery.

For each original: decode it once into memory, then resize it to each width and encode each
output as JPEG, and publish the original beside them (Folio publishes it too). The same work as
Folio's image step with nothing else around it: no pages, no metadata, no link check. Like Folio,
it runs one original per worker process and keeps libvips single-threaded within each, so two
processes use the two cores without oversubscribing them.

Usage: floor.py SOURCE_FOLDER OUTPUT_FOLDER [--widths 400,1024] [--quality 82] [--processes 2]
"""

import argparse
import os
import shutil
import sys
from multiprocessing import Pool

# Read when libvips starts, so before pyvips is imported: one thread per operation, as Folio.
os.environ["VIPS_CONCURRENCY"] = "1"
import pyvips  # noqa: E402

# No operation cache: every original is seen once, and caching would only cost memory.
pyvips.cache_set_max(0)


def render(job):
    """Writes every width of one original as JPEG, and a copy of the original."""
    source, output, widths, quality = job
    name = os.path.splitext(os.path.basename(source))[0]
    decoded = pyvips.Image.new_from_file(source, access="sequential").colourspace("srgb").copy_memory()
    if decoded.hasalpha():
        decoded = decoded.flatten(background=[255, 255, 255])
    for width in widths:
        scale = width / decoded.width
        resized = decoded if scale >= 1 else decoded.resize(scale, kernel="lanczos3")
        resized.jpegsave(os.path.join(output, f"{name}-{width}.jpg"), Q=quality, strip=True)
    shutil.copyfile(source, os.path.join(output, os.path.basename(source)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("output")
    parser.add_argument("--widths", default="400,1024")
    parser.add_argument("--quality", type=int, default=82)
    parser.add_argument("--processes", type=int, default=2)
    arguments = parser.parse_args()
    widths = sorted((int(width) for width in arguments.widths.split(",")), reverse=True)
    os.makedirs(arguments.output, exist_ok=True)
    originals = sorted(
        os.path.join(arguments.source, name) for name in os.listdir(arguments.source) if name.endswith((".png", ".jpg", ".webp"))
    )
    jobs = [(source, arguments.output, widths, arguments.quality) for source in originals]
    with Pool(arguments.processes) as pool:
        # Small chunks: the workers stay busy to the end without a round trip per image.
        for _ in pool.imap_unordered(render, jobs, chunksize=4):
            pass
    if not originals:
        sys.exit(f"no images in {arguments.source}")


if __name__ == "__main__":
    main()
