import Foundation

extension RouteID {
    /// Kling V3 Omni images: a task making `n` images or a series, as URLs kept 30 days.
    public static let klingOmni = RouteID(known: "kling-omni")
}

/// `POST /transtreams/kling/v1/images/omni-image`, queried at `…/omni-image/{task_id}`
/// (api-reference.md §4): Kling's task and envelope, with reference images the prompt names as
/// `<<<image_N>>>` and an optional series.
struct KlingOmni: TaskRoute {
    let provider = "Kuaishou"

    let rules = RouteRules(
        route: .klingOmni, style: .task,
        models: ["kling-v3-omni"],
        defaultModel: "kling-v3-omni",
        keys: [.aspectRatio, .resolution, .images, .resultType, .seriesAmount],
        aspectRatios: Kling.aspectRatios + ["auto"], defaultAspectRatio: "1:1",
        sizes: [], defaultSize: nil,
        resolutions: ["1k", "2k", "4k"], defaultResolution: "1k",
        imageSizes: [], defaultImageSize: nil,
        imagesPerCall: .all,
        maxPromptLength: 2500, maxNegativePromptLength: nil, seedRange: nil, seriesAmount: 2...9,
        references: RouteRules.References(
            maxCount: 10, maxBytes: 10 * 1_000_000, formats: ["png", "jpeg"],
            minSide: 300, aspectRange: (1 / 2.5)...2.5, fieldName: "image_list"),
        resultLifetime: 30 * 24 * 3600,
        refusals: [
            .negativePrompt: "Kling V3 Omni has no negative prompt; say what to avoid in the prompt itself",
            .seed: "Kling's image API has no seed",
            .size: "set the shape with aspect_ratio and the size with resolution (1k, 2k, 4k)",
            .imageSize: "set the output size with resolution (1k, 2k, 4k)",
            .watermark: "Kling V3 Omni's image API has no watermark setting",
        ]
    )

    let modelledFields = [
        "model_name", "model", "prompt", "image_list", "resolution", "result_type", "n", "series_amount",
        "aspect_ratio", "external_task_id",
    ]

    let path = "/transtreams/kling/v1/images/omni-image"

    /// `result_type` and `series_amount` together; `auto` only with a reference image, which is its
    /// default then; every `<<<image_N>>>` names a listed image, and listed images are named.
    func normalise(_ generation: inout Generation, frontMatter: FrontMatterReader, promptLine: Int, imagesRead: Bool) throws(Diagnostic) {
        // Images that could not be read are already reported; checks against them would mislead.
        guard imagesRead else { return }
        let resultType = try frontMatter.choice(.resultType, from: ["single", "series"]) ?? "single"
        generation.resultType = resultType
        let amount = try frontMatter.int(.seriesAmount, in: rules.seriesAmount ?? 2...9)
        if resultType == "series" {
            generation.seriesAmount = amount ?? 4
            if generation.n != 1, let node = frontMatter.node(.n, route: .klingOmni) {
                throw node.diagnostic("with result_type: series the number of images is series_amount (2–9); leave n out", key: "n")
            }
        } else if amount != nil, let node = frontMatter.node(.seriesAmount, route: .klingOmni) {
            throw node.diagnostic("series_amount applies only to result_type: series", key: "series_amount")
        }
        if generation.aspectRatio == nil {
            generation.aspectRatio = generation.images.isEmpty ? (rules.defaultAspectRatio ?? "1:1") : "auto"
        } else if generation.aspectRatio == "auto", generation.images.isEmpty, let node = frontMatter.node(.aspectRatio, route: .klingOmni) {
            throw node.diagnostic("aspect_ratio 'auto' needs a reference image to take the shape from; give a ratio such as 1:1", key: "aspect_ratio")
        }
        // <<<image_N>>> must name a listed image.
        let text = generation.prompt
        var searchStart = text.startIndex
        var referenced = false
        while let open = text.range(of: "<<<image_", range: searchStart..<text.endIndex),
            let close = text.range(of: ">>>", range: open.upperBound..<text.endIndex)
        {
            referenced = true
            let number = Int(text[open.upperBound..<close.lowerBound])
            let before = text[text.startIndex..<open.lowerBound]
            let line = promptLine + before.filter { $0 == "\n" }.count
            let column = before.reversed().prefix { $0 != "\n" }.count + 1
            guard let number, (1...max(generation.images.count, 1)).contains(number), !generation.images.isEmpty else {
                throw Diagnostic(
                    file: frontMatter.file, line: line, column: column, key: "prompt",
                    message:
                        "the prompt refers to \(text[open.lowerBound..<close.upperBound]) but the file lists \(generation.images.count) reference image\(generation.images.count == 1 ? "" : "s") under images"
                )
            }
            searchStart = close.upperBound
        }
        if !referenced, !generation.images.isEmpty, let node = frontMatter.node(.images, route: .klingOmni) {
            throw node.diagnostic(
                "route kling-omni addresses reference images in the prompt as <<<image_1>>>, <<<image_2>>>…; the prompt names none of them",
                key: "images", severity: .warning)
        }
    }

    /// References in `image_list`, an explicit aspect ratio, `n` or `series_amount`.
    func body(_ generation: Generation, externalID: String, references: [Data]) -> JSONValue {
        let g = generation
        var pairs: [(String, JSONValue)] = [
            ("model_name", .string(g.model)), ("model", .string(g.model)), ("prompt", .string(g.prompt)),
        ]
        if !references.isEmpty {
            pairs.append(("image_list", .array(references.map { .object([("image", .string($0.base64EncodedString()))]) })))
        }
        pairs.append(("resolution", .string(g.resolution ?? "1k")))
        let resultType = g.resultType ?? "single"
        pairs.append(("result_type", .string(resultType)))
        if resultType == "series" {
            pairs.append(("series_amount", .int(g.seriesAmount ?? 4)))
        } else {
            pairs.append(("n", .int(g.n)))
        }
        pairs.append(("aspect_ratio", .string(g.aspectRatio ?? (references.isEmpty ? "1:1" : "auto"))))
        pairs.append(("external_task_id", .string(externalID)))
        return ExtraFields.merge(.object(pairs), g.extra)
    }

    /// Kling's envelope: read as Kling reads it.
    func classify(_ reply: HTTPReply, scrub: (String) -> String) -> Result<TaskSnapshot, CallFailure> {
        Kling().classify(reply, scrub: scrub)
    }
}
