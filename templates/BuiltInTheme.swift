// This file is not part of the theme: it is how the package compiles this folder into `folio`
// (the `FolioTheme` target in Package.swift). Folio reads only the file names it knows from a
// project's `templates/`, so this file is neither published nor reported.

/// The theme Folio ships with, compiled into the binary so a copied `folio` keeps it; a file of
/// the same name in a project's `templates/` replaces the built-in one.
public enum BuiltInTheme {
    /// Every file of the theme by name: the Mustache templates, `folio.css`, `folio.js` and the icon, `favicon.svg`.
    public static let files: [String: [UInt8]] = [
        "layout.mustache": PackageResources.layout_mustache,
        "head.mustache": PackageResources.head_mustache,
        "card.mustache": PackageResources.card_mustache,
        "params.mustache": PackageResources.params_mustache,
        "grid.mustache": PackageResources.grid_mustache,
        "prompt.mustache": PackageResources.prompt_mustache,
        "routes.mustache": PackageResources.routes_mustache,
        "compare.mustache": PackageResources.compare_mustache,
        "folio.css": PackageResources.folio_css,
        "folio.js": PackageResources.folio_js,
        "favicon.svg": PackageResources.favicon_svg,
    ]
}
