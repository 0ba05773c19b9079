#version 330 core
// ldscene mesh fragment shader (adapted from pyrender's mesh.frag, MIT licence).
// Compiled per kind of surface (glrenderer.py's `surface_kind`): opaque plastic, GLASS or the
// floor's shadow CATCHER, so that each program holds only its own code (llvmpipe compiles a
// program once per pipeline state, and a cold render waits for those compiles).
// Metallic-roughness BRDF for ldscene's light rig (render/raster/lights.py): one shadowed directional
// key light (hardware 2x2 PCF taps) and one point fill light, read without loops over the
// light arrays (llvmpipe pays per pixel for a loop with a uniform bound: a Millennium Falcon
// view took 0.15 s longer with them); a sky/ground hemisphere ambient, a procedural environment
// for reflections, unlit vertex-coloured lines and a ground shadow catcher.  Output is linear and
// premultiplied; the framebuffer is sRGB, so GL encodes (and blends) correctly.

struct DirectionalLight {
    vec3 color;
    float intensity;
    vec3 direction;
#ifdef DIRECTIONAL_LIGHT_SHADOWS
    sampler2DShadow shadow_map;
    mat4 light_matrix;
#endif
};

struct PointLight {
    vec3 color;
    float intensity;
    float range;
    vec3 position;
};

struct Material {
    vec3 emissive_factor;
    vec4 base_color_factor;
    float metallic_factor;
    float roughness_factor;
    vec4 flakes;       // glitter/speckle grains: linear colour, share of the surface (0: none)
    float flake_size;  // grain size, LDU
#ifdef HAS_BASE_COLOR_TEX
    sampler2D base_color_texture;  // a TEXMAP print, sRGB, already over the colour
#endif
};

uniform Material material;
uniform PointLight point_lights[MAX_POINT_LIGHTS];
uniform int n_point_lights;
uniform DirectionalLight directional_lights[MAX_DIRECTIONAL_LIGHTS];
uniform int n_directional_lights;
uniform vec3 cam_pos;
uniform vec3 ambient_light;
uniform float shadow_texel;  // 1 / shadow map size

in vec3 frag_position;
#ifdef HAS_BASE_COLOR_TEX
in vec2 frag_uv;
#endif
#ifdef NORMAL_LOC
in vec3 frag_normal;
#endif
#ifdef COLOR_0_LOC
in vec4 color_multiplier;
#endif

// Dual-source blending: dst = frag_color + dst * frag_transmit (glass tints what is behind it).
layout(location = 0, index = 0) out vec4 frag_color;
layout(location = 0, index = 1) out vec4 frag_transmit;

const float PI = 3.141592653589793;
const float min_roughness = 0.04;

vec3 get_normal()
{
#ifdef NORMAL_LOC
    return normalize(frag_normal);
#else
    return normalize(cam_pos - frag_position);
#endif
}

// Highlights roll off instead of clipping: linear up to TONE_KNEE (so a lit face keeps its
// LDConfig colour), then an exponential shoulder towards 1 with the same slope at the knee.
// A white brick's lit top face lands near sRGB 240, below the default background's white.
const float TONE_KNEE = 0.55;
vec3 tone(vec3 x)
{
    vec3 over = max(x - TONE_KNEE, 0.0);
    vec3 shoulder = TONE_KNEE + (1.0 - TONE_KNEE) * (1.0 - exp(-over / (1.0 - TONE_KNEE)));
    return mix(x, shoulder, step(TONE_KNEE, x));
}

// Four pseudo-random numbers in 0..1 for a grid cell.
vec4 hash4(vec3 cell)
{
    vec4 x = vec4(dot(cell, vec3(127.1, 311.7, 74.7)), dot(cell, vec3(269.5, 183.3, 246.1)),
                  dot(cell, vec3(113.5, 271.9, 124.6)), dot(cell, vec3(419.2, 371.9, 168.2)));
    return fract(sin(x) * 43758.5453);
}

// x^5 by multiplication: llvmpipe's pow() is an exp2/log2 pair of polynomials.
float pow5(float x)
{
    float x2 = x * x;
    return x2 * x2 * x;
}

vec3 brdf(vec3 n, vec3 v, vec3 l, float roughness, vec3 f0, vec3 c_diff, vec3 radiance)
{
    vec3 h = normalize(l + v);
    float nl = clamp(dot(n, l), 0.001, 1.0);
    float nv = clamp(abs(dot(n, v)), 0.001, 1.0);
    float nh = clamp(dot(n, h), 0.0, 1.0);
    float vh = clamp(dot(v, h), 0.0, 1.0);
    vec3 F = f0 + (1.0 - f0) * pow5(1.0 - vh);
    float r = roughness + 1.0;
    float k = r * r / 8.0;
    float G = (nv / (nv * (1.0 - k) + k)) * (nl / (nl * (1.0 - k) + k));
    float a = roughness * roughness;
    float a2 = a * a;
    float denom = nh * nh * (a2 - 1.0) + 1.0;
    float D = a2 / (PI * denom * denom);
    vec3 diffuse = (1.0 - F) * c_diff / PI;
    vec3 spec = F * G * D / (4.0 * nl * nv + 0.001);
    return nl * radiance * (diffuse + spec);
}

// Studio environment for reflections: a light floor, bright sky, a softbox band above the
// horizon and a hot spot towards the key light, so chrome and metal read as shiny.
vec3 environment(vec3 r, vec3 key)
{
    float y = r.y;
    float sky = mix(0.8, 1.4, clamp(y, 0.0, 1.0));
    float t = (y - 0.22) / 0.08;
    float band = 1.2 * exp(-t * t);
    float s = max(dot(r, key), 0.0);
    float s8 = s * s;
    s8 *= s8;
    s8 *= s8;
    float spot = 2.5 * s8 * s8 * s8;  // s^24
    float floor_c = 0.35;  // the studio's light floor: chrome's sides reflect it, not black
    float c = mix(floor_c, sky + band + spot, smoothstep(-0.04, 0.04, y));
    return vec3(c);
}

#ifdef DIRECTIONAL_LIGHT_SHADOWS
float shadow_calc(mat4 light_matrix, sampler2DShadow shadow_map, float nl)
{
    vec4 proj = light_matrix * vec4(frag_position, 1.0);
    vec3 lc = proj.xyz / proj.w * 0.5 + 0.5;
    float bias = shadow_texel * (1.5 + 3.0 * (1.0 - nl));
    float depth = min(lc.z - bias, 1.0);
    vec2 o = vec2(shadow_texel * 1.25);
#ifdef SHADOW_INTERLEAVE
    // Supersampled by an even factor: each pixel of a 2x2 block takes one of the four taps
    // and the box downsample averages them: the same filter for a quarter of the lookups.
    vec2 cell = mod(floor(gl_FragCoord.xy), 2.0);
    vec2 tap = cell.y < 0.5 ? (cell.x < 0.5 ? vec2(-1.0, -0.4) : vec2(0.4, -1.0))
                            : (cell.x < 0.5 ? vec2(-0.4, 1.0) : vec2(1.0, 0.4));
    return 1.0 - texture(shadow_map, vec3(lc.xy + tap * o, depth));
#else
    float lit = texture(shadow_map, vec3(lc.xy + vec2(-o.x, -o.y * 0.4), depth))
              + texture(shadow_map, vec3(lc.xy + vec2(o.x * 0.4, -o.y), depth))
              + texture(shadow_map, vec3(lc.xy + vec2(o.x, o.y * 0.4), depth))
              + texture(shadow_map, vec3(lc.xy + vec2(-o.x * 0.4, o.y), depth));
    return 1.0 - lit * 0.25;
#endif
}
#endif

void main()
{
#ifdef COLOR_0_LOC
    // Only line primitives have vertex colours (render/raster/offscreen.py): unlit, and compiled
    // without the surface code below, which LLVM would otherwise compile once more for them.
    frag_color = vec4(color_multiplier.rgb, color_multiplier.a);
    frag_transmit = vec4(0.0);
#else
#ifdef CATCHER
    float shadow = 0.0;
#ifdef DIRECTIONAL_LIGHT_SHADOWS
    if (n_directional_lights > 0) {
        shadow = shadow_calc(directional_lights[0].light_matrix,
                             directional_lights[0].shadow_map, 1.0);
    }
#endif
    float dark = shadow * material.base_color_factor.a;
    frag_color = vec4(0.0, 0.0, 0.0, dark);
    frag_transmit = vec4(vec3(1.0 - dark), 0.0);
#else
    vec3 n = get_normal();
    vec3 v = normalize(cam_pos - frag_position);

    float roughness = clamp(material.roughness_factor, min_roughness, 1.0);
    float metallic = clamp(material.metallic_factor, 0.0, 1.0);
    vec4 base_color = material.base_color_factor;
#ifdef HAS_BASE_COLOR_TEX
    vec3 print_srgb = texture(material.base_color_texture, frag_uv).rgb;
    base_color.rgb *= mix(print_srgb / 12.92, pow((print_srgb + 0.055) / 1.055, vec3(2.4)),
                          step(0.04045, print_srgb));
#endif
    if (material.flakes.a > 0.0) {
        // Glitter and speckle (LDConfig's MATERIAL): metal grains of their own colour on a grid
        // of their size, each a little mirror tilted at random, so some catch the key light.
        vec4 h = hash4(floor(frag_position / material.flake_size));
        if (h.x < material.flakes.a) {
            base_color = vec4(material.flakes.rgb, 1.0);
            metallic = 1.0;
            roughness = 0.15;
            n = normalize(n + (h.yzw - 0.5) * 1.2);
        }
    }
    vec3 c_diff = base_color.rgb * (1.0 - min_roughness) * (1.0 - metallic);
    vec3 f0 = mix(vec3(min_roughness), base_color.rgb, metallic);

    vec3 color = vec3(0.0);
    if (n_directional_lights > 0) {  // the key light
        vec3 l = normalize(-directional_lights[0].direction);
        float nl = dot(n, l);
        if (nl > 0.0) {  // faces turned away get no light and need no shadow lookup
            vec3 radiance = directional_lights[0].intensity * directional_lights[0].color;
            vec3 res = brdf(n, v, l, roughness, f0, c_diff, radiance);
#ifdef DIRECTIONAL_LIGHT_SHADOWS
            res *= 1.0 - shadow_calc(directional_lights[0].light_matrix,
                                     directional_lights[0].shadow_map, min(nl, 1.0));
#endif
            color += res;
        }
    }
    // The point light is the fill light: diffuse only (their highlights were barely visible and
    // cost a second full BRDF per pixel).  (1 - F) of a dielectric at normal incidence: 0.96.
    if (n_point_lights > 0) {  // the fill light
        vec3 d = point_lights[0].position - frag_position;
        float dist2 = max(dot(d, d), 1e-6);
        float nl = clamp(dot(n, d) * inversesqrt(dist2), 0.0, 1.0);
        vec3 radiance = point_lights[0].intensity / dist2 * point_lights[0].color;
        color += nl * radiance * c_diff * (0.96 / PI);
    }

    // Hemisphere ambient: full from the sky, less from the floor.
    float up = n.y * 0.5 + 0.5;
    color += c_diff / (1.0 - min_roughness) * ambient_light * mix(0.45, 1.0, up);

    // Environment reflection, strongest for metals and at grazing angles.
    float nv = clamp(dot(n, v), 0.0, 1.0);
    vec3 fres = f0 + (max(vec3(1.0 - roughness), f0) - f0) * pow5(1.0 - nv);
    vec3 key = n_directional_lights > 0 ? normalize(-directional_lights[0].direction)
                                        : vec3(0.0, 1.0, 0.0);
    vec3 env = environment(reflect(-v, n), key);
    color += env * fres * mix(1.0, 0.35, roughness) * mix(0.35, 1.0, metallic);

    color += material.emissive_factor;

#ifdef GLASS
    float opacity = base_color.a;
    if (opacity < 1.0) {
        // Glass, blended with dual-source blending (glrenderer.py): what is behind is filtered
        // by the colour (normalised so that the strongest channel passes almost fully, so a
        // trans-orange part in front of white shows LDConfig's orange), and the surface adds
        // its reflections and some body colour (which is all that shows in front of black).
        // Grazing angles reflect more and transmit less, as Fresnel has it.
        // Milky, opal and glow-in-the-dark colours let only part of the light through
        // (appearance.py's `clarity`; CLEAR_OPACITY is a #define from there) and send back
        // the rest as an opaque part would.
        float clarity = clamp((1.0 - opacity) / (1.0 - CLEAR_OPACITY), 0.0, 1.0);
        vec3 tint = base_color.rgb / max(max(base_color.r, base_color.g), max(base_color.b, 1e-4));
        float grazing = (1.0 - nv) * (1.0 - nv) * (1.0 - nv);
        vec3 transmit = tint * (1.0 - 0.55 * grazing) * (1.0 - 0.1 * opacity) * clarity;
        // The light it sends back: where it lets light through (clear glass) only a faint
        // reflection, lest it add up to more than what it covers.  One share for all three
        // channels (what the glass covers), so that it keeps the glass's hue: 1 - transmit
        // per channel sent back orange's complement, and trans-orange read olive in front of
        // anything dark.
        vec3 reflected = color * mix(1.0, 0.4 + 0.5 * grazing, clarity);
        float coverage = clamp(1.0 - dot(transmit, vec3(0.2126, 0.7152, 0.0722)), 0.0, 1.0);
        vec3 sent_back = vec3(max(coverage, 0.12 + 0.6 * grazing));
        frag_color = vec4(tone(reflected) * sent_back, coverage);
        frag_transmit = vec4(transmit, 0.0);
        return;
    }
#endif
    frag_color = vec4(tone(color), 1.0);
    frag_transmit = vec4(0.0);
#endif
#endif
}
