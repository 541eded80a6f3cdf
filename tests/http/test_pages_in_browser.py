"""The pages as a browser shows them: headless Chromium, driven through chromedriver.

Needs ``chromium`` (or Google Chrome, as on GitHub's runners) and ``chromedriver``
(Debian: ``apt-get install chromium chromium-driver``); skipped, with the reason,
where either is missing, as on CI's fresh machine. Selenium is given both paths,
so it never downloads one.
"""

from __future__ import annotations

import shutil

import httpx
import pytest

from mockserver.control.testing import MockServer

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason="needs chromium and chromedriver (apt-get install chromium chromium-driver)")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage")
WAIT = 30  # seconds: the first render parses a 1 MB document on a busy machine


@pytest.fixture(scope="module")
def server():
    with MockServer() as mock:
        yield mock


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    yield driver
    driver.quit()


def _wait(browser, condition):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, WAIT).until(condition)


def _operations(browser, url: str) -> set[str]:
    """Open a Swagger UI page; the ids of the operations it rendered."""
    from selenium.webdriver.common.by import By

    browser.get(url)
    _wait(browser, lambda b: b.find_elements(By.CSS_SELECTOR, ".opblock"))
    return {block.get_attribute("id") for block in browser.find_elements(By.CSS_SELECTOR, ".opblock")}


def _execute(browser, block_id: str) -> str:
    """Expand an operation, run it as filled in, and return the status it answered."""
    from selenium.webdriver.common.by import By

    block = browser.find_element(By.ID, block_id)
    if "is-open" not in block.get_attribute("class"):
        block.find_element(By.CSS_SELECTOR, ".opblock-summary-control").click()
    _wait(browser, lambda b: block.find_elements(By.CSS_SELECTOR, "button.execute"))[0].click()
    cell = _wait(browser, lambda b: block.find_elements(By.CSS_SELECTOR, ".live-responses-table tr.response .response-col_status"))
    return cell[0].text.split()[0]


def _document_operations(server: MockServer, path: str) -> set[str]:
    document = httpx.get(server.base_url + path).json()
    return {f"operations-{spec['tags'][0]}-{spec['operationId']}"
            for methods in document["paths"].values() for spec in methods.values()}


def test_the_home_page_links_to_every_page(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server.base_url + "/")
    links = {a.get_attribute("pathname") for a in browser.find_elements(By.TAG_NAME, "a")}
    assert links == {"/docs", "/openapi.json", "/__mock/docs", "/__mock/health"}
    assert "mock-secret" in browser.find_element(By.TAG_NAME, "table").text


def test_docs_renders_every_operation_and_the_filled_in_login_logs_in(server, browser):
    rendered = _operations(browser, server.base_url + "/docs")
    assert rendered == _document_operations(server, "/openapi.json")
    assert _execute(browser, "operations-auth-get_access_token") == "200"
    # The page sends the token it got with every other operation.
    assert _execute(browser, "operations-sources-list_sources") == "200"


def test_the_control_plane_page_renders_and_runs_its_operations(server, browser):
    rendered = _operations(browser, server.base_url + "/__mock/docs")
    assert rendered == _document_operations(server, "/__mock/openapi.json")
    assert _execute(browser, "operations-control-mock_health") == "200"
    assert _execute(browser, "operations-control-mock_clock") == "200"
