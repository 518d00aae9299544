"""PLONK in the dashboard, in Chromium against a real `zapiki serve`: a circuit uploaded from the Submit tab with a
PLONK key `snarkjs plonk setup` made, the circuit form of the plonk system (its picker lists plonk circuits only),
a proof of a*b = 33 that completes, downloads, verifies on the job's page and with `snarkjs plonk verify`, and the
Circuits tab showing each circuit's proof system."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "groth16" / "multiplier"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def plonk_zkey(snarkjs, tmp_path_factory) -> Path:
    """The multiplier's PLONK key, as `snarkjs plonk setup` makes it from a development powers of tau."""
    from zapiki.systems.groth16 import dev_ptau

    folder = tmp_path_factory.mktemp("plonk-key")
    (folder / "pot4.ptau").write_bytes(dev_ptau(4))
    done = snarkjs("plonk", "setup", FIXTURES / "circuit.r1cs", folder / "pot4.ptau", folder / "circuit.zkey")
    assert done.returncode == 0, done.stdout + done.stderr
    return folder / "circuit.zkey"


def _select(tab, label: str, nth: int = 0):
    """The `nth` visible select labelled `label`."""
    labelled = tab.page.locator("label", has_text=re.compile(f"^{re.escape(label)}$"))
    return tab.page.locator(".bk-input-group:visible", has=labelled).locator("select").nth(nth)


def _options(select) -> list[str]:
    return select.evaluate("s => [...s.options].map(o => o.textContent)")


def _wait_for_options(select, expected, timeout_s: float = 10) -> list[str]:
    """The select's options once they are `expected(options)` (the page updates them over its websocket)."""
    deadline = time.monotonic() + timeout_s
    while not expected(options := _options(select)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return options


@pytest.mark.timeout(600)
def test_a_plonk_circuit_uploaded_from_the_page_proves_and_its_proof_verifies(
    served, dashboard, snarkjs, plonk_zkey, tmp_path
):
    with served.api("alice") as api:  # a groth16 circuit of alice's: never offered in the plonk form
        files = {k: (f"circuit.{k}", (FIXTURES / f"circuit.{k}").read_bytes()) for k in ("wasm", "zkey")}
        assert api.post("/api/v1/circuits", data={"name": "mult-groth16"}, files=files).status_code == 201

    tab = dashboard().open().sign_in(served.keys["alice"])
    tab.tab("Submit")
    _select(tab, "Proof system").select_option("groth16")
    circuits = _select(tab, "Circuit")
    groth16 = _wait_for_options(circuits, lambda options: options != [])
    assert len(groth16) == 1 and groth16[0].startswith("mult-groth16 · ")
    _select(tab, "Proof system").select_option("plonk")
    assert _wait_for_options(circuits, lambda options: options == []) == []  # no plonk circuit yet

    tab.page.locator(".accordion-header:visible, .card-header:visible", has_text="Upload a circuit").first.click()
    upload_system = _select(tab, "Proof system", 1)  # the upload form's own, set to the chosen system
    upload_system.wait_for()
    assert upload_system.input_value() == "plonk"
    upload_system.select_option("plonk")
    assert "PLONK" in tab.text() and "snarkjs plonk setup" in tab.text()
    tab.page.locator("input[placeholder=multiplier]:visible").fill("multiplier-plonk")
    tab.page.locator("input[type=file][accept='.wasm']:visible").set_input_files(str(FIXTURES / "circuit.wasm"))
    tab.page.locator("input[type=file][accept='.zkey']:visible").set_input_files(str(plonk_zkey))
    time.sleep(1)  # the files travel over the websocket
    tab.button("Upload circuit").click()
    uploaded = tab.alert(re.compile("Circuit .* ready"))
    assert "multiplier-plonk" in uploaded and "(plonk)" in uploaded
    circuit_id = re.search(UUID, uploaded).group(0)
    picked = [f"multiplier-plonk · {circuit_id[:8]}"]
    assert _wait_for_options(circuits, lambda options: options == picked) == picked  # plonk circuits only
    inputs = tab.page.locator("textarea:visible").first
    inputs.fill(json.dumps({"a": 3, "b": 11}))
    tab.screenshot("plonk-submit", tmp_path)
    tab.button("Submit job").click()
    job = re.search(UUID, tab.alert("Submitted job")).group(0)
    assert served.job("alice", job)["proof_system"] == "plonk"

    tab.tab("Jobs")
    tab.row(job).first.wait_for(timeout=5_000)
    tab.wait_for_status(job, "completed", timeout_s=300)
    tab.screenshot("plonk-jobs", tmp_path)
    tab.row(job).click()  # the job's page
    heading = tab.page.locator("h3", has_text=f"Job {job}")
    heading.wait_for()
    assert "completed" in heading.inner_text()
    facts = tab.page.locator("table.facts")
    assert "plonk" in facts.inner_text() and "multiplier-plonk" in facts.inner_text()
    files = {}
    for name in ("proof.json", "public.json", "verification_key.json"):
        with tab.page.expect_download() as download:
            tab.button(f"Download {name}").click()
        files[name] = tmp_path / name
        download.value.save_as(files[name])
    assert json.loads(files["proof.json"].read_text())["protocol"] == "plonk"
    assert json.loads(files["verification_key.json"].read_text())["protocol"] == "plonk"
    assert json.loads(files["public.json"].read_text()) == ["33"]
    verified = snarkjs("plonk", "verify", files["verification_key.json"], files["public.json"], files["proof.json"])
    assert verified.returncode == 0 and "OK" in verified.stdout, verified.stdout + verified.stderr
    tab.button("Verify now").click()
    assert "The proof verifies." in tab.alert("verifies")
    signal = tab.page.locator(".json-formatter-string:visible", has_text=re.compile('^"33"$'))  # public signals
    signal.first.wait_for()
    tab.screenshot("plonk-job", tmp_path, full_page=True)

    tab.tab("Circuits")
    row = tab.page.locator(".tabulator-row:visible", has_text="multiplier-plonk").first
    row.wait_for()
    assert row.locator(".tabulator-cell[tabulator-field=system]").inner_text() == "plonk"
    other = tab.page.locator(".tabulator-row:visible", has_text="mult-groth16").first
    assert other.locator(".tabulator-cell[tabulator-field=system]").inner_text() == "groth16"
    assert _select(tab, "Proof system").input_value() == "groth16"  # the upload form here: groth16 unless chosen
    _select(tab, "Proof system").select_option("plonk")
    tab.page.get_by_text("no powers of tau").first.wait_for()  # this server has none: a PLONK .zkey is needed
    tab.screenshot("plonk-circuits", tmp_path)
