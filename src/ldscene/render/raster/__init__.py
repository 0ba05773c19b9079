"""The raster engine: quick OpenGL previews through pyrender (headless EGL, or a window for
`ldscene view`), with edge lines, soft shadows and sorted glass."""
