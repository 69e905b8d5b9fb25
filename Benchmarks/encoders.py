"""Time, size and fidelity of each encoder setting Folio could use, on the renditions it makes.

For each original (a folder of PNGs, such as the assets of a project generated against
`folio sim --image-detail photo`): decode it, make the 960 and 480 px renditions as Folio does
(Lanczos3 from the decoded original), then encode both with each setting. Prints, per original,
the CPU time of encoding (libvips single-threaded, as Folio runs it), the bytes written, and the
mean SSIM and PSNR of the decoded result against the rendition it encodes. The table in
docs/guide/folio-yml.md ("Image quality and effort") comes from this script.

Usage: encoders.py FOLDER [--count 50] [--formats webp,jpeg,avif]
"""

import argparse
import glob
import math
import os
import statistics
import time

# Read when libvips starts, so before pyvips is imported: one thread per operation, as Folio.
os.environ["VIPS_CONCURRENCY"] = "1"
import pyvips  # noqa: E402

pyvips.cache_set_max(0)

SETTINGS = {
    "webp": [(".webp", {"Q": 80, "effort": effort}) for effort in range(7)]
    + [(".webp", {"Q": 80, "effort": effort, "smart_subsample": True}) for effort in (2, 4)],
    # Debian's libjpeg-turbo is not mozjpeg: trellis_quant and friends change nothing there.
    "jpeg": [(".jpg", {"Q": 82}), (".jpg", {"Q": 82, "optimize_coding": True}), (".jpg", {"Q": 82, "interlace": True})],
    "avif": [(".avif", {"Q": 55, "effort": effort}) for effort in range(7)],
}


def renditions(path):
    """The 960 and 480 px renditions of one original, in memory."""
    full = pyvips.Image.new_from_file(path).colourspace("srgb").copy_memory()
    return [full.resize(width / full.width, kernel="lanczos3").copy_memory() for width in (960, 480)]


def ssim(a, b):
    """Mean SSIM of the luminance, with a Gaussian window of sigma 1.5 (Wang et al.)."""
    x, y = (image.colourspace("b-w").cast("float") for image in (a, b))

    def blur(image):
        return image.gaussblur(1.5, precision="float")

    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    return (((mx * my * 2 + c1) * (sxy * 2 + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))).avg()


def psnr(a, b):
    difference = a.cast("float") - b.cast("float")
    return 10 * math.log10(255**2 / max((difference * difference).avg(), 1e-9))


def measure(images, suffix, options):
    """CPU seconds and bytes of encoding every image (best of two runs), and the mean fidelity."""
    best, total, encoded = None, 0, []
    for _ in range(2 if suffix != ".avif" else 1):
        start, total, encoded = time.process_time(), 0, []
        for image in images:
            encoded.append(image.write_to_buffer(suffix, **options))
            total += len(encoded[-1])
        elapsed = time.process_time() - start
        best = elapsed if best is None else min(best, elapsed)
    decoded = [pyvips.Image.new_from_buffer(data, "") for data in encoded]
    return (
        best,
        total,
        statistics.mean(ssim(a, b) for a, b in zip(images, decoded)),
        statistics.mean(psnr(a, b) for a, b in zip(images, decoded)),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--formats", default="webp,jpeg,avif")
    arguments = parser.parse_args()
    originals = sorted(glob.glob(os.path.join(arguments.folder, "*.png")))[: arguments.count]
    images = [image for path in originals for image in renditions(path)]
    print(f"{len(originals)} originals, {len(images)} renditions (960 and 480 px); per original:")
    for name in arguments.formats.split(","):
        for suffix, options in SETTINGS[name]:
            seconds, total, mean_ssim, mean_psnr = measure(images, suffix, options)
            label = ", ".join(f"{key}={value}" for key, value in options.items())
            print(
                f"{name:5} {label:40} {seconds / len(originals) * 1000:8.1f} ms {total / len(originals) / 1024:7.1f} KiB"
                f"  SSIM {mean_ssim:.4f}  PSNR {mean_psnr:.2f} dB",
                flush=True,
            )


if __name__ == "__main__":
    main()
