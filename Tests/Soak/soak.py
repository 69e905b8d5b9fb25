"""What the soaks share: a generated project over all four routes, `folio sim` in the background with
its request log, runs of the real `folio` binary, and the checks every soak makes of the project —
the lockfile parses, `assets/` holds only whole, referenced, content-addressed files — and of the
simulator's log.

Used by crash_soak.py and fault_soak.py; run them through Tests/Soak/run.sh.
"""

import hashlib
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import time

ROUTES = ["gemini", "dashscope", "kling", "kling-omni"]
SYNC = {"gemini", "dashscope"}
TOKEN = re.compile(r"#p(\d{3})#")
ASSET = re.compile(r"^([0-9a-f]{64})\.(png|jpg|webp)$")


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


def note(message):
    print(message, flush=True)


def test_key():
    """A key made for this run, so finding it anywhere later means Folio wrote it there."""
    return os.environ.get("FOLIO_SOAK_KEY") or "sk-soak-" + secrets.token_hex(12)


class Prompt:
    def __init__(self, number, route, album, keys, variants):
        self.number = number
        self.route = route
        self.id = f"{album}/p{number:03d}"
        self.keys = keys
        # Images the prompt makes: sync routes make one call per variant; a Kling task makes them all.
        self.variants = variants
        self.token = f"#p{number:03d}#"

    @property
    def sync(self):
        return self.route in SYNC


def make_project(root, rng, count=200, seeds=True):
    """`count` prompts, a quarter per route, in four albums, with varied generation keys. Without
    `seeds`, a DashScope prompt's variants are one request repeated (as Gemini's always are), so a
    fault rule's `times`, which the simulator counts per distinct request, counts per prompt."""
    os.makedirs(os.path.join(root, "prompts"))
    with open(os.path.join(root, "folio.yml"), "w") as f:
        f.write(
            "title: Soak\n"
            "gateway:\n  concurrency: 4\n  retries: 4\n  poll_timeout: 10m\n"
            "images:\n  widths: [64]\n  formats: [jpeg]\n"
            "pagination: 60\n"
        )
    prompts = []
    for number in range(count):
        route = ROUTES[number % 4]
        album = "abcd"[number * 4 // count]
        keys = [f"route: {route}"]
        if route == "gemini":
            n = rng.choice([1, 1, 2])
            keys += [f"n: {n}", f'aspect_ratio: "{rng.choice(["1:1", "3:4", "16:9", "4:5"])}"', f"image_size: {rng.choice(['512', '1K'])}"]
        elif route == "dashscope":
            n = rng.choice([1, 1, 2])
            keys += [f"n: {n}", f'size: "{rng.choice(["1328*1328", "1664*928", "928*1664"])}"']
            if seeds and rng.random() < 0.5:
                keys.append(f"seed: {rng.randrange(1000)}")
        elif route == "kling":
            n = rng.choice([1, 2, 3])
            keys += [f"n: {n}", f'aspect_ratio: "{rng.choice(["1:1", "3:4", "16:9"])}"', f"resolution: {rng.choice(['1k', '2k'])}"]
        else:
            if rng.random() < 0.3:
                n = rng.choice([2, 3])
                keys += ["result_type: series", f"series_amount: {n}"]
            else:
                n = rng.choice([1, 2])
                keys += [f"n: {n}"]
            keys += [f'aspect_ratio: "{rng.choice(["1:1", "9:16", "4:3"])}"', f"resolution: {rng.choice(['1k', '2k'])}"]
        prompt = Prompt(number, route, album, keys, n)
        path = os.path.join(root, "prompts", prompt.id + ".md")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("---\n" + "\n".join(keys) + "\n---\n" + f"Soak prompt {prompt.token}: a lighthouse at dusk, study {number}.\n")
        prompts.append(prompt)
    return prompts


class Simulator:
    """`folio sim` on an ephemeral port, its request log in `log`; stopped by `stop`."""

    def __init__(self, folio, work, key, time_scale, faults=None, image_scale=16):
        self.log = os.path.join(work, "sim-requests.jsonl")
        self.output = open(os.path.join(work, "sim-output.txt"), "w")
        arguments = [folio, "sim", "--port", "0", "--log", self.log, "--time-scale", str(time_scale), "--image-scale", str(image_scale)]
        if faults:
            arguments += ["--faults", faults]
        # The key it accepts comes from the environment, as Folio's does: never on a command line.
        environment = dict(os.environ, ANYINT_API_KEY=key)
        self.process = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=self.output, text=True, env=environment)
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http://127.0.0.1:"):
            fail(f"folio sim did not start: {self.base_url!r}")

    def entries(self):
        with open(self.log) as f:
            return [json.loads(line) for line in f if line.strip()]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # What it printed after its first line, kept for the secrets check.
        rest = self.process.stdout.read()
        self.output.write(rest)
        self.output.close()


class Runner:
    """Runs the `folio` binary on the project; every run's output is kept in `work/runs/`."""

    def __init__(self, folio, project, work, simulator, key, time_scale):
        self.folio = folio
        self.project = project
        self.runs = os.path.join(work, "runs")
        os.makedirs(self.runs, exist_ok=True)
        self.count = 0
        self.environment = dict(os.environ)
        self.environment.update(
            {"ANYINT_BASE_URL": simulator.base_url, "ANYINT_API_KEY": key, "FOLIO_TIME_SCALE": str(time_scale), "NO_COLOR": "1"}
        )

    def start(self, *arguments):
        self.count += 1
        name = os.path.join(self.runs, f"{self.count:03d}-{arguments[0]}")
        out, err = open(name + ".out", "w"), open(name + ".err", "w")
        process = subprocess.Popen([self.folio, *arguments, "--project", self.project], stdout=out, stderr=err, env=self.environment)
        process.files = (out, err, name)
        return process

    def finish(self, process, timeout=600):
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            fail(f"folio {process.args[1]} did not finish within {timeout} s (a hang); see {process.files[2]}.err")
        for f in process.files[:2]:
            f.close()
        return process.returncode

    def run(self, *arguments, timeout=600):
        return self.finish(self.start(*arguments), timeout=timeout)

    def output(self, process):
        name = process.files[2]
        with open(name + ".out") as out, open(name + ".err") as err:
            return out.read() + err.read()


# MARK: - Checks of the project


def read_lock(project):
    """folio.lock parsed, with its shape checked; fails the soak if it does not parse."""
    path = os.path.join(project, "folio.lock")
    if not os.path.exists(path):
        return {"version": 1, "entries": {}}
    with open(path, "rb") as f:
        data = f.read()
    try:
        lock = json.loads(data)
    except ValueError as error:
        fail(f"folio.lock does not parse ({error}); {len(data)} bytes")
    if lock.get("version") != 1 or not isinstance(lock.get("entries"), dict) or not data.endswith(b"\n"):
        fail("folio.lock is not a version 1 lockfile with entries and a trailing newline")
    for id, entry in lock["entries"].items():
        if entry.get("state") not in ("submitting", "pending", "succeeded", "failed"):
            fail(f"folio.lock: entry {id} has state {entry.get('state')!r}")
        for output in entry.get("outputs") or []:
            if output.get("file") and output["file"] != f"assets/{output.get('sha256')}.{output['file'].rsplit('.', 1)[-1]}":
                fail(f"folio.lock: entry {id} names {output['file']} for {output.get('sha256')}")
    return lock


def referenced(lock):
    return {o["file"] for e in lock["entries"].values() for o in e.get("outputs") or [] if o.get("file")}


def scan_assets(project, verified=None):
    """(whole, temporary, other) names in assets/; fails if a content-addressed file's bytes are not
    its name (a partial file renamed into place). `verified` remembers files already hashed."""
    folder = os.path.join(project, "assets")
    whole, temporary, other = [], [], []
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        match = ASSET.match(name)
        if match:
            path = os.path.join(folder, name)
            stat = os.stat(path)
            identity = (name, stat.st_size, stat.st_mtime_ns)
            if verified is None or identity not in verified:
                with open(path, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
                if digest != match.group(1):
                    fail(f"assets/{name} holds bytes whose SHA-256 is {digest}: a partial or changed file under a content address")
                if verified is not None:
                    verified.add(identity)
            whole.append("assets/" + name)
        elif name.startswith(".download-") and name.endswith(".part"):
            temporary.append("assets/" + name)
        else:
            other.append("assets/" + name)
    return whole, temporary, other


def leftovers(project):
    """Temporary files an interrupted atomic write leaves beside folio.lock and in .folio/."""
    found = []
    for folder in [project, os.path.join(project, ".folio")]:
        if os.path.isdir(folder):
            found += [os.path.relpath(os.path.join(folder, n), project) for n in os.listdir(folder) if n.endswith(".tmp")]
    return sorted(found)


def check_final_assets(project, lock):
    """After a completed build: no temporary files, nothing unreferenced, every referenced file whole."""
    whole, temporary, other = scan_assets(project)
    if temporary:
        fail(f"{len(temporary)} partial downloads left in assets/ after the build completed: {temporary[:5]}")
    if other:
        fail(f"files in assets/ that are not assets: {other[:5]}")
    unreferenced = sorted(set(whole) - referenced(lock))
    if unreferenced:
        fail(f"{len(unreferenced)} files in assets/ no lockfile entry refers to: {unreferenced[:5]}")
    missing = sorted(referenced(lock) - set(whole))
    if missing:
        fail(f"{len(missing)} files the lockfile names are not in assets/: {missing[:5]}")
    return len(whole)


# MARK: - The request log


def creates(entries):
    """Create requests (a sync route's generate call, a Kling create) per prompt number, in log order,
    each with its position in the log as `at`."""
    found = {}
    for position, entry in enumerate(entries):
        entry["at"] = position
        if entry["host"] == "gateway" and entry["kind"] in ("create", "generate"):
            match = TOKEN.search(entry.get("prompt") or "")
            if not match:
                fail(f"a create without a soak prompt: {entry['path']}")
            found.setdefault(int(match.group(1)), []).append(entry)
    return found


def check_authorization(entries):
    """Every gateway request carried the key; no request to the image host did."""
    for entry in entries:
        if entry["host"] == "gateway" and entry["authorization"] != "valid":
            fail(f"a gateway request without the key: {entry['method']} {entry['path']} ({entry['authorization']})")
        if entry["host"] == "storage" and entry["authorization"] != "none":
            fail(f"the key went to the image host: {entry['path']}")


def run(folio, work, project, key, name, start, body, faults=None):
    """Runs `body(runner, simulator)` against `project` with a simulator of its own, stopped
    whatever happens; keeps the result, with the seconds since `start`, as `<name>.json` in `work`."""
    scale = float(os.environ.get("FOLIO_SOAK_TIME_SCALE", "0.01"))
    simulator = Simulator(folio, work, key, scale, faults=faults)
    runner = Runner(folio, project, work, simulator, key, scale)
    try:
        result = body(runner, simulator)
    finally:
        simulator.stop()
    result["seconds"] = round(seconds_since(start), 1)
    with open(os.path.join(work, name + ".json"), "w") as f:
        json.dump(result, f, indent=2)
    return result


def seconds_since(start):
    return time.monotonic() - start


def rng_from_environment(name):
    seed = int(os.environ.get("FOLIO_SOAK_SEED") or random.SystemRandom().randrange(1, 10**6))
    note(f"{name}: FOLIO_SOAK_SEED={seed} repeats the random choices (kill moments, keys, faults)")
    return random.Random(seed), seed
