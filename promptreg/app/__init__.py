"""What the commands do on top of the layers below: validate (the lints and file selection),
semantic diffs, the `show` report and the `init`/`new` scaffold.

Layer 5 of promptreg, under only `promptreg.cli`, `promptreg.hooks` and `promptreg.evals`.
"""
