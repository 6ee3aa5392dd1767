"""Sphinx configuration for smartcity-kit's documentation."""

from importlib.metadata import version as _version

project = "smartcity-kit"
author = "smartcity-kit developers"
copyright = "2026, smartcity-kit developers"
release = _version("smartcity-kit")
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
nitpicky = False

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
# Not preserve_defaults: attrs generates __init__ from source text such as
# "attr_dict['postal_code'].default", which autodoc would print as the default.
autodoc_preserve_defaults = False
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True
# The parameter list already shows each field's type; the annotation would repeat it with the
# private module path (smartcity_kit.core._regions.RegionCode).
napoleon_attr_annotations = False

# No intersphinx: the docs must build offline, with warnings as errors.

html_theme = "furo"
html_title = "smartcity-kit"
