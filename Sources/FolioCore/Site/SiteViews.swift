import Mustache

// The values the theme's templates receive: one type per template or section, each listing in
// `child(named:)` exactly the keys its template may read. A key it does not list is looked up in
// the enclosing section, and so is one whose value is nil (its section is skipped). The list is
// written out rather than read by reflection: Mustache's `Mirror` lookup renders pages three times
// slower, and the keys a project's own templates may use are part of the theme's contract.

/// A value a template reads by key.
protocol TemplateView: MustacheParent, Sendable {}

// MARK: - Every page

/// `layout.mustache` (and `head.mustache`): a page around its rendered body.
struct LayoutView: TemplateView {
    /// `../` up to the site's root from this page.
    var root: String
    var site: SiteView
    /// The body, already rendered.
    var content: String
    var pageTitle: String
    var pageDescription: String
    var bodyClass: String
    var isHome: Bool
    var albums: [AlbumLink]
    var canonical: String?
    var social: SocialView?
    var icons: [IconLink]
    /// `compare/index.html`, when some prompt has several routes.
    var compare: String? = nil
    /// This is the compare page.
    var isCompare = false

    func child(named key: String) -> Any? {
        switch key {
        case "compare": compare
        case "isCompare": isCompare
        case "root": root
        case "site": site
        case "content": content
        case "pageTitle": pageTitle
        case "pageDescription": pageDescription
        case "bodyClass": bodyClass
        case "isHome": isHome
        case "albums": albums
        case "canonical": canonical
        case "social": social
        case "icons": icons
        default: nil
        }
    }
}

/// `{{#icons}}`: one `<link rel="icon">` of every page.
struct IconLink: TemplateView {
    /// Relative to the site's root.
    var url: String
    var type: String?
    var sizes: String?

    func child(named key: String) -> Any? {
        switch key {
        case "url": url
        case "type": type
        case "sizes": sizes
        default: nil
        }
    }
}

/// `{{site.…}}`: the gallery's own settings.
struct SiteView: TemplateView {
    var title: String
    var description: String
    var language: String

    func child(named key: String) -> Any? {
        switch key {
        case "title": title
        case "description": description
        case "language": language
        default: nil
        }
    }
}

/// An album in the header's navigation.
struct AlbumLink: TemplateView {
    var url: String
    var name: String
    var current: Bool

    func child(named key: String) -> Any? {
        switch key {
        case "url": url
        case "name": name
        case "current": current
        default: nil
        }
    }
}

/// `{{#social}}`: Open Graph and Twitter card tags and the JSON-LD of an image page.
struct SocialView: TemplateView {
    var title: String
    var description: String
    var image: String
    var width: Int
    var height: Int
    var alt: String
    /// Inserted unescaped; `<` is already written as `\u003c`.
    var jsonLD: String
    var url: String?

    func child(named key: String) -> Any? {
        switch key {
        case "title": title
        case "description": description
        case "image": image
        case "width": width
        case "height": height
        case "alt": alt
        case "jsonLD": jsonLD
        case "url": url
        default: nil
        }
    }
}

// MARK: - Listings

/// `grid.mustache`: a page of the index, an album or a tag.
struct GridView: TemplateView {
    var root: String
    var site: SiteView
    var heading: String
    var intro: String?
    var hasTags: Bool
    var tags: [TagChip]
    var cards: [CardView]
    var pagination: PaginationView?

    func child(named key: String) -> Any? {
        switch key {
        case "root": root
        case "site": site
        case "heading": heading
        case "intro": intro
        case "hasTags": hasTags
        case "tags": tags
        case "cards": cards
        case "pagination": pagination
        default: nil
        }
    }
}

/// A tag above the grid, with how many image sets carry it.
struct TagChip: TemplateView {
    var url: String
    var name: String
    var count: Int
    var current: Bool

    func child(named key: String) -> Any? {
        switch key {
        case "url": url
        case "name": name
        case "count": count
        case "current": current
        default: nil
        }
    }
}

/// `{{#pagination}}`: links to the other pages of a listing.
struct PaginationView: TemplateView {
    var pages: [PageNumber]
    var prev: String?
    var next: String?

    func child(named key: String) -> Any? {
        switch key {
        case "pages": pages
        case "prev": prev
        case "next": next
        default: nil
        }
    }
}

/// One page number in the pagination.
struct PageNumber: TemplateView {
    var url: String
    var number: Int
    var current: Bool

    func child(named key: String) -> Any? {
        switch key {
        case "url": url
        case "number": number
        case "current": current
        default: nil
        }
    }
}

/// `card.mustache`: one prompt in the grid, as its cover image or as a placeholder.
struct CardView: TemplateView {
    var id: String
    var page: String
    var title: String
    var root: String
    var ratio: String
    /// The cover's dominant colour; nil for a placeholder.
    var color: String?
    var route: String?
    /// How many images the prompt has, when more than one.
    var variants: Int?
    var image: CardImageView?
    var placeholder: PlaceholderView?

    func child(named key: String) -> Any? {
        switch key {
        case "id": id
        case "page": page
        case "title": title
        case "root": root
        case "ratio": ratio
        case "color": color
        case "route": route
        case "variants": variants
        case "image": image
        case "placeholder": placeholder
        default: nil
        }
    }
}

/// `{{#image}}` of a card: the cover's `<picture>`, the page it links to and the large image the
/// lightbox shows.
struct CardImageView: TemplateView {
    var picture: PictureView
    var page: String
    var large: String
    var largeWidth: Int
    var largeHeight: Int

    func child(named key: String) -> Any? {
        switch key {
        case "page": page
        case "large": large
        case "largeWidth": largeWidth
        case "largeHeight": largeHeight
        default: picture.child(named: key)
        }
    }
}

/// `{{#placeholder}}`: a prompt without images, and why.
struct PlaceholderView: TemplateView {
    var state: String
    var reason: String
    /// The prompt's page, on a card (the image page itself has none).
    var page: String?

    func child(named key: String) -> Any? {
        switch key {
        case "state": state
        case "reason": reason
        case "page": page
        default: nil
        }
    }
}

// MARK: - The image page

/// `prompt.mustache` (and `params.mustache`): one prompt's page.
struct PromptPageView: TemplateView {
    var root: String
    var site: SiteView
    var title: String
    var album: Link?
    var captionHTML: String?
    var showPrompt: Bool
    var prompt: String?
    var promptHTML: String?
    /// `prompt.md`, when the prompt file is published.
    var source: String?
    var negativePrompt: String?
    var params: [Parameter]
    var hasParams: Bool
    var tags: [Link]
    var hasTags: Bool
    var reply: String?
    var variants: [VariantView]
    var placeholder: PlaceholderView?
    var prev: Neighbour?
    var next: Neighbour?

    func child(named key: String) -> Any? {
        switch key {
        case "root": root
        case "site": site
        case "title": title
        case "album": album
        case "captionHTML": captionHTML
        case "showPrompt": showPrompt
        case "prompt": prompt
        case "promptHTML": promptHTML
        case "source": source
        case "negativePrompt": negativePrompt
        case "params": params
        case "hasParams": hasParams
        case "tags": tags
        case "hasTags": hasTags
        case "reply": reply
        case "variants": variants
        case "placeholder": placeholder
        case "prev": prev
        case "next": next
        default: nil
        }
    }
}

/// An album or a tag of an image page.
struct Link: TemplateView {
    var name: String
    var url: String

    func child(named key: String) -> Any? {
        switch key {
        case "name": name
        case "url": url
        default: nil
        }
    }
}

/// One row of the parameters list.
struct Parameter: TemplateView {
    var name: String
    var value: String

    func child(named key: String) -> Any? {
        switch key {
        case "name": name
        case "value": value
        default: nil
        }
    }
}

/// The previous or next image page.
struct Neighbour: TemplateView {
    var url: String
    var title: String

    init(url: String, title: String) {
        self.url = url
        self.title = title
    }

    /// The neighbour `item` is: its page and title.
    init(_ item: SiteItem) {
        self.init(url: item.page, title: item.prompt.title)
    }

    func child(named key: String) -> Any? {
        switch key {
        case "url": url
        case "title": title
        default: nil
        }
    }
}

/// `{{#variants}}` of an image page: one image, its `<picture>` and what is said beside it.
struct VariantView: TemplateView {
    var picture: PictureView
    var index: Int
    var original: String
    var ratio: String
    var color: String?
    var mime: String
    /// A string, so the section shows for seed 0 too.
    var seed: String?
    /// The original carries C2PA Content Credentials, published unchanged.
    var contentCredentials: Bool

    func child(named key: String) -> Any? {
        switch key {
        case "index": index
        case "contentCredentials": contentCredentials
        case "original": original
        case "ratio": ratio
        case "color": color
        case "mime": mime
        case "seed": seed
        default: picture.child(named: key)
        }
    }
}

// MARK: - Pictures

/// An image as `<picture>`: a `<source>` per modern format and an `<img>` in the fallback format.
/// Its keys are read within the card's `{{#image}}` and the page's `{{#variants}}`.
struct PictureView: TemplateView {
    var sources: [PictureSource]
    var fallback: String
    var fallbackSrcset: String
    var sizes: String
    var width: Int
    var height: Int
    var alt: String
    var loading: String

    func child(named key: String) -> Any? {
        switch key {
        case "sources": sources
        case "fallback": fallback
        case "fallbackSrcset": fallbackSrcset
        case "sizes": sizes
        case "width": width
        case "height": height
        case "alt": alt
        case "loading": loading
        default: nil
        }
    }
}

/// One `<source>` of a `<picture>`.
struct PictureSource: TemplateView {
    var type: String
    var srcset: String
    var sizes: String

    func child(named key: String) -> Any? {
        switch key {
        case "type": type
        case "srcset": srcset
        case "sizes": sizes
        default: nil
        }
    }
}
