"""nn.functional: loss (see nn/functional/__init__.py)."""
__all__: list = []
