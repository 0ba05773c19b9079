#version 330 core
// ldscene mesh vertex shader (adapted from pyrender's mesh.vert, MIT licence).
// The normal matrix uses the cofactor matrix instead of a per-vertex 4x4 inverse.

layout(location = 0) in vec3 position;
#ifdef NORMAL_LOC
layout(location = NORMAL_LOC) in vec3 normal;
#endif
#ifdef COLOR_0_LOC
layout(location = COLOR_0_LOC) in vec4 color_0;
#endif
layout(location = INST_M_LOC) in mat4 inst_m;
#ifdef HAS_BASE_COLOR_TEX
// Printed (TEXMAP) surfaces: texture coordinates (render/raster/textures.py).
layout(location = TEXCOORD_0_LOC) in vec2 texcoord_0;
out vec2 frag_uv;
#endif

#ifdef TANGENT_LOC
// Only conditional lines have tangents (see offscreen.conditional_line_primitive): `normal` is
// the line's other end, `control_a` the first control point and x of the second, `control_b`
// its y and z.  (pyrender's loader knows only `#ifdef` of its own location names.)
layout(location = TANGENT_LOC) in vec4 control_a;
layout(location = TEXCOORD_0_LOC) in vec2 control_b;
#else
#ifdef COLOR_0_LOC
#ifdef TEXCOORD_0_LOC
// Edge lines: x is the size of the outline this vertex belongs to (render/raster/lines.py).
layout(location = TEXCOORD_0_LOC) in vec2 line_extent;
#endif
#endif
#endif

uniform mat4 M;
uniform mat4 V;
uniform mat4 P;
#ifdef COLOR_0_LOC
uniform float line_pixels;  // output pixels per model unit at clip w = 1: P[1][1] * height / 2
// LINE_FADE_FROM, LINE_FADE_TO (output pixels) and CONDITIONAL_SCALE are #defines from
// render/raster/lines.py, which also skips the lines this fade drops entirely.
const vec4 OUTSIDE = vec4(0.0, 0.0, 2.0, 1.0);  // beyond the far plane: a line not drawn

// Outlines a few pixels across on screen (a distant stud's) fade out; bigger ones (bricks'
// joints and silhouettes) stay at full strength.
float line_strength(float length_units, float w)
{
    float pixels = length_units * line_pixels / max(w, 1e-6);
    return smoothstep(LINE_FADE_FROM, LINE_FADE_TO, pixels);
}
#endif

out vec3 frag_position;
#ifdef NORMAL_LOC
out vec3 frag_normal;
#endif
#ifdef COLOR_0_LOC
out vec4 color_multiplier;
#endif

void main()
{
#ifdef TANGENT_LOC
    // LDraw's rule: draw the line only where both control points lie on the same side of it
    // on screen.  Both ends compute the same answer; a rejected line is moved out of the clip
    // volume whole.
    mat4 mvp = P * V * M * inst_m;
    vec4 a = mvp * vec4(position, 1.0);
    vec4 b = mvp * vec4(normal, 1.0);
    vec4 c = mvp * vec4(control_a.xyz, 1.0);
    vec4 d = mvp * vec4(control_a.w, control_b, 1.0);
    vec2 sa = a.xy / a.w;
    vec2 line = b.xy / b.w - sa;
    vec2 to_c = c.xy / c.w - sa;
    vec2 to_d = d.xy / d.w - sa;
    float side_c = line.x * to_c.y - line.y * to_c.x;
    float side_d = line.x * to_d.y - line.y * to_d.x;
    float own = length((M * (inst_m * vec4(normal - position, 0.0))).xyz);
    // Both ends take the strength at the line's middle, so they agree on dropping it.
    float strength = line_strength(own * CONDITIONAL_SCALE, 0.5 * (a.w + b.w));
    gl_Position = side_c * side_d > 0.0 && strength > 0.0 ? a : OUTSIDE;
    frag_position = (M * (inst_m * vec4(position, 1.0))).xyz;
    frag_normal = vec3(0.0, 0.0, 1.0);
    color_multiplier = vec4(color_0.rgb, strength);
#else
    // Matrix-vector products only: llvmpipe does not hoist uniform-only matrix products.
    vec4 world = M * (inst_m * vec4(position, 1.0));
    gl_Position = P * (V * world);
    frag_position = world.xyz;
#ifdef HAS_BASE_COLOR_TEX
    frag_uv = texcoord_0;
#endif
#ifdef NORMAL_LOC
    // cof(A) = det(A) * inverse(A)^T; cof(M * I) = cof(M) * cof(I).
    mat3 a = mat3(inst_m);
    mat3 b = mat3(M);
    mat3 ca = mat3(cross(a[1], a[2]), cross(a[2], a[0]), cross(a[0], a[1]));
    mat3 cb = mat3(cross(b[1], b[2]), cross(b[2], b[0]), cross(b[0], b[1]));
    float det = dot(a[0], ca[0]) * dot(b[0], cb[0]);
    // A flattening (singular) placement has det 0 and still a cofactor: keep its sign +.
    frag_normal = normalize(cb * (ca * normal)) * (det < 0.0 ? -1.0 : 1.0);
#endif
#ifdef COLOR_0_LOC
#ifdef TEXCOORD_0_LOC
    // An outline's strength is taken at its part's origin, the same for all its vertices, so
    // a faded-out outline is dropped whole before it is rasterised (no fragments at all).
    float scale = length((M * (inst_m * vec4(0.57735, 0.57735, 0.57735, 0.0))).xyz);
    float origin_w = (P * (V * (M * inst_m[3]))).w;
    float strength = line_strength(line_extent.x * scale, origin_w);
    color_multiplier = vec4(color_0.rgb, strength);
    if (strength <= 0.0) {
        gl_Position = OUTSIDE;
    }
#else
    color_multiplier = color_0;
#endif
#endif
#endif
}
