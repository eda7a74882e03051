"""An eval score chart as inline SVG: one point per evaluated version, the threshold as a
dashed line, the versions an environment runs now marked and labelled. No script, no
library: the chart is markup, readable with JavaScript off and in a screenshot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from promptreg.site.html import Html, el

WIDTH, HEIGHT = 560, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 16, 14, 46


def score_chart(
    metric: str,
    points: Sequence[tuple[str, float]],
    threshold: float | None,
    deployed: Mapping[str, Sequence[str]],
) -> Html:
    """`points`: (version, score), oldest first; `deployed`: version → the environments
    running it now."""
    values = [s for _, s in points] + ([threshold] if threshold is not None else [])
    low, high = min(values, default=0.0), max(values, default=1.0)
    if low >= 0.0 and high <= 1.0:
        low, high = 0.0, 1.0  # the usual 0–1 score: the whole scale, so moves look their size
    elif high - low < 1e-9:
        low, high = low - 1.0, high + 1.0
    else:
        pad = (high - low) * 0.1
        low, high = low - pad, high + pad
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM

    def x(i: int) -> float:
        return _LEFT + (plot_w * (i + 0.5) / max(len(points), 1))

    def y(value: float) -> float:
        return _TOP + plot_h * (1 - (value - low) / (high - low))

    parts: list[Html] = [
        el("title", None, f"{metric} by version"),
        el("line", {"class": "axis", "x1": _LEFT, "y1": _TOP, "x2": _LEFT, "y2": _TOP + plot_h}),
        el(
            "line",
            {
                "class": "axis",
                "x1": _LEFT,
                "y1": _TOP + plot_h,
                "x2": WIDTH - _RIGHT,
                "y2": _TOP + plot_h,
            },
        ),
        el("text", {"x": 4, "y": round(y(high), 1) + 4}, f"{high:g}"),
        el("text", {"x": 4, "y": round(y(low), 1)}, f"{low:g}"),
    ]
    if threshold is not None:
        ty = round(y(threshold), 1)
        parts.append(
            el(
                "line",
                {"class": "threshold", "x1": _LEFT, "y1": ty, "x2": WIDTH - _RIGHT, "y2": ty},
                el("title", None, f"threshold {threshold:g}"),
            )
        )
        parts.append(
            el("text", {"x": WIDTH - _RIGHT - 90, "y": ty - 4}, f"threshold {threshold:g}")
        )
    if len(points) > 1:
        path = " ".join(f"{x(i):.1f},{y(s):.1f}" for i, (_, s) in enumerate(points))
        parts.append(el("polyline", {"class": "line", "points": path}))
    for i, (version, score) in enumerate(points):
        envs = deployed.get(version, ())
        label = f"{version}: {score:g}" + (f" (runs in {', '.join(envs)})" if envs else "")
        parts.append(
            el(
                "circle",
                {
                    "class": "point deployed" if envs else "point",
                    "cx": f"{x(i):.1f}",
                    "cy": f"{y(score):.1f}",
                    "r": 6 if envs else 4,
                    "data_version": version,
                },
                el("title", None, label),
            )
        )
        parts.append(
            el(
                "text",
                {"x": f"{x(i):.1f}", "y": HEIGHT - _BOTTOM + 16, "text-anchor": "middle"},
                version,
            )
        )
        if envs:
            parts.append(
                el(
                    "text",
                    {"x": f"{x(i):.1f}", "y": HEIGHT - _BOTTOM + 30, "text-anchor": "middle"},
                    ", ".join(envs),
                )
            )
    return el(
        "svg",
        {
            "class": "chart",
            "xmlns": "http://www.w3.org/2000/svg",
            "width": WIDTH,
            "height": HEIGHT,
            "viewBox": f"0 0 {WIDTH} {HEIGHT}",
            "role": "img",
            "aria-label": f"{metric} by version",
        },
        *parts,
    )
