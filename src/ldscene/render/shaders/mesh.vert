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

uniform mat4 M;
uniform mat4 V;
uniform mat4 P;

out vec3 frag_position;
#ifdef NORMAL_LOC
out vec3 frag_normal;
#endif
#ifdef COLOR_0_LOC
out vec4 color_multiplier;
#endif

void main()
{
    // Matrix-vector products only: llvmpipe does not hoist uniform-only matrix products.
    vec4 world = M * (inst_m * vec4(position, 1.0));
    gl_Position = P * (V * world);
    frag_position = world.xyz;
#ifdef NORMAL_LOC
    // cof(A) = det(A) * inverse(A)^T; cof(M * I) = cof(M) * cof(I).
    mat3 a = mat3(inst_m);
    mat3 b = mat3(M);
    mat3 ca = mat3(cross(a[1], a[2]), cross(a[2], a[0]), cross(a[0], a[1]));
    mat3 cb = mat3(cross(b[1], b[2]), cross(b[2], b[0]), cross(b[0], b[1]));
    float det = dot(a[0], ca[0]) * dot(b[0], cb[0]);
    frag_normal = normalize(cb * (ca * normal)) * sign(det);
#endif
#ifdef COLOR_0_LOC
    color_multiplier = color_0;
#endif
}
