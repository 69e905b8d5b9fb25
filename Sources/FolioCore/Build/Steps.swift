import Foundation

/// The steps every command's pipeline is made of, in the order a build runs them.
extension BuildStep {
    /// Render only: when no input changed since the last render, its answer, from a stat of every input.
    public static let statInputs = BuildStep("stat inputs") { state in
        let project = state.options.project
        guard let stamp = RenderStamp.take(project: project) else { return }
        state.stamp = stamp
        // The output folder, when it can be found without loading the project; a problem with
        // folio.yml or the folder is left for the full render to report.
        let (settings, problems) = SettingsLoader.load(project: project)
        guard problems.errors.isEmpty else { return }
        let site = state.options.site(settings: settings)
        guard OutputFolder.problem(site, project: project) == nil, let (report, notes) = stamp.report(site: site, project: project) else { return }
        state.render = report
        state.finished = true
        await state.observe(.rendered(report, site: site, notes: notes))
    }

    /// The prompts and `folio.yml` (any error stops the build, exit 2), the run lock when the
    /// build generates (one process writes `folio.lock` at a time) or publishes (no build changes
    /// the site while it is copied), then `folio.lock`, read once.
    public static let load = BuildStep("load") { state in
        // folio.lock is decoded while the prompts are, and used once the run lock is held only if
        // it is still the file then read.
        let root = state.options.project.standardizedFileURL
        async let early = Lockfile.EarlyRead(project: root)
        let project = await ProjectLoader.load(root)
        await state.observe(.diagnostics(project.diagnostics))
        let errors = project.diagnostics.errors.count
        if errors > 0 {
            let them = errors == 1 ? "it" : "them"
            throw FolioError(
                "\(errors) error\(errors == 1 ? "" : "s") in the project; nothing was done. Fix \(them) and run again ('folio check' lists them).",
                exit: .invalidInput, heading: nil)
        }
        state.project = project
        // Publishing to an object store needs the aws command line: said before anything is rendered.
        if case .objectStore? = state.options.publish?.target { _ = try ObjectStore.Client.find(environment: state.options.environment) }
        // A build that renders checks its output folder first, and a publish the folder it publishes
        // to: a forbidden folder stops it before anything is locked, paid for or written.
        if state.runs(.renderImages) { state.site = try state.checkedSite() }
        if case .folder(let destination)? = state.options.publish?.target, let site = state.site,
            let problem = Publisher.folderProblem(destination, site: site, project: project.root)
        {
            throw problem
        }
        // Generating and cleaning rewrite folio.lock: never beside another process that writes it.
        if state.runs(.generate) {
            state.runLock = try RunLock.acquire(project: project.root, command: state.runs(.renderImages) ? "build" : "generate")
        } else if state.options.deleteUnreferenced {
            state.runLock = try RunLock.acquire(project: project.root, command: "clean --yes")
        } else if state.runs(.renderImages) {
            // One process writes the site at a time: a render (or `folio serve`'s) never rewrites it
            // beside a build, nor under a publish, which holds it from before its render to the end
            // of the copy, upload or commit (dry run or not: it renders too).
            state.runLock = try RunLock.acquire(project: project.root, command: state.runs(.publish) ? "publish" : "render")
        }
        state.lock = try await early.current(project: project.root) ?? Lockfile.load(project: project.root)
        // A build that goes on to write keeps the prompts it decoded for the next run.
        if state.runLock != nil { state.project?.writePromptCache() }
        // A prompt file that gained or lost routes keeps what it paid for, under its new ids: the
        // next write of folio.lock (any change a build makes) writes the moves, and until then
        // every run makes them again from the same files, so a saved plan's digest still holds.
        (state.lock, state.routeMoves) = state.lock.movingRoutes(for: project.prompts)
    }

    /// The plan, computed once: each prompt's action and the requests a build sends.
    public static let plan = BuildStep("plan") { state in
        guard let project = state.project else { return }
        // The first real entry by id: the message names the same one on every run.
        if state.options.simulate, let real = state.lock.entries.filter({ !$0.value.simulated }).min(by: { $0.key < $1.key }) {
            throw FolioError(
                """
                folio.lock holds real generations ('\(real.key)' among them); --simulate would mix simulated images into them. \
                Run --simulate on a copy of the project, or without --simulate to use the gateway.
                """, path: Lockfile.fileName)
        }
        let saved = try state.adoptSavedPlan()
        state.plan = Planner.plan(project.prompts, lock: state.lock, project: project.root, options: state.options.planOptions)
            .priced(project.settings.prices, prompts: project.prompts)
        if let saved, let plan = state.plan { try saved.check(plan, project: project, name: state.options.savedPlan ?? "") }
    }

    /// Every planned prompt that needs the gateway: created, polled, and each image downloaded as
    /// it arrives (result URLs expire), every step recorded in `folio.lock` before the next. The
    /// images to fetch again (the `download` step's) start at the same time, so no URL waits for
    /// a Kling task to finish.
    public static let generate = BuildStep("generate") { state in
        guard let project = state.project, let plan = state.plan else { return }
        // A cap the plan's estimate is over, or cannot be checked against, stops the build here:
        // before the simulator or the gateway is even opened.
        try SpendingCap.check(plan, limit: state.options.costCap(project.settings), flag: state.options.maxCost != nil)
        let session = try await GatewaySession.open(
            state.options, project: project, plan: plan, lock: state.lock,
            observer: state.observer)
        state.session = session
        // Entries moved to new ids (a file that gained or lost routes) are written before any
        // request: folio.lock says what the prompts are called now, even when nothing is sent.
        // Not before the session opens: a build stopped there (no key) leaves folio.lock, and so
        // a saved plan's digest of it, as they were.
        if !state.routeMoves.isEmpty {
            do {
                try state.lock.write(project: project.root)
            } catch {
                throw FolioError("cannot write \(Lockfile.fileName): \(error)", path: Lockfile.fileName)
            }
            state.routeMoves = []
        }
        await state.observe(.generating(total: plan.entries.count))
        session.generator.removeLeftovers()
        let again = plan.entries.filter { $0.action == .download }
        if !again.isEmpty { state.downloads = Task { await session.generator.run(again) } }
        state.generation = await session.generator.run(plan.entries.filter { $0.action != .download })
    }

    /// Images whose files are gone while their URLs still work, fetched again (started by the
    /// `generate` step, awaited here); then the gateway session closes and the run lock is released.
    public static let download = BuildStep("download") { state in
        guard let session = state.session, let plan = state.plan, let generated = state.generation else { return }
        var report = generated
        if let downloads = state.downloads { report = report.adding(await downloads.value) }
        state.downloads = nil
        state.generation = report
        let before = state.lock
        state.lock = await session.store.lock
        // The site reads each prompt's state from the plan: brought up to date, not made again.
        if let project = state.project {
            state.plan = Planner.refresh(
                plan, prompts: project.prompts, before: before, after: state.lock, project: project.root,
                options: state.options.planOptions
            ).priced(project.settings.prices, prompts: project.prompts)
        }
        await state.close()
        await state.observe(.generated(report))
    }

    /// The site's plan from the lockfile as generation left it, then every original and rendition.
    public static let renderImages = BuildStep("render images") { state in
        guard let project = state.project else { return }
        let (theme, problems) = Theme.load(project: project.root)
        await state.observe(.diagnostics(problems))
        guard let theme else {
            throw FolioError("the templates have errors; nothing was rendered", exit: .invalidInput, heading: nil)
        }
        state.themeProblems = problems
        let site = try state.site ?? state.checkedSite()
        state.site = site
        let builder = SiteBuilder(project: project, lock: state.lock, theme: theme, site: site, force: state.options.force, plan: state.plan)
        var render = SiteRender(builder: builder)
        let observer = state.observer
        try await state.forgettingStampOnFailure {
            _ = try render.plan()
            try await render.renderImages { done, total in await observer(.progress(label: "rendering images", done: done, total: total)) }
        }
        state.siteRender = render
    }

    /// Every page, the feed, the search index and `static/`.
    public static let writePages = BuildStep("write pages") { state in
        guard var render = state.siteRender else { return }
        try await state.forgettingStampOnFailure { try await render.writePages() }
        state.siteRender = render
    }

    /// Every link of every page leads somewhere in the site.
    public static let checkLinks = BuildStep("check links") { state in
        guard let render = state.siteRender else { return }
        try await state.forgettingStampOnFailure { try await render.checkLinks() }
    }

    /// Files earlier renders wrote and this one did not are removed; the render's answer is kept
    /// for a later `folio render` that finds no input changed.
    public static let prune = BuildStep("prune") { state in
        guard var render = state.siteRender, let site = state.site, let project = state.project else { return }
        var report = RenderReport()
        try await state.forgettingStampOnFailure { report = try render.prune() }
        state.render = report
        // What loading printed, for a later render that finds nothing changed.
        let notes = (project.diagnostics + state.themeProblems).filter { $0.severity != .error }.map(\.description)
        if let stamp = state.stamp {
            let references = project.prompts.flatMap { $0.generation.images.map(\.path) }
            stamp.keep(report, notes: notes, dependencies: references, site: site, project: project.root)
        } else {
            // The prompts were read before generating and may have changed since: no stamp.
            RenderStamp.forget(site: site)
        }
        await state.observe(.rendered(report, site: site, notes: []))
    }
}

extension BuildStep {
    /// `folio check --published`: every image of the rendered site read back (labels, signed
    /// originals) and every file searched for private values.
    public static let checkPublished = BuildStep("check published") { state in
        guard let project = state.project else { return }
        let check = PublishedCheck.run(project: project, lock: state.lock, site: state.options.site(settings: project.settings))
        state.published = check
        await state.observe(.checkedPublished(check))
    }

    /// `folio publish DEST`: refused while prompts are pending, failed, not generated or missing
    /// some of their images (unless `allowPartial`) and while the site does not pass
    /// `check --published`; then the site is copied to a folder, committed to a git branch or
    /// uploaded to an object store.
    public static let publish = BuildStep("publish") { state in
        guard let request = state.options.publish, let project = state.project, let site = state.site, let render = state.render else { return }
        let unfinished = render.placeholders.map { "\($0.id) (\($0.kind.rawValue))" } + render.incomplete.map { "\($0.id) (\($0.explanation))" }
        if !unfinished.isEmpty, !request.allowPartial {
            let list = unfinished.prefix(5).joined(separator: ", ") + (unfinished.count > 5 ? ", …" : "")
            // Only waiting (pending, not generated yet): 3, run the build again; anything failed or lost: 4.
            throw FolioError(
                "\(unfinished.count) prompt\(unfinished.count == 1 ? " is" : "s are") not shown with all their images: \(list); nothing was published. Build them, or publish with --allow-partial.",
                exit: render.hasFailedOrMissing ? .partial : .pending)
        }
        if let check = state.published, !check.problems.isEmpty {
            throw FolioError(
                "the site does not pass check --published (\(check.problems.count) problem\(check.problems.count == 1 ? "" : "s") above); nothing was published",
                exit: .partial)
        }
        let report: PublishReport
        switch request.target {
        case .folder(let destination):
            report = try Publisher.toFolder(site, destination, project: project.root, dryRun: request.dryRun)
        case .gitBranch(let branch):
            let message = "Publish \(project.settings.title): \(render.pages) pages (folio \(request.label))"
            report = try Publisher.toGitBranch(site, branch: branch, project: project.root, dryRun: request.dryRun, message: message)
        case .checkOnly:
            report = PublishReport(
                notes: ["\(site.lastPathComponent)/ is complete and passes check --published; nothing was copied (give a DEST to publish it)"],
                checkedOnly: true)
        case .objectStore(let bucket, let prefix):
            let observer = state.observer
            report = try await ObjectStore.publish(
                site, bucket: bucket, prefix: prefix, project: project.root, dryRun: request.dryRun, environment: state.options.environment
            ) { done, total in await observer(.progress(label: "uploading", done: done, total: total)) }
        }
        state.publishReport = report
        await state.observe(.published(report, destination: request.target.name, dryRun: request.dryRun))
    }

    /// `folio clean`: the assets and lock entries no prompt refers to, deleted with `deleteUnreferenced`.
    public static let clean = BuildStep("clean") { state in
        guard let project = state.project else { return }
        let plan = CleanPlan.make(prompts: project.prompts, lock: state.lock, project: project.root)
        if state.options.deleteUnreferenced, !plan.isEmpty { state.lock = try plan.apply(lock: state.lock, project: project.root) }
        state.clean = plan
    }
}

extension BuildState {
    /// Whether this build's pipeline holds `step`.
    func runs(_ step: BuildStep) -> Bool {
        stepNames.contains(step.name)
    }

    /// The output folder, checked before anything is generated or written (a forbidden folder is never touched).
    func checkedSite() throws(FolioError) -> URL {
        guard let project else { throw FolioError("no project loaded") }
        let site = options.site(settings: project.settings)
        try SiteBuilder.checkOutput(site, project: project.root, force: options.force)
        return site
    }

    /// Runs a render step; if it fails, the stamp is dropped so the next render starts afresh.
    func forgettingStampOnFailure(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            if let site { RenderStamp.forget(site: site) }
            throw error
        }
    }
}

extension GatewaySession {
    /// The gateway (or a simulator, with `--simulate`) and the generator that talks to it.
    static func open(
        _ options: BuildOptions, project: LoadedProject, plan: Plan, lock: Lockfile,
        observer: @escaping @Sendable (BuildEvent) async -> Void
    ) async throws -> GatewaySession {
        let environment = options.environment
        // Downloads go to the image hosts and need no key; only requests and polls do.
        // With --regenerate a download may turn into a create (its link turns out gone).
        let needsGateway = plan.entries.contains {
            $0.requests > 0 || $0.action == .resume || (options.regenerate && $0.action == .download)
        }
        // Tests and demos speed every wait up by the same factor as the simulator's clock.
        let timeScale = environment["FOLIO_TIME_SCALE"].flatMap(Double.init) ?? (options.simulate ? 0.05 : 1)
        var simulator: SimulatedGateway?
        let endpoint: GatewayEndpoint
        if options.simulate {
            guard let start = options.startSimulator else { throw FolioError("--simulate needs a simulator, and none was given") }
            let started = try await start(
                timeScale, environment["FOLIO_SIM_IMAGE_SCALE"].flatMap(Int.init) ?? 1, options.simulatedImageDetail)
            simulator = started
            do {
                endpoint = try GatewayEndpoint(baseURL: started.baseURL, key: "simulated")
            } catch {
                await started.stop()
                throw error
            }
        } else if needsGateway {
            endpoint = try GatewaySetup.endpoint(settings: project.settings, environment: environment)
        } else if let base = environment["ANYINT_BASE_URL"], !base.isEmpty, let named = try? GatewayEndpoint(baseURL: base, key: "unused") {
            // Nothing to send, but the user named a gateway: its address decides whether image URLs
            // on this machine are expected (a local gateway's are). No key is read; nothing is sent.
            // (folio.yml's gateway does not count: a cloned project must not open this machine.)
            endpoint = named
        } else {
            // Nothing to send to the gateway and none configured: no key needed.
            endpoint = try GatewayEndpoint(baseURL: "https://gateway.invalid", key: "unused")
        }
        // Faster waits are for the simulator and tests: a real gateway is never hurried.
        if !endpoint.isLoopback, timeScale != 1, needsGateway {
            await observer(.warning("FOLIO_TIME_SCALE is ignored: the gateway \(endpoint.baseURL) is not on this machine"))
        }
        var generation = GatewaySetup.options(
            settings: project.settings, jobs: options.jobs, retryFailed: options.retryFailed,
            regenerate: options.regenerate,
            timeScale: GatewaySetup.timeScale(requested: timeScale, endpoint: endpoint))
        generation.simulated = options.simulate
        generation.prices = project.settings.prices
        generation.spending = options.costCap(project.settings).map { SpendingCap(limit: $0, currency: project.settings.prices.currency) }
        options.tuneGeneration?(&generation)
        let store = LockStore(project: project.root, lock: lock)
        let http = GatewayHTTP(endpoint: endpoint)
        let generator = Generator(
            prompts: project.prompts, project: project.root, store: store, http: http, options: generation,
            events: { event in await observer(.generation(event)) })
        return GatewaySession(store: store, http: http, generator: generator, simulator: simulator)
    }
}
