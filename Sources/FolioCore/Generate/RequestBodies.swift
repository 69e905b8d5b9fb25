import Foundation

/// The request body each route takes, built from a prompt's normalised `Generation` (api-reference.md).
enum RequestBodies {
    /// Gemini: the prompt, then each reference image as an `inlineData` part.
    static func gemini(_ g: Generation, references: [Data]) -> JSONValue {
        var parts: [JSONValue] = [.object([("text", .string(g.prompt))])]
        for (image, data) in zip(g.images, references) {
            parts.append(.object([("inlineData", .object([("mimeType", .string("image/\(image.format)")), ("data", .string(data.base64EncodedString()))]))]))
        }
        var imageConfig: [(String, JSONValue)] = []
        if let aspect = g.aspectRatio { imageConfig.append(("aspectRatio", .string(aspect))) }
        if let size = g.imageSize { imageConfig.append(("imageSize", .string(size))) }
        let body: JSONValue = .object([
            ("contents", .array([.object([("role", .string("user")), ("parts", .array(parts))])])),
            ("generationConfig", .object([("responseModalities", .array([.string("TEXT"), .string("IMAGE")])), ("imageConfig", .object(imageConfig))])),
        ])
        return merge(body, g.extra)
    }

    /// DashScope: one user message; `watermark` and `prompt_extend` always explicit. With a seed and
    /// several variants, variant `i` takes seed + i so the variants differ.
    static func dashscope(_ g: Generation, variant: Int) -> JSONValue {
        var parameters: [(String, JSONValue)] = [("size", .string(g.size ?? "1664*928"))]
        if let negative = g.negativePrompt { parameters.append(("negative_prompt", .string(negative))) }
        parameters.append(("prompt_extend", .bool(g.promptExtend ?? true)))
        parameters.append(("watermark", .bool(g.watermark ?? false)))
        if let seed = g.seed { parameters.append(("seed", .int((seed + variant) % 2_147_483_648))) }
        let body: JSONValue = .object([
            ("model", .string(g.model)),
            ("input", .object([("messages", .array([.object([("role", .string("user")), ("content", .array([.object([("text", .string(g.prompt))])]))])]))])),
            ("parameters", .object(parameters)),
        ])
        return merge(body, g.extra)
    }

    /// Kling v2.1: `model_name` and `model` equal, `external_task_id` always, the image as raw base64.
    static func kling(_ g: Generation, externalID: String, references: [Data]) -> JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("model_name", .string(g.model)), ("model", .string(g.model)), ("prompt", .string(g.prompt)),
        ]
        if let negative = g.negativePrompt { pairs.append(("negative_prompt", .string(negative))) }
        if let image = references.first { pairs.append(("image", .string(image.base64EncodedString()))) }
        pairs.append(("resolution", .string(g.resolution ?? "1k")))
        pairs.append(("n", .int(g.n)))
        pairs.append(("aspect_ratio", .string(g.aspectRatio ?? "16:9")))
        if let watermark = g.watermark { pairs.append(("watermark_info", .object([("enabled", .bool(watermark))]))) }
        pairs.append(("external_task_id", .string(externalID)))
        return merge(.object(pairs), g.extra)
    }

    /// Kling V3 Omni: references in `image_list`, an explicit aspect ratio, `n` or `series_amount`.
    static func klingOmni(_ g: Generation, externalID: String, references: [Data]) -> JSONValue {
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
        return merge(.object(pairs), g.extra)
    }

    /// `extra` merged into `body`: objects merge key by key, anything else replaces.
    static func merge(_ body: JSONValue, _ extra: JSONValue?) -> JSONValue {
        guard let extra, case .object(var pairs) = body, case .object(let additions) = extra else { return body }
        for (key, value) in additions {
            if let index = pairs.firstIndex(where: { $0.0 == key }) {
                if case .object = pairs[index].1, case .object = value {
                    pairs[index].1 = merge(pairs[index].1, value)
                } else {
                    pairs[index].1 = value
                }
            } else {
                pairs.append((key, value))
            }
        }
        return .object(pairs)
    }
}
