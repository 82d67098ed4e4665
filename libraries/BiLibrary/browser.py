"""BiLibrary's real-browser check: headless Chromium (the test machine's Debian ``chromium``) drives Superset's UI.

Selenium is given ``/usr/bin/chromedriver`` and ``/usr/bin/chromium`` explicitly, so Selenium
Manager never tries to download a driver or a browser. The browser logs in through Superset's
login form as a user does, opens the dashboard, waits until every chart has rendered, and reads
the numbers the big-number charts show. A screenshot goes into log.html.

A test narrows the dashboard to its own events through the dashboard's "Correlation id" native
filter: the library stores that filter state as a dashboard permalink (``POST
/api/v1/dashboard/<id>/permalink``, a CSRF-protected call) and opens ``/superset/dashboard/p/<key>/``,
exactly the URL a user gets from "Copy permalink".
"""

from __future__ import annotations

import base64
import os
import shutil
import time
from datetime import timedelta
from typing import Any

from assertionengine import AssertionOperator, verify_assertion
from robot.api import logger
from robot.api.deco import keyword

from lhcommon import masking
from lhkit.assertions import get_and_verify
from lhkit.htmllog import log_table
from lhkit.polling import WaitTimeout, wait_until

from .keywords import AREA, BiComponent
from .normalize import NotFound, parse_rendered_number

CHROMIUM = os.environ.get("LH_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("LH_CHROMEDRIVER", "/usr/bin/chromedriver")
NATIVE_FILTER_ID = "NATIVE_FILTER-correlation_id"
SCREENSHOT_WIDTH = 900

# Read every chart holder of the dashboard in one round trip: name, rendered big number, error, loading.
_READ_CHARTS = """
return Array.from(document.querySelectorAll('[data-test-chart-name]')).map(el => ({
  name: el.getAttribute('data-test-chart-name'),
  viz: el.getAttribute('data-test-viz-type'),
  number: (el.querySelector('.header-line') || {}).textContent || null,
  text: (el.innerText || '').slice(0, 300),
  table: (() => {
    // Sticky headers: the header row and the body rows may be in separate <table>s.
    if (!el.querySelector('table')) return null;
    const heads = Array.from(el.querySelectorAll('thead th')).map(h => h.innerText.trim()).filter(h => h);
    return Array.from(el.querySelectorAll('tbody tr'))
      .map(r => Array.from(r.querySelectorAll('td')).map(c => c.innerText.trim()))
      .filter(cells => cells.length === heads.length && cells.some(c => c))
      .map(cells => cells.map((c, i) => [heads[i], c]));
  })(),
  loading: !!el.querySelector('.loading, [data-test="loading-indicator"], [aria-label="Loading"]'),
  error: (el.querySelector('.alert-danger, [role="alert"], [data-test="error-tooltip"]') || {}).textContent || null,
}));
"""


class BrowserKeywords(BiComponent):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._driver: Any = None
        self._opened: str | None = None
        self.ctx.resource("browser-closer", lambda: self, lambda _self: self.close_dashboard_browser())

    # --- the browser ---------------------------------------------------------------------
    def _new_driver(self) -> Any:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        for path in (CHROMIUM, CHROMEDRIVER):
            if not shutil.which(path):
                raise AssertionError(
                    f"{path} is missing: the test machine needs Debian's chromium and chromium-driver "
                    "(apt-get install -y --no-install-recommends chromium chromium-driver)"
                )
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in (
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--window-size=1400,1000",
            "--disable-extensions",
            "--no-first-run",
            "--lang=en-US",
        ):
            options.add_argument(arg)
        # Selenium logs each WebDriver command at DEBUG, the typed password included: keep it out of the log.
        masking.quiet_client_loggers()
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(self.ctx.timeout)
        return driver

    def _login(self, driver: Any, timeout: float) -> None:
        """Log in through the login form, as a user does."""
        from selenium.webdriver.common.by import By

        url = self.client.url
        driver.get(f"{url}/login/")

        def form() -> Any:
            found = driver.find_elements(By.CSS_SELECTOR, "input[name='username'], input#username")
            return found[0] if found else None

        user_field = wait_until(
            form,
            lambda f: f is not None,
            timeout=timeout,
            description=f"the login form at {url}/login/",
            describe=lambda _: driver.current_url,
        )
        user_field.send_keys(self.client.user)
        driver.find_element(
            By.CSS_SELECTOR, "input[name='password'], input#password, input[type='password']"
        ).send_keys(self.client.password)
        buttons = driver.find_elements(By.CSS_SELECTOR, "button[type='submit'], input[type='submit']")
        if buttons:
            buttons[0].click()
        else:
            driver.find_element(By.CSS_SELECTOR, "input[type='password']").submit()
        try:
            wait_until(
                lambda: driver.current_url,
                lambda u: "/login" not in u,
                timeout=timeout,
                description=f"Superset to accept the login of '{self.client.user}'",
                describe=str,
            )
        except WaitTimeout:
            self._screenshot(driver, "Login page after submitting")
            raise AssertionError(
                f"Superset at {url} did not accept the browser login of user '{self.client.user}' "
                f"within {timeout:g} s (still on {driver.current_url})"
            ) from None

    def _screenshot(self, driver: Any, title: str) -> None:
        """A small JPEG screenshot (Chrome DevTools, quality 60) embedded in log.html."""
        try:
            shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "jpeg", "quality": 60})
            encoded, mime = shot["data"], "image/jpeg"
        except Exception:
            encoded, mime = base64.b64encode(driver.get_screenshot_as_png()).decode(), "image/png"
        logger.info(
            f"<b>{title}</b> ({len(encoded) * 3 // 4 // 1024} KB)<br><img src='data:{mime};base64,{encoded}' "
            f"width='{SCREENSHOT_WIDTH}' style='border:1px solid #ccc'>",
            html=True,
        )

    # --- keywords ------------------------------------------------------------------------
    @keyword(tags=(AREA, "Setter"))
    def open_dashboard_in_browser(
        self, dashboard: str = "Operations", correlation_id: str | None = None, timeout: timedelta | None = None
    ) -> str:
        """Log in with headless Chromium through Superset's login form and open ``dashboard`` (title or slug).

        With ``correlation_id``, the dashboard opens with its "Correlation id" filter set to that id
        (a permalink of that filter state), so every chart shows only the test's events. Waits until
        every chart has rendered, then embeds a screenshot in log.html. Returns the URL opened.
        The browser is reused by later keywords and closed by `Close Dashboard Browser` or at the end.

        | Open Dashboard In Browser | Operations | correlation_id=${cid} |
        """
        seconds = self.timeout(timeout)
        board = self.dashboard(dashboard)
        url = f"{self.client.url}/superset/dashboard/{board.get('slug') or board['id']}/"
        if correlation_id:
            state = {
                "dataMask": {
                    NATIVE_FILTER_ID: {
                        "id": NATIVE_FILTER_ID,
                        "extraFormData": {"filters": [{"col": "correlation_id", "op": "IN", "val": [correlation_id]}]},
                        "filterState": {"value": [correlation_id], "label": correlation_id},
                        "ownState": {},
                    }
                },
                "activeTabs": [],
                "anchor": "",
                "urlParams": [],
            }
            link = self.client.request("POST", f"/api/v1/dashboard/{board['id']}/permalink", json=state)
            url = link["url"]
        if self._driver is None:
            self._driver = self._new_driver()
            self._login(self._driver, seconds)
        started = time.monotonic()
        self._driver.get(url)
        self._opened = url
        charts = self._wait_rendered(seconds, dashboard)
        logger.info(
            f"Dashboard '{dashboard}' rendered {len(charts)} chart(s) in {time.monotonic() - started:.1f} s: {url}"
        )
        self._screenshot(
            self._driver, f"Dashboard '{dashboard}'" + (f" for {correlation_id}" if correlation_id else "")
        )
        return url

    def _read(self) -> list[dict[str, Any]]:
        return list(self._driver.execute_script(_READ_CHARTS) or [])

    def _wait_rendered(self, seconds: float, dashboard: str) -> list[dict[str, Any]]:
        def done(charts: list[dict[str, Any]]) -> bool:
            return bool(charts) and all(
                c["error"] or (c["number"] if c["viz"] == "big_number_total" else (c["text"] and not c["loading"]))
                for c in charts
            )

        try:
            return wait_until(
                self._read,
                done,
                timeout=seconds,
                description=f"dashboard '{dashboard}' to render",
                describe=lambda cs: str([(c["name"], c["number"] or c["error"]) for c in cs]),
            )
        except WaitTimeout as error:
            self._screenshot(self._driver, f"Dashboard '{dashboard}' after {seconds:g} s")
            raise AssertionError(str(error)) from None

    @keyword(tags=(AREA, "Getter"))
    def get_dashboard_number(
        self,
        chart: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> float:
        """Return the number the open dashboard shows in big-number chart ``chart``, as a float.

        The rendered text (``1,234.50``, ``1.2k``) is parsed; a chart showing an error fails with it.

        | ${n}= | Get Dashboard Number | Completed trips |
        | Get Dashboard Number | Revenue | == | 42.5 |
        """
        if self._driver is None:
            raise AssertionError("No dashboard is open: call Open Dashboard In Browser first")

        def get() -> float:
            shown = self._shown(chart)
            value = parse_rendered_number(shown["number"] or "")
            if value is None:
                raise AssertionError(f"Chart '{chart}' shows no number (text: {shown['text']!r})")
            logger.info(f"The browser shows {shown['number']!r} in chart '{chart}'")
            return value

        return get_and_verify(
            get, assertion_operator, assertion_expected, f"Browser: chart '{chart}'", message, retry_timeout
        )

    @keyword(tags=(AREA, "Getter"))
    def get_dashboard_table(
        self,
        chart: str,
        assertion_operator: AssertionOperator | None = None,
        assertion_expected: Any = None,
        message: str | None = None,
        retry_timeout: timedelta | None = None,
    ) -> list[dict[str, str]]:
        """Return the rows a table chart of the open dashboard shows, as the browser renders them
        (``{column header: cell text}``), optionally asserting on them.

        | ${rows}= | Get Dashboard Table | Trips by zone |
        | Get Dashboard Table | Trips by zone | validate | len(value) == 1 |
        """
        if self._driver is None:
            raise AssertionError("No dashboard is open: call Open Dashboard In Browser first")

        def get() -> list[dict[str, str]]:
            shown = self._shown(chart)
            if shown["table"] is None:
                raise AssertionError(f"Chart '{chart}' shows no table (text: {shown['text']!r})")
            rows = [dict(cells) for cells in shown["table"]]
            log_table(rows, caption=f"Browser: table of chart '{chart}'")
            return rows

        return get_and_verify(
            get, assertion_operator, assertion_expected, f"Browser: rows of chart '{chart}'", message, retry_timeout
        )

    def _shown(self, chart: str) -> dict[str, Any]:
        by_name = {c["name"]: c for c in self._read()}
        if chart not in by_name:
            raise NotFound(f"Chart '{chart}' is not on the open dashboard. Shown: {', '.join(sorted(by_name))}")
        shown = by_name[chart]
        if shown["error"]:
            raise AssertionError(f"Chart '{chart}' shows an error in the browser: {shown['error']}")
        return shown

    @keyword(tags=(AREA, "Assertion"))
    def dashboard_should_show(self, chart: str, value: float | str, message: str | None = None) -> None:
        """Fail unless the open dashboard shows ``value`` in big-number chart ``chart`` (numeric comparison).

        | Open Dashboard In Browser | Operations | correlation_id=${cid} |
        | Dashboard Should Show | Completed trips | 1 |
        | Dashboard Should Show | Revenue | ${fare} |
        """
        shown = self.get_dashboard_number(chart)
        verify_assertion(
            round(shown, 6), AssertionOperator["=="], round(float(value), 6), f"Browser: chart '{chart}'", message
        )

    @keyword(tags=(AREA, "Setter"))
    def close_dashboard_browser(self) -> None:
        """Quit the headless browser (also done when the library goes out of scope).

        | Close Dashboard Browser |
        """
        driver, self._driver = self._driver, None
        if driver is not None:
            try:
                driver.quit()
            except Exception as error:
                logger.debug(f"Browser quit: {error}")
