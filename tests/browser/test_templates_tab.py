"""The Templates tab in Chromium against a real `zapiki serve`: prove a template's example and read its public
signals by name; a false statement fails the job with its reason; inputs that do not fit the schema are refused
with the API's 422 message, naming the field, before any job.

The tests of this module share one server and run in order."""

from __future__ import annotations

import re
import time

from zapiki.babyjub.poseidon import poseidon

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
WARNING = "development keys: single party, not a ceremony"
WAIT_MS = 30_000


def expect(locator):
    """Playwright's web-first assertions (imported here: the browser fixture skips, or in CI fails, these tests
    without Playwright)."""
    from playwright.sync_api import expect as _expect

    return _expect(locator)


def _templates_tab(served, dashboard, who="alice"):
    tab = dashboard().open().sign_in(served.keys[who])
    tab.tab("Templates")
    tab.button("Hash preimage").wait_for()
    return tab


def _field(tab, name):
    """The text input or text area of the form's field `name`."""
    return tab.page.locator(f".zapiki-input-{name}:visible").locator("input, textarea").first


def _choose(tab, title, template_id):
    """Pick a template in the menu; wait until the page shows it."""
    tab.button(title).click()
    tab.page.locator("code:visible", has_text=re.compile(f"^{template_id}$")).first.wait_for()


def _fill(tab, name, value):
    field = _field(tab, name)
    field.fill(value)
    field.press("Tab")  # the widget sends its value on change (blur)
    time.sleep(0.3)


def _jobs(served, who="alice"):
    with served.api(who) as api:
        return api.get("/api/v1/jobs", params={"limit": 100}).json()["jobs"]


def _started(tab):
    """The id of the proof the Prove button just started (the result shows it at once)."""
    tab.page.locator("h4:visible", has_text="Proof ·").first.wait_for()
    return re.search(rf"proof id\s+({UUID})", tab.text()).group(1)


def _show_result(tab):
    """Scroll the result into view (the tab's main area scrolls, not the page) for a screenshot."""
    tab.page.locator("h4:visible", has_text="Proof ·").first.scroll_into_view_if_needed()


def _progress(tab, status, timeout_s=300):
    """The result's heading once it shows `status`."""
    heading = tab.page.locator("h4:visible", has_text=re.compile(f"Proof · {status}"))
    heading.first.wait_for(timeout=timeout_s * 1000)
    return heading.first.inner_text()


def test_prove_the_hash_preimage_example_and_read_its_named_signal(served, dashboard, tmp_path):
    tab = _templates_tab(served, dashboard)
    for category in ("identity", "finance", "membership", "cryptography"):  # the menu, grouped by category
        assert category in tab.text()
    _choose(tab, "Hash preimage", "hash_preimage")
    assert WARNING in tab.alert(WARNING)  # the keys are a development setup: the page says so
    docs = tab.page.locator("code:visible", has_text="Poseidon(preimage) = hash")  # in its documentation
    expect(docs).to_be_visible(timeout=WAIT_MS)
    preimage = _field(tab, "preimage")
    expect(preimage).to_have_value("123456789", timeout=WAIT_MS)  # pre-filled with the example
    _fill(tab, "preimage", "")
    tab.button("Use example").click()
    expect(preimage).to_have_value("123456789", timeout=WAIT_MS)
    tab.screenshot("templates-form", tmp_path, full_page=True)

    tab.button("Prove").click()
    proof_id = _started(tab)
    heading = _progress(tab, "completed")
    assert "proved in" in heading
    signals = tab.page.locator("table.signals:visible")
    signals.wait_for()
    expected = str(poseidon([123456789]))
    row = signals.locator("tr", has_text="hash")
    assert expected in row.inner_text() and "Poseidon(preimage)" in row.inner_text()
    with served.api("alice") as api:
        proof = api.get(f"/api/v1/proofs/{proof_id}").json()
    assert proof["status"] == "completed" and proof["named_signals"] == {"hash": expected}
    assert proof["template"]["id"] == "hash_preimage" and proof["template"]["development_keys"] is True
    _show_result(tab)
    tab.screenshot("templates-proved", tmp_path)

    tab.button("Open the job's page").click()  # the job's own page: downloads, verify
    job = next(j["id"] for j in _jobs(served) if j["proof_id"] == proof_id)
    tab.page.locator("h3", has_text=f"Job {job}").wait_for()


def test_a_value_out_of_range_fails_the_job_as_a_false_statement(served, dashboard, tmp_path):
    tab = _templates_tab(served, dashboard)
    _choose(tab, "Committed value in a range", "range")
    expect(_field(tab, "value")).to_have_value("42", timeout=WAIT_MS)
    _fill(tab, "value", "500")  # the example's bounds are [18, 120]
    tab.button("Prove").click()
    proof_id = _started(tab)
    _progress(tab, "failed")
    failure = tab.alert("false statement")
    assert "The proof failed" in failure and "false statement" in failure, failure
    with served.api("alice") as api:
        proof = api.get(f"/api/v1/proofs/{proof_id}").json()
    assert proof["status"] == "failed" and proof["error_message"] in failure
    assert tab.page.locator("table.signals:visible").count() == 0
    _show_result(tab)
    tab.screenshot("templates-false-statement", tmp_path)


def test_inputs_that_do_not_fit_the_schema_are_refused_naming_the_field(served, dashboard, tmp_path):
    tab = _templates_tab(served, dashboard)
    before = len(_jobs(served))
    _choose(tab, "Committed value in a range", "range")
    _fill(tab, "value", "abc")
    tab.button("Prove").click()
    refused = tab.alert("inputs.value")
    with served.api("alice") as api:  # the API's own 422 for the same inputs
        body = {"inputs": {"value": "abc", "salt": "1234567890123456789", "min": 18, "max": 120}}
        api_says = api.post("/api/v1/templates/range/generate", json=body)
    assert api_says.status_code == 422
    assert api_says.json()["error"]["message"] in refused
    assert "inputs.value must be an integer" in refused and "Traceback" not in tab.text()
    tab.screenshot("templates-schema-error", tmp_path, full_page=True)

    _choose(tab, "Member of a set", "set_membership")  # a JSON field that is not JSON: named too
    _fill(tab, "set", "[1, 2,")
    tab.button("Prove").click()
    assert "inputs.set is not valid JSON" in tab.alert("inputs.set")
    assert len(_jobs(served)) == before  # no job was made


def test_a_credential_is_a_json_area_a_comparison_a_select_and_the_inputs_show_as_json(served, dashboard, tmp_path):
    tab = _templates_tab(served, dashboard)
    _choose(tab, "Signed attribute compared with a threshold", "signed_attribute")
    credential = tab.page.locator(".zapiki-input-credential:visible textarea")
    example = re.compile('"signature"')  # the example's issuer-signed credential
    expect(credential).to_have_value(example, timeout=WAIT_MS)
    comparison = tab.page.locator(".zapiki-input-comparison:visible select")
    expect(comparison.locator("option")).to_have_text([">=", "<=", "=="], timeout=WAIT_MS)
    comparison.select_option("<=")
    tab.page.get_by_text("The inputs as JSON (for the API)").click()
    shown = tab.page.locator("pre:visible", has_text='"comparison"')
    expect(shown).to_contain_text('"comparison": "<="', timeout=WAIT_MS)  # once the choice reached the server
    expect(shown).to_contain_text('"threshold": 50000', timeout=WAIT_MS)
    tab.screenshot("templates-credential", tmp_path)
