"""Never partial without saying so: every bounded read in tasks_app is declared in
``tasks_app.deadline.bounded_reads`` as read to the end, shown as cut, or a sample; a new one
that is none of these fails here, and so does a declaration whose read is gone."""

from __future__ import annotations

import ast

from tasks_app.deadline.bounded_reads import BOUNDED_READS, KINDS
from tests.tasks_app.bounded_read_scan import SiteFinder, bounded_reads


def test_every_bounded_read_is_declared() -> None:
    undeclared = sorted(
        f"{where}: {site}" for site, where in bounded_reads() if site not in BOUNDED_READS
    )

    assert not undeclared, (
        "Bounded reads that are not read to the end, shown as cut, or a named sample. Read to "
        "the end (calls.list_every), show the cut on the page and in JSON, or declare the "
        "sample in tasks_app/deadline/bounded_reads.py:\n" + "\n".join(undeclared)
    )


def test_every_declaration_names_a_read_that_exists_and_says_why() -> None:
    found = {site for site, _ in bounded_reads()}

    gone = sorted(set(BOUNDED_READS) - found)
    assert not gone, "Declared bounded reads no longer in the code (remove them): " + str(gone)
    for site, declared in BOUNDED_READS.items():
        assert declared.kind in KINDS, site
        assert len(declared.why) > 10, site


def _sites(source: str, module: str = "tasks_app.selectors.example") -> list[str]:
    finder = SiteFinder(module)
    finder.visit(ast.parse(source))
    return [site for site, _ in finder.found]


def test_the_scan_sees_each_kind_of_bounded_read() -> None:
    source = """
def a():
    return list_all("ListJobs", "jobs", farmId=f, queueId=q)
def b():
    return search.search("SearchTasks", {"itemOffset": 0})
def c(operation):
    return calls.call(operation, maxResults=1)
def d():
    return helper("ListWorkers", max_pages=3)
def e(answer):
    return answer["jobs"][:MAX_SHOWN]
def f():
    return call("ListSessions", farmId=f)
"""
    assert _sites(source) == [
        "tasks_app.selectors.example:a:list_all(ListJobs)",
        "tasks_app.selectors.example:b:search(SearchTasks)",
        "tasks_app.selectors.example:c:call(operation)",
        "tasks_app.selectors.example:d:helper(max_pages)",
        "tasks_app.selectors.example:e:[:MAX_SHOWN]",
        "tasks_app.selectors.example:f:call(ListSessions)",
    ]


def test_reads_to_the_end_and_other_calls_are_not_bounded_reads() -> None:
    source = """
def a():
    return list_every("ListTasks", "tasks", stepId=s)
def b():
    return call("GetTask", taskId=t), call("BatchGetTask", identifiers=i)
def c(text):
    return re.search("x", text), PATTERN.search(text), text[:MAX_LINE_CHARS], text[:2]
"""
    assert _sites(source) == []
