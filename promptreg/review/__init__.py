"""`promptreg review BASE [HEAD]`: what a pull request changes in the registry, for reviewers.

    result = review(registry, "origin/main", "HEAD")   # model.py
    markdown(result)                                    # markdown.py: fits a GitHub comment
    text_report(result), result.to_json()               # text.py; JSON

Built from what the other commands compute (`diff`, `show`'s tokens and cost, the eval gate,
the version-bump hook's check, the deployments read model; hence a layer after hooks/),
between the merge base of BASE and HEAD and HEAD itself, as a pull request's "Files changed"
view compares.
"""

from __future__ import annotations

from promptreg.review.model import PartialChange, PromptChange, Review, review

__all__ = ["PartialChange", "PromptChange", "Review", "review"]
