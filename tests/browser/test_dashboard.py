"""The dashboard, as an operator and a prover use it, in Chromium against a real `zapiki serve`.

The tests of this module share one server and run in order: jobs made by one are used by the next ones."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groth16" / "multiplier"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def test_without_a_key_the_page_shows_the_sign_in_form_and_no_data(served, dashboard, tmp_path):
    served.jobs["alice"] = served.submit("alice", "commitment", "alice's secret", **{"async": True})
    tab = dashboard().open()
    tab.screenshot("signin", tmp_path)
    assert tab.page.locator(".tabulator").count() == 0
    assert served.jobs["alice"] not in tab.text()
    tab.page.locator("input[type=password]").fill("zk_not-a-key")
    tab.button("Sign in").click()
    assert "invalid or revoked API key" in tab.alert("invalid")
    assert tab.page.locator(".tabulator").count() == 0 and tab.page.locator(".bk-tab").count() == 0


def test_signing_in_keeps_the_key_in_the_tab_only_and_signing_out_forgets_it(served, dashboard):
    tab = dashboard().open().sign_in(served.keys["bob"])
    assert "bob@example.com" in tab.text()
    assert served.keys["bob"] not in tab.page.url
    assert tab.page.evaluate("sessionStorage.getItem('zapiki-api-key')") == served.keys["bob"]
    assert not tab.context.cookies()
    tab.page.reload()  # the tab remembers it: still signed in
    tab.page.locator(".bk-tab", has_text="Jobs").wait_for()
    tab.button("Sign out").click()
    tab.button("Sign in").wait_for()
    assert tab.page.evaluate("sessionStorage.getItem('zapiki-api-key')") is None
    assert tab.page.locator(".bk-tab").count() == 0


def test_submit_a_commitment_and_a_groth16_job_with_a_circuit_uploaded_from_the_page(served, dashboard, tmp_path):
    tab = dashboard().open().sign_in(served.keys["alice"])
    tab.tab("Submit")
    tab.page.locator("textarea:visible").first.fill("hello from the page")
    tab.button("Submit job").click()
    commitment = re.search(UUID, tab.alert("Submitted job")).group(0)

    tab.page.locator("select:visible").first.select_option("groth16")
    tab.page.locator(".accordion-header:visible, .card-header:visible", has_text="Upload a circuit").first.click()
    tab.page.locator("input[placeholder=multiplier]:visible").fill("multiplier")
    for ext, name in (
        ("wasm", "circuit.wasm"),
        ("zkey", "circuit.zkey"),
        ("r1cs", "circuit.r1cs"),
        ("json", "input.json"),
    ):
        tab.page.locator(f"input[type=file][accept='.{ext}']:visible").set_input_files(str(FIXTURES / name))
    time.sleep(1)  # the files travel over the websocket
    tab.button("Upload circuit").click()
    assert "ready" in tab.alert(re.compile("Circuit .* ready"))
    inputs = tab.page.locator("textarea:visible").first
    assert json.loads(inputs.input_value()) == {"a": 3, "b": 11}  # the example chosen with the files
    tab.screenshot("submit", tmp_path)
    tab.button("Submit job").click()
    tab.page.locator(".alert:visible", has_text="Submitted job").filter(has_not_text=commitment).first.wait_for()
    groth16 = re.search(UUID, tab.alert("Submitted job")).group(0)
    assert groth16 != commitment

    tab.tab("Jobs")
    for job in (commitment, groth16):  # both show at once (the groth16 job still waits for its prover)
        tab.row(job).first.wait_for(timeout=3_000)
    tab.wait_for_status(commitment, "completed")
    tab.wait_for_status(groth16, "completed", timeout_s=240)
    assert served.job("alice", groth16)["status"] == "completed"
    served.jobs.update(commitment=commitment, groth16=groth16)
    tab.screenshot("jobs", tmp_path)


def test_the_groth16_jobs_page_downloads_a_proof_snarkjs_accepts(served, dashboard, snarkjs, tmp_path):
    tab = dashboard().open().sign_in(served.keys["alice"])
    job = served.jobs.get("groth16") or pytest.fail("the submit test did not make a groth16 job")
    tab.row(job).click()  # a click on the row opens the job's page
    tab.page.locator("h3", has_text=f"Job {job}").wait_for()
    assert "completed" in tab.page.locator("h3", has_text=f"Job {job}").inner_text()
    files = {}
    for name in ("proof.json", "public.json"):
        with tab.page.expect_download() as download:
            tab.button(f"Download {name}").click()
        files[name] = tmp_path / name
        download.value.save_as(files[name])
    proof = json.loads(files["proof.json"].read_text())
    assert proof["protocol"] == "groth16" and json.loads(files["public.json"].read_text()) == ["33"]
    verified = snarkjs(
        "groth16", "verify", FIXTURES / "verification_key.json", files["public.json"], files["proof.json"]
    )
    assert verified.returncode == 0 and "OK" in verified.stdout, verified.stdout + verified.stderr
    tab.button("Verify now").click()
    assert "The proof verifies." in tab.alert("verifies")
    attempts = tab.page.locator(".tabulator:visible", has_text="finished (UTC)").locator(".tabulator-row")
    assert attempts.count() == 1  # every attempt, with its worker and outcome
    assert "tls://127.0.0.1:" in attempts.inner_text() and "completed" in attempts.inner_text()
    tab.screenshot("job", tmp_path, full_page=True)


def test_a_user_key_sees_only_its_own_jobs_and_an_admin_key_sees_everyones(served, dashboard):
    alices = served.jobs["alice"]
    bob = dashboard().open().sign_in(served.keys["bob"])
    bob.tab("Jobs")
    time.sleep(2)  # two refreshes
    assert bob.row(alices).count() == 0 and alices not in bob.text()
    bob.tab("Job")
    bob.page.locator("input[placeholder='a job id']").fill(alices)
    bob.page.locator("input[placeholder='a job id']").press("Enter")
    bob.page.get_by_text(f"job {alices} not found").wait_for()  # the API's 404 message

    admin = dashboard().open().sign_in(served.keys["admin"])
    admin.wait_for_status(alices, "completed")
    assert "alice@example.com" in admin.row(alices).inner_text()


def test_the_pages_actions_count_against_the_same_rate_limit_as_the_api(served, dashboard):
    tab = dashboard().open().sign_in(served.keys["carol"])  # a free key: 10 requests a minute; signing in is one
    with served.api("carol") as api:
        assert all(api.get("/api/v1/jobs").status_code == 200 for _ in range(9))
        assert api.get("/api/v1/jobs").status_code == 429
    tab.tab("Submit")
    tab.page.locator("textarea:visible").first.fill("one too many")
    tab.button("Submit job").click()
    assert "rate limit of 10 requests per minute exceeded" in tab.alert("rate limit")


def test_cancel_a_pending_job_from_its_page(served, dashboard, tmp_path):
    # One worker thread plus the in-flight buffer of one: two sleeping jobs fill the cluster.
    sleepers = [served.submit("admin", "diagnostic", {"sleep_s": 25}) for _ in range(2)]
    deadline = time.monotonic() + 60
    while any(served.job("admin", j)["status"] != "processing" for j in sleepers):
        assert time.monotonic() < deadline, "the sleeping jobs did not start"
        time.sleep(0.2)
    waiting = served.submit("alice", "diagnostic", {"sleep_s": 1})
    time.sleep(1)
    assert served.job("alice", waiting)["status"] == "pending"

    tab = dashboard().open().sign_in(served.keys["alice"])
    tab.wait_for_status(waiting, "pending")
    tab.row(waiting).click()
    tab.button("Cancel job").click()
    assert "Job cancelled." in tab.alert("cancelled")
    tab.page.locator("h3", has_text="cancelled").wait_for()
    assert served.job("alice", waiting)["status"] == "cancelled"
    tab.tab("Jobs")
    tab.wait_for_status(waiting, "cancelled", timeout_s=10)


def test_the_cluster_metrics_and_circuits_views_show_without_loading_anything_from_outside(served, dashboard, tmp_path):
    if "groth16" not in served.jobs:  # run alone: the circuit the submit test uploads from the page
        with served.api("alice") as api:
            files = {k: (f"circuit.{k}", (FIXTURES / f"circuit.{k}").read_bytes()) for k in ("wasm", "zkey")}
            assert api.post("/api/v1/circuits", data={"name": "multiplier"}, files=files).status_code == 201
    tab = dashboard().open().sign_in(served.keys["admin"])
    tab.tab("Cluster")
    tab.page.locator(".tabulator-row:visible", has_text="tls://").first.wait_for()  # the worker, and its job
    frame = tab.page.frame_locator("iframe[title='Dask task stream']")
    frame.locator("canvas").first.wait_for()  # Dask's own Bokeh task stream, embedded
    tab.page.get_by_role("link", name="Full Dask dashboard").wait_for()
    tab.screenshot("cluster", tmp_path)
    tab.tab("Metrics")
    tab.page.get_by_text("Success rate").first.wait_for()
    tab.screenshot("metrics", tmp_path)
    tab.tab("Circuits")
    tab.page.locator(".tabulator-row:visible", has_text="multiplier").filter(has_text="ready").first.wait_for()
    tab.screenshot("circuits", tmp_path)
    assert not tab.outside_hosts()
    assert any(":" in r and r.startswith(f"{served.url}/") for r in tab.requests)
