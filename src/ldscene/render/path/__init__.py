"""The path-traced engine: Mitsuba 3 renders a `RenderDescription` physically, OIDN denoises.

`setup` picks Mitsuba's variant (CUDA on NVIDIA, else LLVM on the CPU) and its libLLVM,
`world` merges instanced meshes into one world-space mesh per colour, `materials` and
`lights` turn appearances and presets into Mitsuba plugins, `film` tone-maps, denoises and
composites, and `renderer.PathRenderer` ties them together.  Mitsuba is imported lazily.
"""
