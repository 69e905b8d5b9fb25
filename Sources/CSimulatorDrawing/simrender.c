// The simulator's procedural test images: deterministic colour fields, shapes and a title, plain
// or with photographic detail.
#include "simulator_drawing.h"
#include <vips/vips.h>

/* ---- Simulator test images -------------------------------------------------------------------
 * folio_sim_render draws a procedural "gallery" picture into an RGB buffer (gradient background,
 * a few anti-aliased shapes with soft shadows, a title band) and encodes it with libvips. All
 * randomness comes from a splitmix64 stream seeded by the caller, and all state is on the stack or
 * heap of the call, so it is a pure, thread-safe function of its arguments.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SIM_PI 3.14159265358979323846

typedef struct {
    uint64_t state;
} SimRng;

static uint64_t sim_next(SimRng *rng) {
    uint64_t z = (rng->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double sim_unit(SimRng *rng) {
    return (double)(sim_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

static double sim_range(SimRng *rng, double lo, double hi) {
    return lo + (hi - lo) * sim_unit(rng);
}

/* Uniform in [lo, hi], inclusive. */
static int sim_int(SimRng *rng, int lo, int hi) {
    return lo + (int)(sim_next(rng) % (uint64_t)(hi - lo + 1));
}

static double sim_clamp(double v, double lo, double hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

/* sRGB colour, components 0...255. */
typedef struct {
    float r, g, b;
} SimColor;

typedef struct {
    double L, a, b;
} SimLab;

static double sim_gamma_encode(double v) {
    return v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1.0 / 2.4) - 0.055;
}

/* OKLab to sRGB 0...1; returns whether the colour is inside the sRGB gamut. */
static int sim_lab_to_rgb(SimLab c, double rgb[3]) {
    double l_ = c.L + 0.3963377774 * c.a + 0.2158037573 * c.b;
    double m_ = c.L - 0.1055613458 * c.a - 0.0638541728 * c.b;
    double s_ = c.L - 0.0894841775 * c.a - 1.2914855480 * c.b;
    double l = l_ * l_ * l_, m = m_ * m_ * m_, s = s_ * s_ * s_;
    double lin[3] = {
        4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
        -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
        -0.0041960863 * l - 0.7034186147 * m + 1.7076147010 * s,
    };
    int inside = 1;
    for (int i = 0; i < 3; i++) {
        if (lin[i] < -1e-4 || lin[i] > 1.0001) inside = 0;
        rgb[i] = sim_gamma_encode(sim_clamp(lin[i], 0.0, 1.0));
    }
    return inside;
}

static SimLab sim_lch(double L, double C, double hue_degrees) {
    double h = hue_degrees * (SIM_PI / 180.0);
    SimLab lab = {L, C * cos(h), C * sin(h)};
    return lab;
}

/* OKLCH colour, chroma reduced until it fits in sRGB. */
static SimLab sim_lch_in_gamut(double L, double C, double hue_degrees) {
    double rgb[3];
    SimLab lab = sim_lch(L, C, hue_degrees);
    if (sim_lab_to_rgb(lab, rgb)) return lab;
    double lo = 0.0, hi = C;
    for (int i = 0; i < 16; i++) {
        double mid = 0.5 * (lo + hi);
        if (sim_lab_to_rgb(sim_lch(L, mid, hue_degrees), rgb)) lo = mid; else hi = mid;
    }
    return sim_lch(L, lo, hue_degrees);
}

static SimColor sim_lab_color(SimLab lab) {
    double rgb[3];
    sim_lab_to_rgb(lab, rgb);
    SimColor c = {(float)(rgb[0] * 255.0), (float)(rgb[1] * 255.0), (float)(rgb[2] * 255.0)};
    return c;
}

/* Lifts lightness where mid and dark tones of that hue turn muddy (olive, khaki, brown). */
static double sim_unmuddy(double L, double hue_degrees) {
    double h = fmod(hue_degrees, 360.0);
    if (h < 0.0) h += 360.0;
    if (h >= 75.0 && h < 130.0 && L < 0.8) return 0.8 + (L - 0.3) * 0.2;   /* olive -> yellow */
    if (h >= 45.0 && h < 75.0 && L < 0.64) return 0.64 + (L - 0.3) * 0.2;  /* brown -> orange */
    return L;
}

static SimColor sim_color(double L, double C, double hue_degrees) {
    return sim_lab_color(sim_lch_in_gamut(L, C, hue_degrees));
}

enum { SIM_BAND, SIM_CIRCLE, SIM_ELLIPSE, SIM_RECT, SIM_ROUND_RECT, SIM_RING };

typedef struct {
    int kind;
    double cx, cy;       /* centre (a point on the centre line for bands) */
    double a, b;         /* half extents or radii; b is the half width of a band */
    double corner;       /* corner radius of a rounded rectangle, thickness of a ring */
    double cosr, sinr;   /* rotation */
    double soft;         /* edge softness in pixels */
    double opacity;
    SimColor color;
} SimShape;

/* Signed distance in pixels from (px, py) to the shape's edge: negative inside. */
static double sim_shape_distance(const SimShape *s, double px, double py) {
    double dx = px - s->cx, dy = py - s->cy;
    double x = dx * s->cosr + dy * s->sinr;
    double y = -dx * s->sinr + dy * s->cosr;
    switch (s->kind) {
    case SIM_BAND:
        return fabs(y) - s->b;
    case SIM_CIRCLE:
        return sqrt(x * x + y * y) - s->a;
    case SIM_RING:
        return fabs(sqrt(x * x + y * y) - s->a) - s->corner;
    case SIM_ELLIPSE: {
        double a2 = s->a * s->a, b2 = s->b * s->b;
        double f = x * x / a2 + y * y / b2 - 1.0;
        double gx = 2.0 * x / a2, gy = 2.0 * y / b2;
        double g = sqrt(gx * gx + gy * gy);
        return g < 1e-12 ? -fmin(s->a, s->b) : f / g;
    }
    default: { /* rectangles, rounded or not */
        double r = s->corner;
        double qx = fabs(x) - (s->a - r), qy = fabs(y) - (s->b - r);
        double ox = fmax(qx, 0.0), oy = fmax(qy, 0.0);
        return sqrt(ox * ox + oy * oy) + fmin(fmax(qx, qy), 0.0) - r;
    }
    }
}

static double sim_shape_extent(const SimShape *s) {
    switch (s->kind) {
    case SIM_CIRCLE: return s->a;
    case SIM_RING: return s->a + s->corner;
    case SIM_ELLIPSE: return fmax(s->a, s->b);
    default: return sqrt(s->a * s->a + s->b * s->b);
    }
}

/* The pixels the shape (with edges `soft` wide) can touch: columns x0...x1, rows y0...y1. */
static void sim_shape_bounds(const SimShape *s, int width, int height, double soft, int bounds[4]) {
    bounds[0] = 0, bounds[1] = 0, bounds[2] = width - 1, bounds[3] = height - 1;
    if (s->kind == SIM_BAND) return;
    double e = sim_shape_extent(s) + soft + 1.0;
    bounds[0] = (int)floor(fmax(0.0, s->cx - e));
    bounds[1] = (int)floor(fmax(0.0, s->cy - e));
    bounds[2] = (int)ceil(fmin(width - 1.0, s->cx + e));
    bounds[3] = (int)ceil(fmin(height - 1.0, s->cy + e));
}

/* Blends the shape, moved by (ox, oy), with the given edge softness, colour and opacity. */
static void sim_draw_shape(uint8_t *pixels, int width, int height, const SimShape *shape,
                           double ox, double oy, double soft, SimColor color, double opacity) {
    SimShape s = *shape;
    s.cx += ox;
    s.cy += oy;
    int bounds[4];
    sim_shape_bounds(&s, width, height, soft, bounds);
    const int x0 = bounds[0], y0 = bounds[1], x1 = bounds[2], y1 = bounds[3];
    const double inv = 1.0 / (2.0 * soft);
    for (int y = y0; y <= y1; y++) {
        uint8_t *row = pixels + (size_t)y * (size_t)width * 3;
        for (int x = x0; x <= x1; x++) {
            double d = sim_shape_distance(&s, x + 0.5, y + 0.5);
            if (d >= soft) continue;
            double t = d <= -soft ? 1.0 : (soft - d) * inv;
            double alpha = opacity * t * t * (3.0 - 2.0 * t);
            uint8_t *p = row + (size_t)x * 3;
            p[0] = (uint8_t)(p[0] + (color.r - p[0]) * alpha + 0.5);
            p[1] = (uint8_t)(p[1] + (color.g - p[1]) * alpha + 0.5);
            p[2] = (uint8_t)(p[2] + (color.b - p[2]) * alpha + 0.5);
        }
    }
}

/* ---- Photographic detail ---------------------------------------------------------------------
 * Real model output is photographic: texture at every scale, grain, soft focus, light falling
 * across objects. Its PNGs are several times larger than the flat pictures drawn here otherwise
 * (about 1.5 MB at 1024x1024, not 0.2 MB) and decode about three times slower, which is what
 * benchmarks must see.
 * FOLIO_SIM_DETAIL_PHOTO lays that detail over the same composition: shapes are shaded by the
 * light their shadows already imply and their edges soften, then one pass over every pixel adds
 * fractal gradient noise (brightness and a warm/cool tint), a broad fall-off of light and grain.
 * Its randomness is a second splitmix64 stream, so the composition is drawn from exactly the
 * numbers the simple picture is drawn from.
 */

typedef struct {
    SimRng rng;
    double light_x, light_y; /* unit vector from the picture towards the light */
} SimPhoto;

/* Points the light away from where shadows fall, (dx, dy). */
static void sim_photo_set_light(SimPhoto *photo, double dx, double dy) {
    double n = hypot(dx, dy);
    photo->light_x = n > 0.0 ? -dx / n : 0.0;
    photo->light_y = n > 0.0 ? -dy / n : -1.0;
}

/* Blends a shape lit as a rounded object is: brighter on the side that faces the light, darker
 * towards its rim. `soft` is wider than the simple picture's edge: objects out of focus. */
static void sim_draw_lit_shape(uint8_t *pixels, int width, int height, const SimShape *s, double soft,
                               const SimPhoto *photo) {
    int bounds[4];
    sim_shape_bounds(s, width, height, soft, bounds);
    const double inv = 1.0 / (2.0 * soft);
    const double extent = s->kind == SIM_BAND ? s->b + soft : sim_shape_extent(s) + 1.0;
    const double rim = 1.0 / (0.3 * extent);
    /* A band has no near or far side along its length: it is shaded by its rim alone. */
    const double lx = s->kind == SIM_BAND ? 0.0 : photo->light_x / extent;
    const double ly = s->kind == SIM_BAND ? 0.0 : photo->light_y / extent;
    const double rgb[3] = {s->color.r, s->color.g, s->color.b};
    for (int y = bounds[1]; y <= bounds[3]; y++) {
        uint8_t *row = pixels + (size_t)y * (size_t)width * 3;
        const double py = y + 0.5;
        for (int x = bounds[0]; x <= bounds[2]; x++) {
            const double px = x + 0.5;
            double d = sim_shape_distance(s, px, py);
            if (d >= soft) continue;
            double t = d <= -soft ? 1.0 : (soft - d) * inv;
            double alpha = s->opacity * t * t * (3.0 - 2.0 * t);
            double facing = sim_clamp((px - s->cx) * lx + (py - s->cy) * ly, -1.0, 1.0);
            double depth = sim_clamp(-d * rim, 0.0, 1.0);
            double shade = (1.0 + 0.2 * facing) * (0.78 + 0.22 * depth * (2.0 - depth));
            uint8_t *p = row + (size_t)x * 3;
            for (int c = 0; c < 3; c++)
                p[c] = (uint8_t)(p[c] + (fmin(rgb[c] * shade, 255.0) - p[c]) * alpha + 0.5);
        }
    }
}

#define SIM_LUT_SIZE 1024

/* A two- or three-stop gradient (linear or radial, interpolated in OKLab) with a mild vignette. */
static void sim_draw_background(uint8_t *pixels, int width, int height, SimRng *rng,
                                double hue, int mode) {
    SimLab stops[3];
    int nstops = sim_unit(rng) < 0.45 ? 3 : 2;
    double sign = sim_unit(rng) < 0.5 ? -1.0 : 1.0;
    for (int i = 0; i < nstops; i++) {
        double h = hue + sign * i * sim_range(rng, 20.0, 55.0);
        double L, C;
        if (mode == 0) {        /* dark */
            L = sim_range(rng, 0.22, 0.36);
            C = sim_range(rng, 0.05, 0.11);
        } else if (mode == 1) { /* light */
            L = sim_range(rng, 0.84, 0.95);
            C = sim_range(rng, 0.03, 0.08);
        } else {                /* mid */
            L = sim_range(rng, 0.52, 0.72);
            C = sim_range(rng, 0.08, 0.15);
        }
        double hm = fmod(fmod(h, 360.0) + 360.0, 360.0);
        if (mode != 0) L = sim_unmuddy(L, h);
        else if (hm >= 60.0 && hm < 135.0) C *= 0.35; /* dark olive: nearly neutral instead */
        stops[i] = sim_lch_in_gamut(L, C, h);
    }

    SimColor lut[SIM_LUT_SIZE];
    for (int i = 0; i < SIM_LUT_SIZE; i++) {
        double t = (double)i / (SIM_LUT_SIZE - 1) * (nstops - 1);
        int k = (int)t;
        if (k >= nstops - 1) k = nstops - 2;
        double f = t - k;
        f = f * f * (3.0 - 2.0 * f);
        SimLab lab = {
            stops[k].L + (stops[k + 1].L - stops[k].L) * f,
            stops[k].a + (stops[k + 1].a - stops[k].a) * f,
            stops[k].b + (stops[k + 1].b - stops[k].b) * f,
        };
        lut[i] = sim_lab_color(lab);
    }

    int radial = sim_unit(rng) < 0.25;
    double angle = sim_range(rng, 0.0, 2.0 * SIM_PI);
    double dx = cos(angle), dy = sin(angle);
    double rcx = sim_range(rng, 0.0, width), rcy = sim_range(rng, 0.0, height);
    double vignette = mode == 1 ? sim_range(rng, 0.02, 0.06) : sim_range(rng, 0.06, 0.14);

    /* Linear: project the corners to normalise t to 0...1. Radial: farthest corner is t = 1. */
    double pmin = 0.0, pmax = 0.0, rmax = 1.0;
    const double cx[4] = {0, width, 0, width}, cy[4] = {0, 0, height, height};
    for (int i = 0; i < 4; i++) {
        double p = cx[i] * dx + cy[i] * dy;
        if (i == 0 || p < pmin) pmin = p;
        if (i == 0 || p > pmax) pmax = p;
        double r = hypot(cx[i] - rcx, cy[i] - rcy);
        if (r > rmax) rmax = r;
    }
    double span = pmax - pmin > 1e-9 ? pmax - pmin : 1.0;
    const double scale = SIM_LUT_SIZE - 1;
    const double hw = 0.5 * width, hh = 0.5 * height;

    for (int y = 0; y < height; y++) {
        uint8_t *row = pixels + (size_t)y * (size_t)width * 3;
        double py = y + 0.5;
        double vy = (py - hh) / hh;
        double ry = py - rcy;
        for (int x = 0; x < width; x++) {
            double px = x + 0.5;
            double t = radial ? sqrt((px - rcx) * (px - rcx) + ry * ry) / rmax
                              : (px * dx + py * dy - pmin) / span;
            int idx = (int)(sim_clamp(t, 0.0, 1.0) * scale + 0.5);
            double vx = (px - hw) / hw;
            float f = (float)(1.0 - vignette * 0.5 * (vx * vx + vy * vy));
            const SimColor c = lut[idx];
            row[3 * x + 0] = (uint8_t)(c.r * f + 0.5f);
            row[3 * x + 1] = (uint8_t)(c.g * f + 0.5f);
            row[3 * x + 2] = (uint8_t)(c.b * f + 0.5f);
        }
    }
}

/* The shapes; with photo, lit and out of focus (photo's own stream picks how far out). */
static void sim_draw_shapes(uint8_t *pixels, int width, int height, SimRng *rng, double hue, int mode,
                            SimPhoto *photo) {
    /* Harmonious hue sets: analogous, complementary, triadic, split-complementary, tetradic. */
    static const double schemes[5][4] = {
        {0, 30, -30, 60}, {0, 180, 25, 205}, {0, 120, 240, 60}, {0, 150, 210, 30}, {0, 90, 180, 270},
    };
    const double *offsets = schemes[sim_int(rng, 0, 4)];

    int count = sim_int(rng, 3, 7);
    SimShape shapes[7];
    double keys[7];
    int bands = 0;
    double min_dim = width < height ? width : height;
    double max_dim = width < height ? height : width;
    double unit = min_dim * fmin(pow(max_dim / min_dim, 0.35), 1.6); /* fill panoramas a bit */
    for (int i = 0; i < count; i++) {
        SimShape *s = &shapes[i];
        memset(s, 0, sizeof *s);
        double pick = sim_unit(rng);
        if (pick < 0.12 && bands < 2) {
            s->kind = SIM_BAND;
            bands++;
        } else if (pick < 0.42) s->kind = SIM_CIRCLE;
        else if (pick < 0.56) s->kind = SIM_ELLIPSE;
        else if (pick < 0.68) s->kind = SIM_RECT;
        else if (pick < 0.88) s->kind = SIM_ROUND_RECT;
        else s->kind = SIM_RING;

        double size = i == 0 ? sim_range(rng, 0.22, 0.36) : sim_range(rng, 0.06, 0.22);
        size *= unit;
        s->cx = sim_range(rng, 0.08, 0.92) * width;
        s->cy = sim_range(rng, 0.08, 0.80) * height;
        double rot = s->kind == SIM_RECT || s->kind == SIM_ROUND_RECT
                         ? sim_range(rng, -0.6, 0.6) : sim_range(rng, 0.0, SIM_PI);
        s->cosr = cos(rot);
        s->sinr = sin(rot);
        s->a = size;
        s->b = size * sim_range(rng, 0.45, 1.0);
        s->soft = 0.6;
        s->opacity = sim_range(rng, 0.62, 0.92);
        switch (s->kind) {
        case SIM_BAND:
            s->b = min_dim * sim_range(rng, 0.04, 0.12);
            s->soft = s->b * sim_range(rng, 0.3, 0.8) + 0.6;
            s->opacity = sim_range(rng, 0.22, 0.4);
            break;
        case SIM_RING:
            s->corner = size * sim_range(rng, 0.06, 0.18) + 0.5;
            break;
        case SIM_ROUND_RECT:
            s->corner = fmin(s->a, s->b) * sim_range(rng, 0.15, 0.5);
            break;
        case SIM_CIRCLE:
            s->b = s->a;
            break;
        default:
            break;
        }

        double h = hue + offsets[sim_int(rng, 0, 3)] + sim_range(rng, -12.0, 12.0);
        double L;
        if (mode == 0) L = sim_range(rng, 0.62, 0.86);
        else if (mode == 1) L = sim_range(rng, 0.45, 0.72);
        else L = sim_unit(rng) < 0.5 ? sim_range(rng, 0.36, 0.5) : sim_range(rng, 0.82, 0.93);
        double C = sim_range(rng, L < 0.5 ? 0.12 : 0.09, 0.2);
        double accent = sim_unit(rng);
        if (accent < 0.07) {                     /* near white */
            L = 0.97;
            C = 0.01;
        } else if (accent < 0.12 && mode != 0) { /* near black, never on a dark background */
            L = 0.2;
            C = 0.02;
        } else {
            L = sim_unmuddy(L, h);
        }
        s->color = sim_color(L, C, h);

        /* Bands first, then big shapes under small ones. */
        keys[i] = s->kind == SIM_BAND ? 1e30 : s->a * s->b;
    }
    for (int i = 1; i < count; i++) { /* stable insertion sort, descending key */
        SimShape s = shapes[i];
        double k = keys[i];
        int j = i - 1;
        while (j >= 0 && keys[j] < k) {
            shapes[j + 1] = shapes[j];
            keys[j + 1] = keys[j];
            j--;
        }
        shapes[j + 1] = s;
        keys[j + 1] = k;
    }

    double light = sim_range(rng, 0.0, 2.0 * SIM_PI);
    double shadow_offset = 0.014 * min_dim, shadow_soft = 0.03 * min_dim + 0.6;
    double shadow_opacity = mode == 0 ? 0.35 : 0.22;
    SimColor shadow = {0.0f, 0.0f, 0.0f};
    if (photo != NULL) sim_photo_set_light(photo, cos(light), fabs(sin(light)) + 0.5);
    for (int i = 0; i < count; i++) {
        const SimShape *s = &shapes[i];
        if (s->kind != SIM_BAND && min_dim >= 32)
            sim_draw_shape(pixels, width, height, s, shadow_offset * cos(light),
                           shadow_offset * fabs(sin(light)) + 0.5 * shadow_offset, shadow_soft,
                           shadow, shadow_opacity * s->opacity);
        if (photo == NULL) {
            sim_draw_shape(pixels, width, height, s, 0.0, 0.0, s->soft, s->color, s->opacity);
        } else {
            double focus = s->kind == SIM_BAND ? 0.0 : sim_range(&photo->rng, 0.3, 2.5) * min_dim / 1024.0;
            sim_draw_lit_shape(pixels, width, height, s, s->soft + focus, photo);
        }
    }
}

/* One octave of 2D gradient noise: random unit gradients on a lattice `period` pixels apart,
 * with what each column of the picture needs from it worked out once. */
typedef struct {
    int cols;
    uint8_t *grad;  /* per lattice point, an index into the gradient table */
    int *cell;      /* per column, the lattice column at its left */
    float *fx, *u;  /* per column, its offset in the cell and that offset faded */
    double period, offset_y, amplitude;
} SimOctave;

#define SIM_GRADIENTS 16

static float sim_fade(float t) {
    return t * t * t * (t * (t * 6.0f - 15.0f) + 10.0f);
}

static int sim_octave_init(SimOctave *o, int width, int height, double period, double amplitude, SimRng *rng) {
    memset(o, 0, sizeof *o);
    o->period = period;
    o->amplitude = amplitude;
    double offset_x = sim_unit(rng);
    o->offset_y = sim_unit(rng);
    o->cols = (int)(width / period) + 3;
    int rows = (int)(height / period) + 3;
    size_t points = (size_t)o->cols * (size_t)rows;
    o->grad = g_try_malloc(points);
    o->cell = g_try_malloc(sizeof(int) * (size_t)width);
    o->fx = g_try_malloc(sizeof(float) * (size_t)width);
    o->u = g_try_malloc(sizeof(float) * (size_t)width);
    if (o->grad == NULL || o->cell == NULL || o->fx == NULL || o->u == NULL) return -1;
    uint64_t bits = 0;
    for (size_t i = 0; i < points; i++) {
        if (i % 16 == 0) bits = sim_next(rng);
        o->grad[i] = (uint8_t)(bits & (SIM_GRADIENTS - 1));
        bits >>= 4;
    }
    for (int x = 0; x < width; x++) {
        double p = (x + 0.5) / period + offset_x;
        o->cell[x] = (int)p;
        o->fx[x] = (float)(p - o->cell[x]);
        o->u[x] = sim_fade(o->fx[x]);
    }
    return 0;
}

static void sim_octave_free(SimOctave *o) {
    g_free(o->grad);
    g_free(o->cell);
    g_free(o->fx);
    g_free(o->u);
}

/* Adds the octave's noise along row y, times its amplitude, to sum. */
static void sim_octave_add_row(const SimOctave *o, int width, int y, const float gradients[SIM_GRADIENTS][2],
                               float *sum) {
    double p = (y + 0.5) / o->period + o->offset_y;
    int cy = (int)p;
    float fy = (float)(p - cy), v = sim_fade(fy);
    const uint8_t *top = o->grad + (size_t)cy * (size_t)o->cols;
    const uint8_t *bottom = top + o->cols;
    /* Gradient noise spans about -0.7...0.7 in 2D: scaled to about -1...1. */
    const float amplitude = (float)(o->amplitude * 1.41);
    for (int x = 0; x < width; x++) {
        int cx = o->cell[x];
        float fx = o->fx[x], u = o->u[x];
        const float *g00 = gradients[top[cx]], *g10 = gradients[top[cx + 1]];
        const float *g01 = gradients[bottom[cx]], *g11 = gradients[bottom[cx + 1]];
        float n00 = g00[0] * fx + g00[1] * fy, n10 = g10[0] * (fx - 1.0f) + g10[1] * fy;
        float n01 = g01[0] * fx + g01[1] * (fy - 1.0f), n11 = g11[0] * (fx - 1.0f) + g11[1] * (fy - 1.0f);
        float a = n00 + (n10 - n00) * u, b = n01 + (n11 - n01) * u;
        sum[x] += amplitude * (a + (b - a) * v);
    }
}

/* Fractal noise: octaves from `coarsest` pixels down to `finest`, each half the period of the last
 * and `roughness` times its amplitude, so that fine detail sits on broad variation as in nature. */
typedef struct {
    int count;
    SimOctave octaves[16];
} SimFractal;

static int sim_fractal_init(SimFractal *f, int width, int height, double coarsest, double finest, double roughness,
                            SimRng *rng) {
    memset(f, 0, sizeof *f);
    double amplitude = 1.0, total = 0.0;
    for (double period = coarsest; period >= finest && f->count < 16; period *= 0.5, amplitude *= roughness) {
        if (sim_octave_init(&f->octaves[f->count++], width, height, period, amplitude, rng) != 0) return -1;
        total += amplitude * amplitude;
    }
    /* Normalised so that the sum varies about as much as one octave does, whatever the count. */
    double scale = total > 0.0 ? 1.0 / sqrt(total) : 1.0;
    for (int i = 0; i < f->count; i++) f->octaves[i].amplitude *= scale;
    return 0;
}

static void sim_fractal_free(SimFractal *f) {
    for (int i = 0; i < f->count; i++) sim_octave_free(&f->octaves[i]);
}

static void sim_fractal_row(const SimFractal *f, int width, int y, const float gradients[SIM_GRADIENTS][2],
                            float *row) {
    memset(row, 0, sizeof(float) * (size_t)width);
    for (int i = 0; i < f->count; i++) sim_octave_add_row(&f->octaves[i], width, y, gradients, row);
}

static uint64_t sim_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Grain: white noise smoothed by a 5x5 binomial kernel, so that, as in a camera's output, it is
 * correlated over a couple of pixels. Its rows are made as the picture is walked top to bottom:
 * each row's noise smoothed across, five rows kept, and those smoothed down. (White grain would
 * make PNG's Average filter the best for every row, where real photos mostly take Paeth, which
 * decodes slower: correlated grain makes the same choice real photos make.) */
typedef struct {
    int width;
    uint64_t key;
    float *raw;     /* one row's noise, 2 pixels beyond each side, 3 values a pixel */
    float *rows[5]; /* rows y-2...y+2 smoothed across, 3 values a pixel; row r in rows[r mod 5] */
} SimGrain;

static float *sim_grain_slot(SimGrain *g, int row) {
    return g->rows[((row % 5) + 5) % 5];
}

/* Fills row's slot: three uniform values a pixel in -1...1 from one hash, smoothed across. */
static void sim_grain_make_row(SimGrain *g, int row) {
    const uint64_t row_key = sim_mix(g->key + (uint64_t)(int64_t)row);
    for (int i = 0; i < g->width + 4; i++) {
        uint64_t bits = sim_mix(row_key ^ ((uint64_t)i * 0x9E3779B97F4A7C15ull));
        for (int c = 0; c < 3; c++, bits >>= 21)
            g->raw[3 * i + c] = (float)(bits & 0x1FFFFF) * (2.0f / 2097152.0f) - 1.0f;
    }
    float *out = sim_grain_slot(g, row);
    for (int i = 0; i < 3 * g->width; i++) {
        const float *r = g->raw + i;
        out[i] = r[0] + 4.0f * r[3] + 6.0f * r[6] + 4.0f * r[9] + r[12];
    }
}

static int sim_grain_init(SimGrain *g, int width, uint64_t key) {
    memset(g, 0, sizeof *g);
    g->width = width;
    g->key = key;
    g->raw = g_try_malloc(sizeof(float) * 3 * (size_t)(width + 4));
    int failed = g->raw == NULL;
    for (int i = 0; i < 5; i++) {
        g->rows[i] = g_try_malloc(sizeof(float) * 3 * (size_t)width);
        failed |= g->rows[i] == NULL;
    }
    if (failed) return -1;
    for (int row = -2; row <= 2; row++) sim_grain_make_row(g, row);
    return 0;
}

static void sim_grain_free(SimGrain *g) {
    g_free(g->raw);
    for (int i = 0; i < 5; i++) g_free(g->rows[i]);
}

/* Row y's grain, 3 values a pixel of deviation about 1, into out; then moves on to row y + 1. */
static void sim_grain_row(SimGrain *g, int y, float *out) {
    const float *a = sim_grain_slot(g, y - 2), *b = sim_grain_slot(g, y - 1), *c = sim_grain_slot(g, y);
    const float *d = sim_grain_slot(g, y + 1), *e = sim_grain_slot(g, y + 2);
    /* Uniform noise has deviation 1/sqrt(3); the kernel's squared weights add up to 70 each way. */
    const float scale = 1.7320508f / 70.0f;
    for (int i = 0; i < 3 * g->width; i++)
        out[i] = (a[i] + 4.0f * b[i] + 6.0f * c[i] + 4.0f * d[i] + e[i]) * scale;
    sim_grain_make_row(g, y + 3);
}

/* Texture, tint, light and grain over every pixel of the drawn composition. */
static int sim_photo_finish(uint8_t *pixels, int width, int height, SimPhoto *photo) {
    SimRng *rng = &photo->rng;
    double min_dim = width < height ? width : height;
    float gradients[SIM_GRADIENTS][2];
    for (int i = 0; i < SIM_GRADIENTS; i++) {
        double a = 2.0 * SIM_PI * (i + 0.5) / SIM_GRADIENTS;
        gradients[i][0] = (float)cos(a);
        gradients[i][1] = (float)sin(a);
    }
    /* Brightness texture down to single pixels; a tint that only varies broadly. */
    SimFractal texture, tint;
    int failed = sim_fractal_init(&texture, width, height, 0.5 * min_dim, 1.5, sim_range(rng, 0.6, 0.75), rng);
    failed |= sim_fractal_init(&tint, width, height, 0.6 * min_dim, 0.08 * min_dim, 0.5, rng);
    const float texture_strength = (float)sim_range(rng, 0.07, 0.11);
    const float tint_strength = (float)sim_range(rng, 0.03, 0.06);
    /* Light falls off linearly away from the side it comes from, by up to light_strength. */
    const double light_strength = sim_range(rng, 0.06, 0.12);
    const double reach = 0.5 * hypot(width, height);
    const float light_x = (float)(light_strength * photo->light_x / reach);
    SimGrain grain;
    failed |= sim_grain_init(&grain, width, sim_next(rng));
    float *texture_row = g_try_malloc(sizeof(float) * (size_t)width);
    float *tint_row = g_try_malloc(sizeof(float) * (size_t)width);
    float *grain_row = g_try_malloc(sizeof(float) * 3 * (size_t)width);
    failed |= texture_row == NULL || tint_row == NULL || grain_row == NULL;

    for (int y = 0; y < height && !failed; y++) {
        sim_fractal_row(&texture, width, y, gradients, texture_row);
        sim_fractal_row(&tint, width, y, gradients, tint_row);
        sim_grain_row(&grain, y, grain_row);
        float light = (float)(1.0 + light_strength * (photo->light_y * (y + 0.5 - 0.5 * height) +
                                                      photo->light_x * (0.5 - 0.5 * width)) / reach);
        uint8_t *row = pixels + (size_t)y * (size_t)width * 3;
        for (int x = 0; x < width; x++, light += light_x) {
            float gain = light * (1.0f + texture_strength * texture_row[x]);
            float warm = tint_strength * tint_row[x];
            const float *n = grain_row + 3 * x;
            float luma = 5.3f * n[0], red = 1.6f * n[1], blue = 1.6f * n[2];
            float value[3] = {
                row[3 * x + 0] * gain * (1.0f + warm) + luma + red,
                row[3 * x + 1] * gain + luma - 0.5f * (red + blue),
                row[3 * x + 2] * gain * (1.0f - warm) + luma + blue,
            };
            for (int c = 0; c < 3; c++) {
                float v = value[c] + 0.5f;
                row[3 * x + c] = (uint8_t)(v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v));
            }
        }
    }
    sim_grain_free(&grain);
    g_free(grain_row);
    sim_fractal_free(&texture);
    sim_fractal_free(&tint);
    g_free(texture_row);
    g_free(tint_row);
    return failed ? -1 : 0;
}

/* The title, made valid UTF-8, trimmed, shortened and escaped for Pango markup; NULL if empty. */
static char *sim_title_markup(const char *title) {
    if (title == NULL) return NULL;
    char *valid = g_utf8_make_valid(title, -1);
    g_strstrip(valid);
    if (*valid == '\0') {
        g_free(valid);
        return NULL;
    }
    const glong limit = 140;
    if (g_utf8_strlen(valid, -1) > limit) {
        char *end = g_utf8_offset_to_pointer(valid, limit - 1);
        *end = '\0';
        char *shortened = g_strconcat(g_strchomp(valid), "\xE2\x80\xA6", NULL);
        g_free(valid);
        valid = shortened;
    }
    char *markup = g_markup_escape_text(valid, -1);
    g_free(valid);
    return markup;
}

static VipsImage *sim_text(const char *markup, int width, int dpi) {
    VipsImage *text = NULL;
    if (vips_text(&text, markup, "font", "sans bold 10", "width", width, "dpi", dpi,
                  "align", VIPS_ALIGN_CENTRE, "wrap", VIPS_TEXT_WRAP_WORD_CHAR, NULL) != 0) {
        vips_error_clear();
        return NULL;
    }
    return text;
}

/* Draws the title in the lower third on a translucent band; silently skipped if text fails. */
static void sim_draw_title(uint8_t *pixels, int width, int height, const char *title) {
    if (width < 48 || height < 32) return;
    char *markup = sim_title_markup(title);
    if (markup == NULL) return;

    double min_dim = width < height ? width : height;
    double em = 0.06 * min_dim + 6.0;                    /* font size in pixels */
    int dpi = (int)lround(em * 72.0 / 10.0);
    int wrap = (int)(width * 0.8);
    double max_height = 0.3 * height;
    VipsImage *text = sim_text(markup, wrap, dpi);
    if (text != NULL && text->Ysize > max_height) {
        int smaller = (int)(dpi * sqrt(max_height / text->Ysize) * 0.95);
        if (smaller >= 8) {
            VipsImage *retry = sim_text(markup, wrap, smaller);
            if (retry != NULL) {
                g_object_unref(text);
                text = retry;
                em = em * smaller / dpi;
            }
        }
    }
    g_free(markup);
    if (text == NULL) return;

    size_t size = 0;
    uint8_t *mask = NULL;
    if (text->Bands == 1 && text->BandFmt == VIPS_FORMAT_UCHAR)
        mask = vips_image_write_to_memory(text, &size);
    int tw = text->Xsize, th = text->Ysize;
    g_object_unref(text);
    if (mask == NULL) {
        vips_error_clear();
        return;
    }
    if (th > max_height) th = (int)max_height;

    /* Band geometry: centred on 78% of the height, kept inside the picture. */
    int pad = (int)(0.45 * em) + 1;
    int band_h = th + 2 * pad;
    int top = (int)(0.78 * height) - band_h / 2;
    int margin = (int)(0.04 * height);
    if (top + band_h > height - margin) top = height - margin - band_h;
    if (top < 0) top = 0;
    int bottom = top + band_h < height ? top + band_h : height;

    /* Mean luminance behind the band decides light-on-dark or dark-on-light. */
    double sum = 0.0;
    long n = 0;
    for (int y = top; y < bottom; y += 2) {
        const uint8_t *row = pixels + (size_t)y * (size_t)width * 3;
        for (int x = 0; x < width; x += 2, n++)
            sum += 0.2126 * row[3 * x] + 0.7152 * row[3 * x + 1] + 0.0722 * row[3 * x + 2];
    }
    int dark_text = n > 0 && sum / n > 150.0;
    float ink = dark_text ? 22.0f : 250.0f;
    float veil = dark_text ? 255.0f : 0.0f;
    double veil_opacity = dark_text ? 0.38 : 0.34;

    double feather = pad * 0.8 + 0.5;
    for (int y = top; y < bottom; y++) {
        double edge = fmin(y + 0.5 - top, bottom - (y + 0.5));
        double a = veil_opacity * sim_clamp(edge / feather, 0.0, 1.0);
        uint8_t *row = pixels + (size_t)y * (size_t)width * 3;
        for (int i = 0; i < width * 3; i++)
            row[i] = (uint8_t)(row[i] + (veil - row[i]) * a + 0.5);
    }

    /* A soft offset shadow in the veil colour, then the ink. */
    int x0 = (width - tw) / 2, y0 = top + pad;
    int shift = (int)(em * 0.05) + 1;
    for (int pass = 0; pass < 2; pass++) {
        float color = pass == 0 ? veil : ink;
        double strength = pass == 0 ? 0.45 : 1.0;
        int offset = pass == 0 ? shift : 0;
        for (int ty = 0; ty < th; ty++) {
            int y = y0 + ty + offset;
            if (y < 0 || y >= height) continue;
            const uint8_t *mrow = mask + (size_t)ty * (size_t)tw;
            uint8_t *row = pixels + (size_t)y * (size_t)width * 3;
            for (int tx = 0; tx < tw; tx++) {
                int x = x0 + tx + offset;
                if (mrow[tx] == 0 || x < 0 || x >= width) continue;
                double a = strength * mrow[tx] / 255.0;
                uint8_t *p = row + (size_t)x * 3;
                for (int c = 0; c < 3; c++) p[c] = (uint8_t)(p[c] + (color - p[c]) * a + 0.5);
            }
        }
    }
    g_free(mask);
}

int folio_sim_render(int width, int height, uint64_t seed, const char *title, const char *format, void **out, size_t *length) {
    return folio_sim_render_detail(width, height, seed, title, format, FOLIO_SIM_DETAIL_SIMPLE, out, length);
}

int folio_sim_render_detail(int width, int height, uint64_t seed, const char *title, const char *format, int detail,
                            void **out, size_t *length) {
    if (out == NULL || length == NULL || format == NULL) return -1;
    *out = NULL;
    *length = 0;
    if (width < 1 || height < 1 || width > 16384 || height > 16384 ||
        (uint64_t)width * (uint64_t)height > (uint64_t)8192 * 8192)
        return -1;
    int kind;
    if (strcmp(format, "png") == 0) kind = 0;
    else if (strcmp(format, "jpeg") == 0 || strcmp(format, "jpg") == 0) kind = 1;
    else if (strcmp(format, "webp") == 0) kind = 2;
    else return -1;
    if (detail != FOLIO_SIM_DETAIL_SIMPLE && detail != FOLIO_SIM_DETAIL_PHOTO) return -1;

    size_t size = (size_t)width * (size_t)height * 3;
    uint8_t *pixels = g_try_malloc(size);
    if (pixels == NULL) return -1;

    SimRng rng = {seed ^ 0x466F6C696F53696Dull}; /* "FolioSim" */
    double hue = sim_range(&rng, 0.0, 360.0);
    double pick = sim_unit(&rng);
    int mode = pick < 0.38 ? 0 : (pick < 0.68 ? 1 : 2); /* dark, light, mid */
    if (mode == 0 && hue > 45.0 && hue < 135.0) hue += 140.0; /* dark olive looks muddy */
    SimPhoto photo = {{seed ^ 0x466F6C696F506978ull}, 0.0, -1.0}; /* "FolioPix" */
    SimPhoto *detailed = detail == FOLIO_SIM_DETAIL_PHOTO ? &photo : NULL;
    sim_draw_background(pixels, width, height, &rng, hue, mode);
    sim_draw_shapes(pixels, width, height, &rng, hue, mode, detailed);
    if (detailed != NULL && sim_photo_finish(pixels, width, height, detailed) != 0) {
        g_free(pixels);
        return -1;
    }
    sim_draw_title(pixels, width, height, title);

    VipsImage *image = vips_image_new_from_memory_copy(pixels, size, width, height, 3, VIPS_FORMAT_UCHAR);
    g_free(pixels);
    if (image == NULL) {
        vips_error_clear();
        return -1;
    }
    image->Type = VIPS_INTERPRETATION_sRGB;
    int rc;
    if (kind == 0 && detailed != NULL)
        /* Adaptive filtering, as real encoders do; zlib level 2, because 6 spends 0.4 s on this much
         * detail to save a tenth of the bytes (the grain is set for about 1.5 MB at level 2). */
        rc = vips_pngsave_buffer(image, out, length, "compression", 2, "filter", VIPS_FOREIGN_PNG_FILTER_ALL, NULL);
    else if (kind == 0)
        rc = vips_pngsave_buffer(image, out, length, "compression", 6, "filter", VIPS_FOREIGN_PNG_FILTER_SUB, NULL);
    else if (kind == 1)
        rc = vips_jpegsave_buffer(image, out, length, "Q", 85, NULL);
    else
        rc = vips_webpsave_buffer(image, out, length, "Q", 80, NULL);
    g_object_unref(image);
    if (rc != 0) {
        vips_error_clear();
        *out = NULL;
        *length = 0;
        return -1;
    }
    return 0;
}

void folio_sim_free(void *bytes) {
    g_free(bytes);
}

int folio_sim_write_test_png(const char *path, int width, int height, int bands, int bits, int filter, int interlace, uint64_t seed) {
    if (width < 1 || height < 1 || (bands != 1 && bands != 3 && bands != 4) || (bits != 8 && bits != 16) || filter < 0 || filter > 5) return -1;
    const size_t count = (size_t)width * height * bands;
    unsigned char *pixels = malloc(count);
    if (pixels == NULL) return -1;
    // Half noise, half gradient, so every filter and every branch of Paeth's predictor is taken.
    SimRng rng = {seed};
    for (size_t i = 0; i < count; i++) {
        const uint64_t z = sim_next(&rng);
        const size_t pixel = i / bands, x = pixel % width, y = pixel / width;
        pixels[i] = (z & 1) ? (unsigned char)(z >> 8) : (unsigned char)((x * 7 + y * 3 + (i % bands) * 50) & 0xff);
    }
    VipsImage *image = vips_image_new_from_memory(pixels, count, width, height, bands, VIPS_FORMAT_UCHAR);
    int status = -1;
    if (image != NULL) {
        VipsImage *wide = NULL;
        image->Type = bands >= 3 ? VIPS_INTERPRETATION_sRGB : VIPS_INTERPRETATION_B_W;
        if (bits == 16) {
            // 16-bit PNGs are written from a 16-bit interpretation.
            if (vips_cast(image, &wide, VIPS_FORMAT_USHORT, NULL) == 0) {
                wide->Type = bands >= 3 ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_GREY16;
            }
        } else {
            wide = image;
            g_object_ref(wide);
        }
        static const VipsForeignPngFilter filters[] = {
            VIPS_FOREIGN_PNG_FILTER_NONE, VIPS_FOREIGN_PNG_FILTER_SUB, VIPS_FOREIGN_PNG_FILTER_UP,
            VIPS_FOREIGN_PNG_FILTER_AVG, VIPS_FOREIGN_PNG_FILTER_PAETH, VIPS_FOREIGN_PNG_FILTER_ALL};
        if (wide != NULL) {
            status = vips_pngsave(wide, path, "filter", filters[filter], "interlace", interlace ? TRUE : FALSE, "bitdepth", bits, NULL) ? -1 : 0;
            g_object_unref(wide);
        }
        g_object_unref(image);
    }
    if (status != 0) vips_error_clear();
    free(pixels);
    return status;
}
