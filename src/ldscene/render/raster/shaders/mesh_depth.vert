#version 330 core
// Shadow-map depth pass (as pyrender's mesh_depth.vert, MIT licence).
layout(location = 0) in vec3 position;
layout(location = INST_M_LOC) in mat4 inst_m;

uniform mat4 P;
uniform mat4 V;
uniform mat4 M;

void main()
{
    gl_Position = P * (V * (M * (inst_m * vec4(position, 1.0))));
}
