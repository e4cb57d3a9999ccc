"""nn.functional: layers (see nn/functional/__init__.py)."""
__all__: list = []
