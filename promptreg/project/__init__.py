"""A project on disk: `promptreg.yaml`, reading one prompt file into a `Prompt` (the loader and
the checks `load` applies beyond reading), and the `Project` that finds and loads prompts.

Layer 3 of promptreg: it joins `promptreg.frontmatter` and `promptreg.template` for one file and
one directory; the git registry (`promptreg.registry`) reads the same files at a revision.
"""
