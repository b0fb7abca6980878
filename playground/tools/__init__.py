"""Hands-on tools (the Tools tab), one module per experiment, each a set of functions taking a
`Tools` (the backend plus the tools' cache) first:

  core           which models a tool can use, where latents come from, encode data, render latents
  interpolation  lerp/slerp between two latents, with norm and likelihood along both paths
  arithmetic     class means, z + s·(mean(A) − mean(B)), the class × style grid
  digit          reconstruct a drawing, score it as an anomaly against the validation digits
  inversion      a drawing to its noise (DDIM inversion), regenerated, and as every class
  neighbours     nearest training digits of samples, in pixels and in the judge's features
  completion     fill in a hidden region with a stepwise model (PixelCNN, Gibbs chain)
  export         the sample grid with its latents, and the PNG/GIF/CSV files
"""
from playground.tools import (arithmetic, completion, digit, export, interpolation, inversion,
                              neighbours)
from playground.tools.core import MAX_TOOL_IMAGES, SOURCES, TOOL_NEEDS, Tools, image_size, makes_images

__all__ = ["Tools", "TOOL_NEEDS", "MAX_TOOL_IMAGES", "SOURCES", "image_size", "makes_images",
           "arithmetic", "completion", "digit", "export", "interpolation", "inversion",
           "neighbours"]
