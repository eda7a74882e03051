"""What people read about the registry: the static site (`promptreg site`) and the review of
a pull request (`promptreg review`). The top layer below cli/: it shows what the layers
under it compute (the read model of deployments, `show`'s report, `diff`, the eval gate, the
version-bump hook's check) and computes nothing of its own about prompts."""
