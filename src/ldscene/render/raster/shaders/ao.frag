#version 330 core
// Screen-space ambient occlusion (after McGuire et al., "The Alchemy Screen-Space Ambient
// Obscurance Algorithm", 2011), at the output resolution, into a one-channel texture that
// ao_apply.frag then blurs and multiplies into the image.
//
// Each pixel reads the (supersampled) depth buffer at 8 points of a spiral around it, turned
// by one of 16 angles that repeat over 4x4 blocks, so the 4x4 box blur of ao_apply.frag
// averages 128 points without a pattern.  The normal comes from the screen-space derivatives
// of the reconstructed position.  The radius is in world units (LDU), so crevices between
// bricks darken at every zoom.

uniform sampler2D depth_map;  // the main pass's depth buffer, read with texelFetch
uniform mat4 inverse_projection;
uniform vec2 size;           // the depth buffer's size in pixels
uniform int stride;          // depth pixels per output pixel (the supersampling factor)
uniform float pixel_scale;   // depth pixels per world unit at view distance 1 (or anywhere, ortho)
uniform int ortho;
uniform float radius;        // world units
uniform float strength;

out vec4 open_out;

const int TAPS = 8;
const float TAU = 6.283185307179586;

vec3 view_position(ivec2 pixel, float depth)
{
    vec4 ndc = vec4((vec2(pixel) + 0.5) / size * 2.0 - 1.0, depth * 2.0 - 1.0, 1.0);
    vec4 view = inverse_projection * ndc;
    return view.xyz / view.w;
}

void main()
{
    ivec2 out_pixel = ivec2(gl_FragCoord.xy);
    ivec2 pixel = out_pixel * stride;
    float depth = texelFetch(depth_map, pixel, 0).r;
    vec3 p = view_position(pixel, depth);
    vec3 dx = dFdx(p);
    vec3 dy = dFdy(p);
    vec3 n = normalize(cross(dx, dy));
    if (depth >= 1.0) {
        discard;  // the background: nothing to occlude (the texture stays cleared to 1)
    }
    if (max(dot(dx, dx), dot(dy, dy)) > radius * radius) {
        // The 2x2 block spans a depth jump (a silhouette, the floor's far edge) or a surface
        // so far away that a pixel is wider than the radius: no normal to trust, no contact.
        discard;
    }
    float screen_radius = radius * pixel_scale / (ortho == 1 ? 1.0 : max(-p.z, 1e-4));
    if (screen_radius < float(stride)) {
        discard;  // the crevice is under a pixel: no visible contact shading
    }
    screen_radius = min(screen_radius, 0.1 * size.y);

    ivec2 cell = out_pixel & 3;
    float turn = float(cell.x + 4 * cell.y) / 16.0;
    float bias = 0.0002 * abs(p.z) + 0.02 * radius;
    float sum = 0.0;
    for (int i = 0; i < TAPS; ++i) {
        float k = (float(i) + fract(turn * 5.0 + 0.5)) / float(TAPS);  // 0..1, staggered
        float angle = TAU * (float(i) * 0.381966 + turn);  // golden-angle steps, turned
        float r = screen_radius * sqrt(max(k, 0.02));
        ivec2 q = clamp(pixel + ivec2(round(r * vec2(cos(angle), sin(angle)))),
                        ivec2(0), ivec2(size) - 1);
        float tap_depth = texelFetch(depth_map, q, 0).r;
        vec3 v = view_position(q, tap_depth) - p;
        float vv = dot(v, v);
        float falloff = max(0.0, 1.0 - vv / (radius * radius));
        // An angle bias too: occluders must rise more than ~9 degrees above the surface, so a
        // flat face (whose normal from depth derivatives is a little noisy) stays clean.
        float rise = dot(v, n) - bias - 0.15 * sqrt(vv);
        sum += falloff * max(0.0, rise) / (vv + 0.01 * radius * radius);
    }
    // Surfaces seen edge-on (the floor towards the horizon in a view from the front) have
    // depths too coarse for their normal and their taps: they showed lines and dots of false
    // occlusion. Their contact shading fades out as they turn away, unseen there anyway.
    vec3 eye = ortho == 1 ? vec3(0.0, 0.0, 1.0) : normalize(-p);
    float facing = smoothstep(0.08, 0.25, abs(dot(n, eye)));
    float open = max(0.0, 1.0 - facing * strength * 2.0 * radius * sum / float(TAPS));
    open_out = vec4(open, 0.0, 0.0, 1.0);
}
