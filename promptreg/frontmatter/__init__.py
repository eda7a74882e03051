"""The prompt file's text, no Jinja: the front-matter split, the YAML reader and writer, the
schema and its shared checks, the typed spec, input checking and model pinning.

Layer 1 of promptreg (above only the shared leaves at the top of the package): it knows the
file's front-matter, never how the template body renders.
"""
