"""Typing in the catalog search swaps only the results and updates the URL; back restores; no-JS still works."""
import re

import pytest

pytestmark = pytest.mark.browser


def result_titles(page) -> list[str]:
    return page.locator("#results .card strong").all_inner_texts()


def test_typing_swaps_results_and_pushes_the_url_then_back_restores(new_page, make):
    for title in ("Poultry farming", "Python programming", "Bookkeeping basics"):
        make.course(title=title)
    page = new_page()
    page.goto("/courses")
    assert len(result_titles(page)) == 3
    page.evaluate("window.__samePage = true")  # survives only if the page is never reloaded

    page.get_by_label("Search courses").press_sequentially("poultry", delay=40)
    page.wait_for_url(re.compile(r"/courses\?q=poultry$"))
    page.wait_for_function("document.querySelectorAll('#results .card').length === 1")
    assert result_titles(page) == ["Poultry farming"]
    assert page.evaluate("window.__samePage") is True
    assert page.get_by_label("Search courses").input_value() == "poultry"
    assert page.title().startswith("“poultry” · Courses")

    page.get_by_text("Filter and sort").click()
    page.get_by_label("Level").select_option("ADVANCED")
    page.wait_for_url(re.compile(r"q=poultry&level=ADVANCED"))
    page.get_by_text("No courses match your search.").wait_for()
    assert page.evaluate("window.__samePage") is True

    page.go_back()
    page.wait_for_url(re.compile(r"/courses\?q=poultry$"))
    page.wait_for_function("document.querySelectorAll('#results .card').length === 1")
    assert page.get_by_label("Level").input_value() == ""
    page.go_back()
    page.wait_for_url(re.compile(r"/courses$"))
    page.wait_for_function("document.querySelectorAll('#results .card').length === 3")
    assert page.get_by_label("Search courses").input_value() == ""


def test_search_form_works_with_javascript_off(new_page, make):
    for title in ("Poultry farming", "Python programming"):
        make.course(title=title)
    page = new_page(javascript=False)
    page.goto("/")
    page.get_by_label("Search courses").fill("python")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/courses\?q=python"))
    assert result_titles(page) == ["Python programming"]
