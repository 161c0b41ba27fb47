"""Small server-rendered SVG charts: a histogram, a scatter, stacked columns, a meter,
timeline lanes (``lanes``) and a worker's resource lines (``lines``).

Every chart is drawn from the same view model as the table printed beside it, so the numbers
never live only in a picture. Colours come from CSS classes (``static/tasks_app/charts.css``)
that read the design system's custom properties: light and dark follow the page. The
``viewBox`` is kept narrow enough that text stays readable when a phone (390 px) scales it.
All text is escaped (``core.svg``), so names from the API cannot break the markup.
"""

from .bars import histogram, meter, scatter, stacked
from .core import Bar, Column, Lane, Point, Span, axis_top, nice_step
from .lanes import lanes
from .lines import line_chart

__all__ = [
    "Bar",
    "Column",
    "Lane",
    "Point",
    "Span",
    "axis_top",
    "histogram",
    "lanes",
    "line_chart",
    "meter",
    "nice_step",
    "scatter",
    "stacked",
]
