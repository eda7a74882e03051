"""The review as plain text, for a terminal or a CI log."""

from __future__ import annotations

from promptreg.findings import one_line
from promptreg.review.model import Review, delta, score_deltas


def text_report(review: Review) -> list[str]:
    base, head = review.base[:10], review.head[:10]
    out = [f"review {review.base_label} ({base}) → {review.head_label} ({head})"]
    if not review.prompts and not review.partials:
        out.append("no prompt or partial changed")
    for c in review.prompts:
        old, new = c.old, c.new
        out.append("")
        out.append(
            f"{c.name} ({c.status}): {old.version if old else '—'} → {new.version if new else '—'}"
        )
        if c.via:
            own = "" if c.file_changed else " (its own file is unchanged)"
            out.append(f"  changed through {', '.join(c.via)}{own}")
        out.append(f"  version bump: {'ok' if c.bump is None else one_line(c.bump)}")
        tokens = delta(old.tokens if old else None, new.tokens if new else None, "{:,}")
        cost = delta(
            old.usd_per_1000 if old else None, new.usd_per_1000 if new else None, "${:,.2f}"
        )
        out.append(f"  sample tokens: {tokens}; cost per 1,000 calls: {cost}")
        if c.gate is not None:
            scores = score_deltas(c)
            out.append(f"  evals: {scores}; gate {'passes' if c.gate.ok else 'FAILS'}")
            out += [f"    {one_line(r)}" for r in c.gate.reasons]
        if c.running_old:
            out.append(f"  the old version runs in {', '.join(c.running_old)}")
        if c.error:
            out.append(f"  does not load: {one_line(c.error)}")
        out += [f"  metadata: {one_line(s)}" for s in c.changes]
        out += [f"  {line}" for line in c.body]
        for _, lines in c.partials:
            out += [f"  {line}" for line in lines]
        out += [f"  {line}" for line in c.rendered]
    for p in review.partials:
        out.append("")
        out.append(f"partial {p.path}: included by {', '.join(p.included_by) or 'no prompt'}")
        out += [f"  {line}" for line in p.diff]
    return out
