"""The layering (README "Architecture", pyproject.toml [tool.importlinter]) holds and is enforced.

Imports inside functions count: a lazy import is still a dependency, and the contract must catch one.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from mwanzo import jobs
from mwanzo.auth.models import Role
from mwanzo.navigation import NAV_LINKS, links_for

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    """Run the contract over the package in ``tree`` (its own copy of mwanzo/ and pyproject.toml)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True,
                          timeout=300)


def copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "mwanzo", tmp_path / "mwanzo",
                    ignore=shutil.ignore_patterns("__pycache__", "templates", "static", "translations"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_an_upward_import_inside_a_function_breaks_the_layering(tmp_path):
    tree = copy_of_the_package(tmp_path)
    with (tree / "mwanzo/courses/services.py").open("a") as module:
        module.write("\n\ndef progress_of(enrollment):\n"
                     "    from mwanzo.learning.services import refresh_progress\n\n"
                     "    return refresh_progress(enrollment)\n")
    result = lint_imports(tree)
    assert result.returncode == 1
    assert "Domains import downward only BROKEN" in result.stdout
    assert "mwanzo.courses is not allowed to import mwanzo.learning" in result.stdout
    assert re.search(r"mwanzo\.courses\.services -> mwanzo\.learning\.services \(l\.\d+\)", result.stdout)


def test_a_domain_reaching_for_create_app_breaks_the_container_contract(tmp_path):
    tree = copy_of_the_package(tmp_path)
    with (tree / "mwanzo/jobs/tasks.py").open("a") as module:
        module.write("\n\ndef an_app():\n    from mwanzo import create_app\n\n    return create_app()\n")
    result = lint_imports(tree)
    assert result.returncode == 1
    assert "Nothing imports create_app BROKEN" in result.stdout
    assert re.search(r"mwanzo\.jobs\.tasks -> mwanzo \(l\.\d+\)", result.stdout)


def package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_no_import_cycle_between_packages_counting_imports_inside_functions():
    graph = grimp.build_graph("mwanzo")  # grimp reads every import statement, in functions too
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if package_of(module) != package_of(imported):
                edges.setdefault(package_of(module), set()).add(package_of(imported))
    assert edges, "grimp found no imports between packages"
    mutual = sorted({tuple(sorted((a, b))) for a, targets in edges.items() for b in targets
                     if a in edges.get(b, set())})
    assert mutual == []

    state: dict[str, str] = {}

    def cycle_from(package: str, path: list[str]) -> list[str] | None:
        state[package] = "open"
        for target in sorted(edges.get(package, ())):
            if state.get(target) == "open":
                return path + [package, target]
            if target not in state and (found := cycle_from(target, path + [package])):
                return found
        state[package] = "done"
        return None

    for package in sorted(edges):
        if package not in state:
            assert cycle_from(package, []) is None


FRESH_WORKER = """
import json, sys
from mwanzo import jobs, tasks
print(json.dumps({"views": sorted(m for m in sys.modules if m.startswith("mwanzo") and ".views" in m),
                  "tasks": sorted(jobs.TASKS),
                  "schedule": sorted(jobs.task_name(task) for task, _every in tasks.SCHEDULE)}))
"""


def fresh_interpreter(code: str) -> dict:
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout)


def test_the_schedule_and_every_task_are_known_without_importing_a_view(app):
    fresh = fresh_interpreter(FRESH_WORKER)
    assert fresh["views"] == []
    scheduled = sorted(task.name for task in jobs.periodic_tasks(app))
    assert fresh["schedule"] == scheduled == [
        "mwanzo.analytics.tasks.send_weekly_reports", "mwanzo.inbox.tasks.send_daily_digests",
        "mwanzo.jobs.tasks.relay_outbox", "mwanzo.learning.tasks.send_study_reminders",
        "mwanzo.media.tasks.sweep_stale_lessons", "mwanzo.payments.tasks.reconcile_payments",
        "mwanzo.payments.tasks.reconcile_payouts",
        "mwanzo.privacy.tasks.apply_retention", "mwanzo.studio.tasks.sweep_course_transfers"]
    # The whole app (every view imported) knows no task that the worker's imports alone miss.
    assert fresh["tasks"] == sorted(jobs.TASKS)


def test_the_navigation_is_declared_whole_and_every_link_is_served(app):
    fresh = fresh_interpreter("import json, sys\nfrom mwanzo import navigation\n"
                              "print(json.dumps({'views': [m for m in sys.modules if '.views' in m],"
                              " 'links': [e for _r, e, _l in navigation.NAV_LINKS]}))")
    assert fresh["views"] == []
    assert fresh["links"] == [endpoint for _roles, endpoint, _label in NAV_LINKS]
    assert set(fresh["links"]) <= set(app.view_functions)


@pytest.mark.parametrize("role, expected", [
    (Role.STUDENT, ["Applications", "Certificates", "My learning", "Payments"]),
    (Role.INSTRUCTOR, ["My learning", "My courses", "Analytics"]),
    (Role.EMPLOYER, ["Your jobs", "Candidates"]),
    (Role.ADMIN, ["Admin", "All payments", "Payments to settle", "Reviews", "Reported posts", "Applications",
                  "Your jobs", "Candidates", "Certificates", "My learning", "Payments", "My courses", "Analytics"]),
])
def test_each_role_sees_its_header_links(client, login, make, role, expected):
    login(make.user(role=role))
    page = client.get("/courses").get_data(as_text=True)
    header = page[page.index('<nav aria-label="Main">'):page.index("</nav>")]
    shown = re.findall(r'<a href="([^"]+)">([^<]+)</a>', header)
    assert [label for _href, label in shown][2:-1] == expected == [label for _e, label in links_for(role)]
