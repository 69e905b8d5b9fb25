#!/usr/bin/env python3
"""Fault soak: a 200-prompt build over all four routes against `folio sim`, each prompt given, with
probability 10 % per kind, each fault the simulator has that its route can show (a faults file of
rules matched to the prompt's text).

Runs: `folio build` twice (the second resumes what outlasted its retries), then
`folio build --retry-failed --regenerate` (the calls whose outcome is uncertain, the refused and
failed prompts, and links that were dead on arrival — each sent again only when asked), then a
plain `folio build`, which must send nothing.

Checks: folio.lock parses after every run and assets/ is whole, referenced and free of partial
files; every prompt ends succeeded, or failed for a fault that refuses it for good (moderation,
billing, permission, quota); and every create in the simulator's log is justified by the rules —
the first send of a variant (one task per Kling prompt), an automatic retry after an answer that
made nothing and says so (429, 5xx; `gateway.retries` tries in a row at most), or a send asked for
by the third run. Nothing refused (moderation, billing) or uncertain is ever sent again
by a plain run or retried within one.

    fault_soak.py FOLIO WORK
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import soak  # noqa: E402

RETRIES = 4  # gateway.retries in the soak's folio.yml: tries of one call within a run

# The kinds each route can show (Faults.swift); the rest the simulator ignores on that route.
KINDS = {
    "gemini": ["rate-limit", "concurrency", "server-error", "moderation", "blocked", "refusal", "billing", "permission", "slow", "reset", "malformed", "thought", "jpeg"],
    "dashscope": ["rate-limit", "concurrency", "server-error", "moderation", "billing", "permission", "quota", "slow", "reset", "malformed", "truncate", "expired"],
    "kling": ["rate-limit", "concurrency", "server-error", "moderation", "task-failed", "billing", "permission", "quota", "slow", "stall", "reset", "malformed", "poll-error", "truncate", "expired"],
}
KINDS["kling-omni"] = KINDS["kling"]
# Faults that refuse a prompt for good: every request matching them is refused.
PERMANENT = {"moderation", "blocked", "refusal", "billing", "permission", "quota"}


def rule(kind, token, rng):
    """A fault rule for one prompt: retryable faults fire up to 5 times (past one run's 4 tries, so
    some prompts need the second run), the rest once, the permanent ones always."""
    item = {"fault": kind, "match": token}
    if kind in ("rate-limit", "concurrency", "server-error"):
        item["times"] = rng.choice([1, 2, 5])
    elif kind == "poll-error":
        item["times"] = rng.choice([1, 2])
    elif kind in ("slow", "stall"):
        item["times"] = 1
        item["seconds"] = 0.3
    elif kind not in PERMANENT and kind not in ("thought", "jpeg"):
        item["times"] = 1
    return item


def outcome(entry, expired_tasks, failed_tasks, kinds):
    """What a create's answer came to: made (an image or task exists), retry (429/5xx: nothing made,
    try again), uncertain (a sync call that may have been charged), refused, task-failed, or expired
    (made, but its links were dead on arrival). The log names one fault per answer; a dead link
    under another name is known from the image host's answers (Kling: by task id) or, for
    DashScope, from a truncated answer of a prompt that has the expired rule too; a failed task
    whose create answer was cut off (reset) from folio.lock, which records that task failed."""
    fault, route = entry.get("fault"), entry["route"]
    if entry.get("task_id") in failed_tasks:
        return "task-failed"
    if entry.get("task_id") in expired_tasks and fault not in ("task-failed",):
        return "expired"
    if route == "dashscope" and fault == "truncate" and "expired" in kinds:
        return "expired"
    if fault in ("rate-limit", "concurrency", "server-error"):
        return "retry"
    if fault in PERMANENT:
        return "refused"
    if fault in ("malformed", "reset"):
        if route in soak.SYNC:
            return "uncertain"
        # Kling: a malformed answer came before any task; a reset after the task was made.
        return "retry" if fault == "malformed" else "made"
    if fault == "task-failed":
        return "task-failed"
    if fault == "expired":
        return "expired"
    if entry["status"] != 200:
        soak.fail(f"a create answered {entry['status']} without a fault: {entry['path']}")
    return "made"


def main():
    folio, work = sys.argv[1], sys.argv[2]
    rng, _ = soak.rng_from_environment("fault soak")
    key = soak.test_key()
    start = time.monotonic()
    project = os.path.join(work, "fault-project")
    prompts = soak.make_project(project, rng, seeds=False)
    rules = []
    for prompt in prompts:
        for kind in KINDS[prompt.route]:
            if rng.random() < 0.10:
                rules.append(rule(kind, prompt.token, rng))
    faults = os.path.join(work, "faults.yml")
    with open(faults, "w") as f:
        f.write("faults:\n" + "".join("  - " + json.dumps(r) + "\n" for r in rules))
    result = soak.run(
        folio, work, project, key, "fault-soak", start, lambda runner, simulator: soak_it(runner, simulator, project, prompts, rules), faults=faults)
    soak.note(
        f"fault soak: {result['rules']} fault rules on {result['prompts_with_faults']} of {len(prompts)} prompts, {result['faults_fired']} faults "
        f"answered ({', '.join(f'{k} {v}' for k, v in sorted(result['fired_by_kind'].items()))}); exits {result['exits']}; "
        f"{result['creates']} creates (by run {result['creates_by_run']}) = {result['first_sends']} first sends (at most {result['first_sends_max']}) + {result['retries']} automatic retries "
        f"after 429/5xx + {result['resends']} sent again by --retry-failed/--regenerate; {result['refused_or_uncertain_answers']} refused or uncertain answers, none retried by itself; {result['succeeded']} succeeded, "
        f"{result['failed']} refused for good; {result['assets']} assets, none partial or unreferenced; {result['seconds']} s"
    )


def soak_it(runner, simulator, project, prompts, rules):
    exits, marks, failed_tasks, unfinished = [], [], set(), set()
    phases = [("build",), ("build",), ("build", "--retry-failed", "--regenerate"), ("build",)]
    for number, arguments in enumerate(phases, 1):
        marks.append(len(simulator.entries()))
        status = runner.run(*arguments)
        exits.append(status)
        if status not in (0, 3, 4):
            soak.fail(f"run {number} ({' '.join(arguments)}) exited {status}")
        lock = soak.read_lock(project)
        failed_tasks |= {e["task_id"] for e in lock["entries"].values() if e["state"] == "failed" and (e.get("error") or {}).get("code") == "task_failed"}
        if number == 2:
            unfinished = {id for id, e in lock["entries"].items() if e["state"] in ("submitting", "pending")} | {p.id for p in prompts if p.id not in lock["entries"]}
        soak.scan_assets(project)
    entries = simulator.entries()
    marks.append(len(entries))
    if exits[2] == 3:
        soak.fail("prompts were still pending after two runs and --retry-failed")
    if marks[4] != marks[3]:
        soak.fail(f"the last plain build sent {marks[4] - marks[3]} requests")

    def run_of(entry):
        return next(r for r in range(4) if marks[r] <= entry["at"] < marks[r + 1]) + 1

    # Every create justified by the one before it, for the same prompt.
    first = retries = resends = 0
    per_prompt = soak.creates(entries)
    by_number = {p.number: p for p in prompts}
    kinds_of = {}
    for item in rules:
        kinds_of.setdefault(item["match"], set()).add(item["fault"])
    # The image host answers a dead link 403 (a live one cannot expire within a soak).
    expired_tasks = {e["path"].split("/")[2] for e in entries if e["host"] == "storage" and e["status"] == 403 and e["path"].startswith("/kling/")}

    def outcome_of(entry):
        return outcome(entry, expired_tasks, failed_tasks, kinds_of.get(by_number[int(soak.TOKEN.search(entry["prompt"]).group(1))].token, set()))

    for number, made in per_prompt.items():
        prompt = by_number[number]
        images = tasks = streak = 0
        previous, previous_run = None, 0
        for entry in made:
            run, kind = run_of(entry), outcome_of(entry)
            if previous is None:
                first += 1
            elif previous == "retry" and (run != previous_run or streak < RETRIES):
                retries += 1
            elif previous == "made" and prompt.sync and images < prompt.variants:
                first += 1
            elif run == 3 and previous in ("refused", "uncertain", "task-failed", "expired"):
                resends += 1
            else:
                soak.fail(
                    f"{prompt.id} ({prompt.route}): create {made.index(entry) + 1} in run {run} after '{previous}' in run {previous_run}, "
                    f"which the rules do not allow; its creates: {[(run_of(e), e.get('fault'), e['status']) for e in made]}"
                )
            streak = streak + 1 if kind == "retry" and run == previous_run and previous == "retry" else (1 if kind == "retry" else 0)
            if kind == "made" and prompt.sync:
                images += 1
            if kind in ("made", "task-failed", "expired") and not prompt.sync:
                tasks += 1
            previous, previous_run = kind, run
        if prompt.sync and images > prompt.variants:
            soak.fail(f"{prompt.id}: {images} images made for {prompt.variants} variants")
        if not prompt.sync and tasks > 1 + sum(1 for e in made if outcome_of(e) in ("task-failed", "expired")):
            soak.fail(f"{prompt.id}: {tasks} Kling tasks made")

    # Two plain runs finish everything but what only a flag may send again: a prompt still
    # unfinished after them is one whose links were dead on arrival (--regenerate).
    for id in unfinished:
        prompt = next(p for p in prompts if p.id == id)
        if not any(outcome_of(e) == "expired" for e in per_prompt.get(prompt.number, [])):
            soak.fail(f"{id} was still unfinished after two runs, with no dead link to wait for --regenerate")

    # How every prompt ended.
    lock = soak.read_lock(project)
    succeeded = failed = 0
    for prompt in prompts:
        entry = lock["entries"].get(prompt.id)
        last = per_prompt.get(prompt.number, [{}])[-1]
        if entry and entry["state"] == "succeeded" and len([o for o in entry["outputs"] if o.get("file")]) == prompt.variants:
            succeeded += 1
        elif entry and entry["state"] == "failed" and last.get("fault") in PERMANENT:
            failed += 1
        else:
            soak.fail(f"{prompt.id} ended {entry and entry['state']} ({entry and entry.get('error')}), last answer {last.get('fault')}")
    assets = soak.check_final_assets(project, lock)
    stray = soak.leftovers(project)
    if stray:
        soak.fail(f"temporary files left in the project: {stray[:5]}")
    soak.check_authorization(entries)
    refused_then_sent = sum(
        1 for made in per_prompt.values() for a, b in zip(made, made[1:]) if outcome_of(a) in ("refused", "uncertain") and run_of(b) != 3
    )
    if refused_then_sent:
        soak.fail(f"{refused_then_sent} refused or uncertain calls were sent again without --retry-failed")
    fired = {}
    for entry in entries:
        if entry.get("fault"):
            fired[entry["fault"]] = fired.get(entry["fault"], 0) + 1
    return {
        "prompts": len(prompts),
        "rules": len(rules),
        "rules_by_kind": {k: sum(1 for r in rules if r["fault"] == k) for k in sorted({r["fault"] for r in rules})},
        "prompts_with_faults": len({r["match"] for r in rules}),
        "faults_fired": sum(fired.values()),
        "fired_by_kind": fired,
        "exits": exits,
        "unfinished_after_two_runs": sorted(unfinished),
        "creates": first + retries + resends,
        "creates_by_run": [sum(1 for made in per_prompt.values() for e in made if run_of(e) == r) for r in (1, 2, 3, 4)],
        "refused_or_uncertain_answers": sum(1 for made in per_prompt.values() for e in made if outcome_of(e) in ("refused", "uncertain")),
        "first_sends": first,
        "first_sends_max": sum(p.variants if p.sync else 1 for p in prompts),
        "retries": retries,
        "resends": resends,
        "succeeded": succeeded,
        "failed": failed,
        "assets": assets,
        "requests": len(entries),
    }


if __name__ == "__main__":
    main()
