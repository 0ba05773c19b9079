#version 330 core
// Multiplies the ambient occlusion (ao.frag) into the image: a 4x4 box blur, by four bilinear
// reads at the corners of the pixel's block, averages the 16 turned spirals of ao.frag.

uniform sampler2D open_map;  // ao.frag's output, the size of the image, linear filtering
uniform vec2 out_size;        // the size of the image (open_map's)
uniform sampler2D depth_map;  // to leave the background alone
uniform int stride;           // pixels drawn per image pixel (the supersampling factor)

out vec4 frag_color;

void main()
{
    ivec2 pixel = ivec2(gl_FragCoord.xy);
    if (texelFetch(depth_map, pixel, 0).r >= 1.0) {
        discard;
    }
    // The image pixel, in texels: a read at c + (+-1, +-1) averages 2x2 texels.
    vec2 c = vec2(pixel / stride);
    float open = 0.25 * (texture(open_map, (c + vec2(-1.0, -1.0)) / out_size).r
                       + texture(open_map, (c + vec2(1.0, -1.0)) / out_size).r
                       + texture(open_map, (c + vec2(-1.0, 1.0)) / out_size).r
                       + texture(open_map, (c + vec2(1.0, 1.0)) / out_size).r);
    frag_color = vec4(vec3(open), 1.0 - open);
}
