"""cnnviz: watch a LeNet-style CNN written in pure NumPy learn, layer by layer."""

__version__ = "0.1.0"
