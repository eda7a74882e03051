"""Jinja, no YAML: the one sandboxed environment and its include closure, template analysis,
role markers, rendering into messages, and the `Prompt` that binds a template to its spec.

Layer 2 of promptreg: it builds on `promptreg.frontmatter`'s typed spec, never reads YAML.
"""
