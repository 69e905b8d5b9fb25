"""The built-in theme in a real browser (headless Chromium through Selenium), on a site that
Tests/Browser/run.sh built from the sample with `--simulate` and one prompt the simulator refuses.

  python3 browser_checks.py --site SITE --project PROJECT --mode file|http
  python3 browser_checks.py --site SITE --project PROJECT --mode serve --base URL   (folio serve)

Checks: no console error or warning, CSP violation, failed request or request leaving the site on
any page, and every page declares an icon that exists; keyboard only, Tab reaches the first card,
Enter opens the lightbox, Tab stays inside it, arrows move, Escape closes it and focus returns to
the card; the search box filters as one types, from a page's own form and from `?q=`; the copy
button copies the prompt file's exact text; at 390 and 1280 px wide, light and dark, no page
scrolls sideways; the refused prompt's placeholder says why, on the grid, in search results and
on its page. Prints each failure and exits 1 if there was any."""

import argparse
import json
import sys
import time
import urllib.parse
from pathlib import Path

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import common

FAILED_ID = "refused"  # the prompt run.sh adds with a [[sim:moderation]] marker
CHECKS = ["console", "keyboard", "search", "copy", "layout", "placeholder"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--site", required=True, type=Path)
    parser.add_argument("--project", required=True, type=Path)
    parser.add_argument("--mode", choices=["file", "http", "serve"], required=True)
    parser.add_argument("--base", help="the site's URL, for --mode serve")
    parser.add_argument("--checks", default=",".join(CHECKS))
    args = parser.parse_args()
    site = args.site.resolve()
    failures = common.Failures(f"browser checks ({args.mode})")
    server = None
    if args.mode == "file":
        base = site.as_uri() + "/"
    elif args.mode == "http":
        server = common.SiteServer(site).__enter__()
        base = server.url
    else:
        base = args.base if args.base.endswith("/") else args.base + "/"
    print(f"browser checks ({args.mode}) on {base}", flush=True)
    driver = common.chromium()
    try:
        context = Context(driver, base, site, args.project.resolve(), failures)
        context.served = args.mode == "serve"
        for name in args.checks.split(","):
            started = time.time()
            print(f"- {name}", flush=True)
            getattr(context, name)()
            print(f"  ({time.time() - started:.1f} s)", flush=True)
    finally:
        driver.quit()
        if server:
            server.__exit__()
    failures.finish()


class Context:
    def __init__(self, driver, base, site, project, failures):
        self.driver, self.base, self.site, self.project, self.f = driver, base, site, project, failures
        self.pages = common.pages(site)
        self.gallery = json.loads((site / "gallery.json").read_text())
        self.served = False

    def open(self, page, query=""):
        common.viewport(self.driver, 1280, 900, dark=False)
        self.driver.get(self.base + page + query)
        common.settle(self.driver)

    def active(self):
        return self.driver.switch_to.active_element

    def keys(self, *keys):
        ActionChains(self.driver).send_keys(*keys).perform()

    # MARK: - Console, CSP, requests, icon

    def console(self):
        """Every page, with its images scrolled into view so lazy ones load too."""
        common.drain_logs(self.driver)
        requests = 0
        for page in self.pages:
            self.open(page)
            self.driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
            self.wait_for_images()
            problems = common.console_problems(self.driver, self.base)
            requests += 1
            self.f.check(not problems, f"{page}: " + "; ".join(problems))
            if self.served:
                # What folio serve adds to every page, so its script is held to the same CSP.
                reload = self.driver.execute_script("return !!document.querySelector('script[src*=\"/__folio/reload.js\"]')")
                self.f.check(reload, f"{page}: folio serve did not add its reload script")
            icon = self.driver.execute_script("var l = document.querySelector('link[rel~=\"icon\"]'); return l && l.href")
            if self.f.check(bool(icon), f"{page}: declares no icon (<link rel=\"icon\">)"):
                self.f.check(self.exists(icon), f"{page}: its icon {icon} is not in the site")
        # The lightbox and search, which add elements and load images after the page has loaded.
        self.open("index.html")
        self.driver.find_element(By.CSS_SELECTOR, ".grid .card__link[data-large]").click()
        self.keys(Keys.ARROW_RIGHT)
        self.keys(Keys.ESCAPE)
        self.open("index.html", "?q=poster")
        self.wait_for_images()
        problems = common.console_problems(self.driver, self.base)
        self.f.check(not problems, "lightbox and search: " + "; ".join(problems))
        print(f"  {len(self.pages)} pages loaded, every image on them fetched", flush=True)

    def wait_for_images(self):
        deadline = time.time() + 10
        script = "return Array.prototype.every.call(document.images, function (i) { return i.complete; })"
        while time.time() < deadline and not self.driver.execute_script(script):
            time.sleep(0.05)
        broken = self.driver.execute_script(
            "return Array.prototype.filter.call(document.images, function (i) { return i.complete && !i.naturalWidth; })"
            ".map(function (i) { return i.currentSrc || i.src; })")
        self.f.check(not broken, f"{self.driver.current_url}: images that did not load: {broken}")

    def exists(self, url):
        if not url.startswith(self.base):
            return False
        relative = urllib.parse.unquote(urllib.parse.urlsplit(url[len(self.base):]).path)
        return (self.site / relative).is_file()

    # MARK: - Keyboard and lightbox

    def keyboard(self):
        for page in ["index.html", self.first_album_page()]:
            self.lightbox_by_keyboard(page)

    def first_album_page(self):
        return next(p for p in self.pages if p.startswith("albums/"))

    def lightbox_by_keyboard(self, page):
        self.open(page)
        d = self.driver
        first = d.find_element(By.CSS_SELECTOR, ".grid .card__link")
        cards = d.find_elements(By.CSS_SELECTOR, ".grid .card__link[data-large]")
        titles = [c.find_element(By.XPATH, "ancestor::figure//figcaption/a").text for c in cards]
        stops = []
        for _ in range(80):
            self.keys(Keys.TAB)
            element = self.active()
            stops.append(element.get_attribute("class") or element.tag_name)
            if "card__link" in (element.get_attribute("class") or ""):
                break
        if not self.f.check(self.active() == first, f"{page}: Tab never reached the first card (stops: {stops})"):
            return
        print(f"  {page}: the first card is Tab stop {len(stops)}", flush=True)
        if "placeholder" in (first.get_attribute("class") or ""):
            # A placeholder is a plain link to its page; the lightbox starts at the first image.
            while self.active() != cards[0]:
                self.keys(Keys.TAB)
        opener = self.active()
        self.keys(Keys.ENTER)
        box = d.find_elements(By.CSS_SELECTOR, ".lightbox[role=dialog][aria-modal=true]")
        if not self.f.check(len(box) == 1, f"{page}: Enter on a card did not open the lightbox"):
            return
        box = box[0]
        title = lambda: box.find_element(By.CSS_SELECTOR, ".lightbox__title").text
        self.f.check(d.execute_script("return arguments[0].contains(document.activeElement)", box), f"{page}: focus is not in the lightbox")
        self.f.check(title() == titles[0], f"{page}: the lightbox shows '{title()}', not '{titles[0]}'")
        for _ in range(8):
            self.keys(Keys.TAB)
            if not self.f.check(d.execute_script("return arguments[0].contains(document.activeElement)", box), f"{page}: Tab left the lightbox"):
                break
        self.keys(Keys.ARROW_RIGHT)
        expected = titles[1 % len(titles)]
        self.f.check(title() == expected, f"{page}: ArrowRight shows '{title()}', not '{expected}'")
        self.f.check(self.lightbox_image_loads(box), f"{page}: the lightbox image did not load after ArrowRight")
        self.keys(Keys.ARROW_LEFT, Keys.ARROW_LEFT)
        self.f.check(title() == titles[-1], f"{page}: ArrowLeft twice shows '{title()}', not the last card '{titles[-1]}'")
        self.keys(Keys.ESCAPE)
        self.f.check(not d.find_elements(By.CSS_SELECTOR, ".lightbox"), f"{page}: Escape did not close the lightbox")
        self.f.check(self.active() == opener, f"{page}: after Escape, focus is on {self.active().tag_name}.{self.active().get_attribute('class')}, not the card")

    def lightbox_image_loads(self, box):
        image = box.find_element(By.TAG_NAME, "img")
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image):
                return True
            time.sleep(0.05)
        return False

    # MARK: - Search

    def expected_hits(self, query):
        words = query.lower().split()
        hits = set()
        for image in self.gallery["images"]:
            parameters = image.get("parameters", {})
            text = " ".join(
                [image["title"], parameters.get("route", ""), parameters.get("model", "")] + image["tags"]
                + [image.get("prompt", ""), image.get("album") or ""]).lower()
            if all(word in text for word in words):
                hits.add(image["title"])
        return hits

    def shown_hits(self):
        results = self.driver.find_element(By.ID, "results")
        if not results.is_displayed():
            return None
        return {a.text for a in results.find_elements(By.CSS_SELECTOR, "figcaption a")}

    def search(self):
        d = self.driver
        queries = ["watercolor", "poster kling", "BOTTLE", FAILED_ID]
        for query in queries:
            self.open("index.html")
            d.find_element(By.ID, "q").send_keys(query)
            expected = self.expected_hits(query)
            self.f.check(bool(expected), f"search '{query}': the gallery has nothing to find; pick another query")
            self.f.check(self.shown_hits() == expected, f"search '{query}' while typing: shows {self.shown_hits()}, expected {expected}")
            self.f.check(not d.find_element(By.ID, "grid").is_displayed(), f"search '{query}': the full grid is still shown")
        d.find_element(By.ID, "q").clear()
        d.find_element(By.ID, "q").send_keys(" ")
        self.f.check(d.find_element(By.ID, "grid").is_displayed() and self.shown_hits() is None, "an emptied search box does not bring the grid back")
        self.open("index.html")
        d.find_element(By.ID, "q").send_keys("zzqx-nothing")
        empty = d.find_element(By.CSS_SELECTOR, "#results .empty")
        self.f.check("zzqx-nothing" in empty.text, f"a search that finds nothing says '{empty.text}'")
        # ?q= on the index, and the form of a page deep in the site, which sends it there.
        self.open("index.html", "?q=poster")
        self.f.check(d.find_element(By.ID, "q").get_attribute("value") == "poster", "?q=poster does not fill the search box")
        self.f.check(self.shown_hits() == self.expected_hits("poster"), f"?q=poster shows {self.shown_hits()}, expected {self.expected_hits('poster')}")
        page = next(p for p in self.pages if p.startswith("p/"))
        self.open(page)
        d.find_element(By.ID, "q").send_keys("landscape", Keys.ENTER)
        common.settle(d)
        here = urllib.parse.urlsplit(d.current_url)
        self.f.check(here.path.endswith("/index.html") and here.query == "q=landscape" and d.current_url.startswith(self.base + "index.html"),
                     f"searching from {page} goes to {d.current_url}, not the index with ?q=landscape")
        self.f.check(self.shown_hits() == self.expected_hits("landscape"), f"searching from {page}: shows {self.shown_hits()}")
        print(f"  {len(queries) + 3} searches", flush=True)

    # MARK: - Copy

    def prompt_text(self, prompt_id):
        """The prompt file's text below its front matter, as Folio reads it."""
        text = (self.project / "prompts" / (prompt_id + ".md")).read_text()
        _, _, body = text.split("---\n", 2)
        return body.strip()

    def copy(self):
        d = self.driver
        ids = ["welcome", "products/perfume-bottle", FAILED_ID]
        for prompt_id in ids:
            page = f"p/{prompt_id}/index.html"
            self.open(page)
            button = d.find_element(By.CSS_SELECTOR, "button.copy")
            button.click()
            # The clipboard API answers asynchronously; the button says so when it has.
            deadline = time.time() + 5
            while time.time() < deadline and button.get_attribute("data-done") is None:
                time.sleep(0.05)
            said = button.text
            self.f.check(said == "Copied", f"{page}: the copy button says '{said}' after a click")
            # Paste into a fresh text area: what the clipboard holds, whichever way it was written.
            d.execute_script("var t = document.createElement('textarea'); t.id = '__paste'; document.body.appendChild(t); t.focus();")
            ActionChains(d).key_down(Keys.CONTROL).send_keys("v").key_up(Keys.CONTROL).perform()
            pasted = d.execute_script("return document.getElementById('__paste').value")
            expected = self.prompt_text(prompt_id)
            self.f.check(pasted == expected, f"{page}: the copy button copied {pasted!r}, expected {expected!r}")
        print(f"  {len(ids)} prompts copied and pasted back", flush=True)

    # MARK: - Layout

    def layout(self):
        d = self.driver
        loads = 0
        schemes = {}
        for width, height in [(390, 844), (1280, 900)]:
            for dark in [False, True]:
                scheme = "dark" if dark else "light"
                common.viewport(d, width, height, dark)
                for page in self.pages:
                    d.get(self.base + page)
                    common.settle(d)
                    loads += 1
                    wide = d.execute_script(
                        "var e = document.documentElement; return [e.scrollWidth, e.clientWidth, "
                        "Array.prototype.filter.call(document.querySelectorAll('body *'), function (n) {"
                        " var r = n.getBoundingClientRect(); return r.width && r.right > e.clientWidth + 1; })"
                        ".slice(0, 5).map(function (n) { return n.tagName.toLowerCase() + '.' + n.className; })]")
                    self.f.check(wide[0] <= wide[1], f"{page} at {width} px, {scheme}: scrolls sideways ({wide[0]} > {wide[1]} px; too wide: {wide[2]})")
                    schemes.setdefault(scheme, set()).add(d.execute_script("return getComputedStyle(document.documentElement).backgroundColor"))
        # The emulated colour scheme took effect: every page has one background per scheme, and they differ.
        self.f.check(all(len(b) == 1 for b in schemes.values()) and schemes["light"] != schemes["dark"], f"page backgrounds by scheme: {schemes}")
        common.viewport(d, 1280, 900, dark=False)
        print(f"  {loads} page loads (390 and 1280 px, light and dark); backgrounds {schemes}", flush=True)

    # MARK: - The failed prompt

    def placeholder(self):
        d = self.driver
        reason = next(i for i in self.gallery["images"] if i["id"] == FAILED_ID)
        self.f.check(reason["state"] == "failed", f"{FAILED_ID} is {reason['state']} in gallery.json, not failed")
        for where, page, query, selector in [
            ("the grid", "index.html", "", f".grid figure[data-id='{FAILED_ID}'] .placeholder"),
            ("search results", "index.html", f"?q={FAILED_ID}", "#results .placeholder"),
            ("its page", f"p/{FAILED_ID}/index.html", "", ".detail .placeholder"),
        ]:
            self.open(page, query)
            found = d.find_elements(By.CSS_SELECTOR, selector)
            if not self.f.check(len(found) == 1 and found[0].is_displayed(), f"{where}: no placeholder for {FAILED_ID} ({selector})"):
                continue
            state = found[0].find_elements(By.CSS_SELECTOR, ".placeholder__state")
            why = found[0].find_elements(By.CSS_SELECTOR, ".placeholder__reason")
            self.f.check(state and state[0].text.lower() == "failed", f"{where}: the placeholder's state is not 'failed'")
            said = why[0].text if why and why[0].is_displayed() else ""
            self.f.check("IMAGE_SAFETY" in said and "Moderation" in said, f"{where}: the placeholder does not say why it failed (says {said!r})")
            print(f"  {where}: {state[0].text if state else '?'} — {said}", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
