#version 330 core
// Screen-space ambient occlusion (after McGuire et al., "The Alchemy Screen-Space Ambient
// Obscurance Algorithm", 2011), multiplied into the colour buffer after the opaque pass.
//
// Each pixel reads the depth buffer at 4 points of a 16-point spiral around it; the 4 pixels
// of a 2x2 block take the 4 interleaved quarters of the spiral, so the 2x2 box filter that
// resolves a supersampled image averages all 16 (the same trick as the shadow taps in
// mesh.frag).  The surface normal comes from the screen-space derivatives of the
// reconstructed position.  The radius is in world units (LDU), so crevices between bricks
// darken at every zoom; beyond 1/3 of it the falloff makes far geometry count little.

uniform sampler2D depth_map;  // the main pass's depth buffer, read with texelFetch
uniform mat4 inverse_projection;
uniform vec2 size;           // the depth buffer's size in pixels
uniform float pixel_scale;   // pixels per world unit at view distance 1 (perspective) or anywhere (ortho)
uniform int ortho;
uniform float radius;        // world units
uniform float strength;

out vec4 frag_color;

const int TAPS = 4;
const float TAU = 6.283185307179586;

vec3 view_position(ivec2 pixel)
{
    float depth = texelFetch(depth_map, pixel, 0).r;
    vec4 ndc = vec4((vec2(pixel) + 0.5) / size * 2.0 - 1.0, depth * 2.0 - 1.0, 1.0);
    vec4 view = inverse_projection * ndc;
    return view.xyz / view.w;
}

void main()
{
    ivec2 pixel = ivec2(gl_FragCoord.xy);
    float depth = texelFetch(depth_map, pixel, 0).r;
    vec3 p = view_position(pixel);
    vec3 dx = dFdx(p);
    vec3 dy = dFdy(p);
    vec3 n = normalize(cross(dx, dy));
    if (depth >= 1.0) {
        discard;  // the background: nothing to occlude
    }
    if (max(dot(dx, dx), dot(dy, dy)) > radius * radius) {
        // The 2x2 block spans a depth jump (a silhouette, the floor's far edge) or a surface
        // so far away that a pixel is wider than the radius: no normal to trust, no contact.
        discard;
    }
    float screen_radius = radius * pixel_scale / (ortho == 1 ? 1.0 : max(-p.z, 1e-4));
    if (screen_radius < 1.0) {
        discard;  // the crevice is under a pixel: no visible contact shading
    }
    screen_radius = min(screen_radius, 0.1 * size.y);

    ivec2 cell = pixel & 1;
    int quarter = cell.x + 2 * cell.y;
    float bias = 0.0002 * abs(p.z) + 0.02 * radius;  // depth precision, flat-surface noise
    float sum = 0.0;
    for (int i = 0; i < TAPS; ++i) {
        float k = float(i * 4 + quarter) + 0.5;  // 0.5 .. 15.5
        float angle = k * (TAU * 7.0 / 16.0);   // 7/16 of a turn apart: a spread-out spiral
        float r = screen_radius * sqrt(k / 16.0);
        ivec2 q = clamp(pixel + ivec2(round(r * vec2(cos(angle), sin(angle)))),
                        ivec2(0), ivec2(size) - 1);
        vec3 v = view_position(q) - p;
        float vv = dot(v, v);
        float falloff = max(0.0, 1.0 - vv / (radius * radius));
        // An angle bias too: occluders must rise more than ~9 degrees above the surface, so a
        // flat face (whose normal from depth derivatives is a little noisy) stays clean.
        float rise = dot(v, n) - bias - 0.15 * sqrt(vv);
        sum += falloff * max(0.0, rise) / (vv + 0.01 * radius * radius);
    }
    float open = max(0.0, 1.0 - strength * 2.0 * radius * sum / float(TAPS));
    frag_color = vec4(vec3(open), 1.0 - open);
}
