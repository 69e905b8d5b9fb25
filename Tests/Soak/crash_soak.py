#!/usr/bin/env python3
"""Crash soak: a 200-prompt build over all four routes against `folio sim`, killed with SIGKILL at
random moments 30 times, then completed.

After every kill: folio.lock parses (here, and by `folio status --json`), and every content-addressed
file in assets/ holds the bytes its name says. After completion: every prompt succeeded, assets/
holds no partial or unreferenced file, a further build sends nothing, and the request log shows one
create per prompt — exactly one Kling task per prompt, and for the sync routes one call per variant
except the calls a kill left in flight, which (SPEC §5, uncertain calls) are sent again only by
`folio build --retry-failed`, once each.

    crash_soak.py FOLIO WORK [KILLS]
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import soak  # noqa: E402


def main():
    folio, work = sys.argv[1], sys.argv[2]
    kills_wanted = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    rng, _ = soak.rng_from_environment("crash soak")
    key = soak.test_key()
    start = time.monotonic()
    project = os.path.join(work, "crash-project")
    prompts = soak.make_project(project, rng)
    by_number = {p.number: p for p in prompts}
    # Simulated latencies (8 s a Gemini call, 25–35 s a Kling task) at 1/100 (FOLIO_SOAK_TIME_SCALE): a build of about 40 s.
    result = soak.run(
        folio, work, project, key, "crash-soak", start,
        lambda runner, simulator: soak_it(runner, simulator, project, prompts, by_number, rng, kills_wanted))
    soak.note(
        f"crash soak: {result['kills']} SIGKILLs survived ({result['kills_in_generation']} while generating), lockfile parsed after each; "
        f"{result['creates']} creates for {len(prompts)} prompts ({result['sync_calls']} sync calls for {result['sync_variants']} variants "
        f"+ {result['kling_tasks']} Kling tasks for {result['kling_prompts']} prompts); {result['in_flight_at_kill']} sync calls left in flight "
        f"by a kill, {result['resent']} resent by --retry-failed, {result['paid_twice']} of them had reached the gateway; "
        f"{result['assets']} assets, none partial or unreferenced; {result['seconds']} s"
    )


def soak_it(runner, simulator, project, prompts, by_number, rng, kills_wanted):
    kills = kills_in_generation = finished_early = 0
    in_flight = set()  # (prompt id, variant) a kill left in flight on a sync route
    verified = set()
    partial_seen = set()  # temporary downloads a kill left in assets/
    while kills < kills_wanted:
        process = runner.start("build")
        # Moments from just after start (loading, planning) to well into generating and rendering.
        delay = rng.choice([rng.uniform(0.05, 0.4), rng.uniform(0.3, 1.5), rng.uniform(1.0, 2.5)])
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.01)
        if process.poll() is not None:
            status = runner.finish(process)
            finished_early += 1
            if status == 0:
                soak.fail(f"the build completed after {kills} kills; the soak needs {kills_wanted} (raise the work or lower the time scale)")
            if status not in (3, 4):
                soak.fail(f"folio build exited {status} between kills: {runner.output(process)[-2000:]}")
            continue
        os.kill(process.pid, signal.SIGKILL)
        runner.finish(process)
        kills += 1
        lock = soak.read_lock(project)
        generating = any(e["state"] in ("submitting", "pending") for e in lock["entries"].values()) or len(lock["entries"]) < len(prompts)
        kills_in_generation += generating
        for id, entry in lock["entries"].items():
            if entry["route"] in soak.SYNC:
                in_flight.update((id, v) for v in entry.get("in_flight") or [])
        partial_seen.update(soak.scan_assets(project, verified)[1])
        status = runner.run("status", "--json")
        if status != 0:
            soak.fail(f"folio status --json exited {status} after kill {kills}")

    # Completion: plain builds until nothing is pending, then --retry-failed for the uncertain calls.
    for _ in range(4):
        status = runner.run("build")
        if status != 3:
            break
    lock = soak.read_lock(project)
    failed = {id: e for id, e in lock["entries"].items() if e["state"] == "failed"}
    for id, entry in failed.items():
        if entry["error"]["kind"] != "uncertain":
            soak.fail(f"{id} failed without a fault: {entry['error']}")
    if status not in (0, 4) or (status == 4 and not failed):
        soak.fail(f"the build after the kills exited {status}")
    before_retry = len(simulator.entries())
    # What --retry-failed must send: each uncertain prompt's variants not yet received.
    owed = sum(by_id(prompts)[id].variants - sum(1 for o in e["outputs"] if o.get("file") or o.get("url")) for id, e in failed.items())
    if failed:
        status = runner.run("build", "--retry-failed")
        if status != 0:
            soak.fail(f"folio build --retry-failed exited {status}")
    before_noop = len(simulator.entries())
    status = runner.run("build")
    if status != 0:
        soak.fail(f"the build after completion exited {status}")
    entries = simulator.entries()
    if len(entries) != before_noop:
        soak.fail(f"a build after a complete build sent {len(entries) - before_noop} requests")

    # The project: every prompt succeeded with every image, assets/ whole and referenced.
    lock = soak.read_lock(project)
    for prompt in prompts:
        entry = lock["entries"].get(prompt.id)
        if not entry or entry["state"] != "succeeded" or len([o for o in entry["outputs"] if o.get("file")]) != prompt.variants:
            soak.fail(f"{prompt.id} did not end with its {prompt.variants} images: {entry and entry['state']}")
    assets = soak.check_final_assets(project, lock)
    stray = soak.leftovers(project)
    if stray:
        soak.fail(f"temporary files of interrupted writes left in the project: {stray[:5]}")
    if not os.path.exists(os.path.join(project, "site", "index.html")):
        soak.fail("no site was rendered")

    # The request log: one create per prompt, the rules for uncertain calls aside.
    soak.check_authorization(entries)
    per_prompt = soak.creates(entries)
    in_flight_by_prompt = {}
    for id, variant in in_flight:
        in_flight_by_prompt[id] = in_flight_by_prompt.get(id, 0) + 1
    sync_calls = kling_tasks = resent = 0
    for number, prompt in by_number.items():
        made = per_prompt.get(number, [])
        if not prompt.sync:
            tasks = {e["task_id"] for e in made if e["status"] == 200}
            if len(made) != 1 or len(tasks) != 1:
                soak.fail(f"{prompt.id} ({prompt.route}): {len(made)} create requests, {len(tasks)} tasks; exactly one of each expected")
            kling_tasks += 1
            continue
        before = [e for e in made if e["at"] < before_retry]
        if len(before) > prompt.variants:
            soak.fail(f"{prompt.id}: {len(before)} calls for {prompt.variants} variants before --retry-failed")
        allowed = prompt.variants + in_flight_by_prompt.get(prompt.id, 0)
        if not prompt.variants <= len(made) <= allowed:
            soak.fail(f"{prompt.id}: {len(made)} calls; {prompt.variants} variants and {allowed - prompt.variants} left in flight allow {allowed}")
        sync_calls += len(made)
    resent = sum(1 for e in entries[before_retry:before_noop] if e["host"] == "gateway" and e["kind"] == "generate")
    if resent != owed:
        soak.fail(f"--retry-failed sent {resent} calls; the uncertain prompts lacked {owed} variants")
    sync_variants = sum(p.variants for p in prompts if p.sync)
    paid_twice = sync_calls - sync_variants
    if paid_twice > len(in_flight):
        soak.fail(f"{paid_twice} sync calls beyond one per variant, but kills left only {len(in_flight)} in flight")
    return {
        "prompts": len(prompts),
        "kills": kills,
        "kills_in_generation": kills_in_generation,
        "runs_that_ended_before_their_kill": finished_early,
        "creates": sync_calls + kling_tasks,
        "sync_variants": sync_variants,
        "sync_calls": sync_calls,
        "kling_prompts": sum(1 for p in prompts if not p.sync),
        "kling_tasks": kling_tasks,
        "in_flight_at_kill": len(in_flight),
        "partial_downloads_seen_after_kills": len(partial_seen),
        "uncertain_prompts": len(failed),
        "resent": resent,
        "paid_twice": paid_twice,
        "assets": assets,
        "requests": len(entries),
        "folio_runs": runner.count,
    }


def by_id(prompts):
    return {p.id: p for p in prompts}


if __name__ == "__main__":
    main()
