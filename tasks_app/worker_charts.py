"""A worker's resource line charts now live in ``charts.lines`` (``charts.line_chart``): this
name stays for the farm views until they import it from there."""

from .charts.lines import line_chart

__all__ = ["line_chart"]
