"""What the browser, accessibility and HTML checks share: a headless Chromium driven by Selenium,
a loopback HTTP server for the site, the list of pages, and a tally of failures.

Debian's chromium and chromium-driver; Selenium from PyPI (see Tests/Browser/run.sh)."""

import functools
import http.server
import json
import os
import sys
import threading
import time
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")


class Failures:
    """Every failed expectation, kept so a run reports all of them, not just the first."""

    def __init__(self, name):
        self.name = name
        self.items = []
        self.checks = 0

    def check(self, ok, message):
        self.checks += 1
        if not ok:
            self.items.append(message)
            print(f"  FAIL {message}", flush=True)
        return ok

    def finish(self):
        passed = self.checks - len(self.items)
        print(f"{self.name}: {passed} passed, {len(self.items)} failed", flush=True)
        sys.exit(1 if self.items else 0)


def pages(site):
    """Every HTML page of the site, relative to it, sorted."""
    return sorted(str(p.relative_to(site)) for p in Path(site).rglob("*.html") if ".folio" not in p.parts)


# MARK: - Serving

class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".webp": "image/webp",
        ".avif": "image/avif", ".json": "application/json", ".xml": "application/xml", ".ico": "image/x-icon",
        ".md": "text/markdown; charset=utf-8",
    }

    def log_message(self, format, *args):
        pass


class SiteServer:
    """The site over HTTP on 127.0.0.1 at a port the system picks, in a thread of this process."""

    def __init__(self, site):
        handler = functools.partial(_Handler, directory=str(site))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# MARK: - The browser

def chromium(width=1280, height=900):
    """A headless Chromium that keeps its console and network logs for `console_problems`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager look for drivers online
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={width},{height}",
        "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--lang=en-US",
    ]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(60)
    # Every document records its CSP violations before any of its own scripts run.
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', function (e) {
            window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + e.sourceFile + ':' + e.lineNumber);
        });
    """})
    driver.execute_cdp_cmd("Network.enable", {})
    return driver


def viewport(driver, width, height, dark):
    """The page's size and colour scheme, as a phone or desktop would have them."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})


def settle(driver, timeout=10):
    """Waits until the document has loaded and its deferred scripts have run."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if driver.execute_script("return document.readyState") == "complete":
            return
        time.sleep(0.05)


def drain_logs(driver):
    """Forgets what the logs hold so far."""
    driver.get_log("browser")
    driver.get_log("performance")


def console_problems(driver, base):
    """What went wrong since the last call: console errors and warnings, CSP violations, failed
    requests, and requests that left the site (anything not under `base` or a data: URL)."""
    problems = []
    for entry in driver.get_log("browser"):
        if entry["level"] in ("SEVERE", "WARNING"):
            problems.append(f"console {entry['level'].lower()}: {entry['message']}")
    violations = driver.execute_script("return window.__cspViolations || []")
    problems += [f"CSP violation: {v}" for v in violations]
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not (url.startswith(base) or url.startswith("data:")):
                problems.append(f"request outside the site: {url}")
        elif message["method"] == "Network.responseReceived":
            status = params["response"]["status"]
            if status >= 400:
                problems.append(f"HTTP {status} for {params['response']['url']}")
        elif message["method"] == "Network.loadingFailed" and not params.get("canceled"):
            problems.append(f"request failed: {params.get('errorText')} ({params.get('type')})")
    return problems
