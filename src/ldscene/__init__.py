"""ldscene: assemble LEGO dioramas from LDraw models and render them."""

__version__ = "0.1.0"
