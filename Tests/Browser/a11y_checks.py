"""Accessibility: axe-core run in headless Chromium on pages of a site built by Tests/Browser/run.sh,
served over HTTP on 127.0.0.1 (axe reads the stylesheets, which file:// forbids).

  python3 a11y_checks.py --site SITE

axe.min.js is the copy inside the PyPI package axe-playwright-python (installed with --no-deps;
only this file is used), injected through Selenium. Pages: the index, an album, a tag page, an
image page with several images, the failed prompt's placeholder page, and the index with the
lightbox open; each in light and dark. Any serious or critical violation fails; the others are
listed."""

import argparse
import importlib.util
import sys
from pathlib import Path

from selenium.webdriver.common.by import By

import common

FAILED_ID = "refused"


def axe_source():
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None:
        sys.exit("axe-playwright-python is not installed (pip install --no-deps axe-playwright-python)")
    return (Path(spec.origin).parent / "axe.min.js").read_text()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--site", required=True, type=Path)
    args = parser.parse_args()
    site = args.site.resolve()
    failures = common.Failures("accessibility (axe-core)")
    source = axe_source()
    pages = common.pages(site)
    album = next(p for p in pages if p.startswith("albums/"))
    tag = next(p for p in pages if p.startswith("tags/"))
    # The image page with the most images: its variants, captions and prev/next are all there.
    image = max((p for p in pages if p.startswith("p/") and FAILED_ID not in p),
                key=lambda p: (site / p).read_text().count('class="variant"'))
    targets = [("index.html", False), (album, False), (tag, False), (image, False), (f"p/{FAILED_ID}/index.html", False), ("index.html", True)]
    with common.SiteServer(site) as server:
        driver = common.chromium()
        try:
            version = None
            runs = 0
            for page, lightbox in targets:
                for dark in [False, True]:
                    common.viewport(driver, 1280, 900, dark)
                    driver.get(server.url + page)
                    common.settle(driver)
                    if lightbox:
                        driver.find_element(By.CSS_SELECTOR, ".grid .card__link[data-large]").click()
                    driver.execute_script(source)
                    result = driver.execute_async_script(
                        "var done = arguments[arguments.length - 1];"
                        "axe.run(document).then(function (r) {"
                        " done({version: r.testEngine.version, passes: r.passes.length, violations: r.violations.map(function (v) {"
                        "  return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(function (n) { return n.target.join(' ') + ': ' + n.failureSummary; })};"
                        " }), incomplete: r.incomplete.map(function (v) { return v.id + ' on ' + v.nodes.length; })}); },"
                        " function (e) { done({error: String(e)}); });")
                    runs += 1
                    where = f"{page}{' (lightbox open)' if lightbox else ''}, {'dark' if dark else 'light'}"
                    if not failures.check("error" not in result, f"{where}: axe failed: {result.get('error')}"):
                        continue
                    version = result["version"]
                    for v in result["violations"]:
                        severe = v["impact"] in ("serious", "critical")
                        line = f"{where}: {v['impact']} {v['id']} ({v['help']}) on {len(v['nodes'])} element(s): " + " | ".join(v["nodes"][:3])
                        if not severe:
                            print(f"  note {line}", flush=True)
                        failures.check(not severe, line)
                    serious = sum(1 for v in result["violations"] if v["impact"] in ("serious", "critical"))
                    print(f"  {where}: {result['passes']} rules pass, {len(result['violations'])} violated ({serious} serious or critical);"
                          f" for review: {', '.join(result['incomplete']) or 'none'}", flush=True)
            print(f"axe {version}: {runs} runs on {len(targets)} page states", flush=True)
        finally:
            driver.quit()
    failures.finish()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
