"""nn.functional: activation (see nn/functional/__init__.py)."""
__all__: list = []
