"""The circuit forms without a browser: the Submit tab's circuit form serves every circuit system (groth16 and
plonk), its picker lists the chosen system's circuits only and its upload form registers a circuit of the system
chosen there; the Circuits tab shows each circuit's system; a PLONK job made from the form downloads and verifies
as a groth16 one does."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from zapiki.dashboard import views
from zapiki.dashboard.actions import Actions, message
from zapiki.dashboard.circuits import circuit_systems
from zapiki.errors import InputError
from zapiki.service import ZapikiService

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "groth16" / "multiplier"


@pytest.fixture(scope="module")
def plonk_zkey() -> bytes:
    """A PLONK key of the multiplier (as `snarkjs plonk setup` makes it) from a development powers of tau."""
    from zapiki.systems.groth16 import dev_ptau
    from zapiki.systems.plonk.setup import plonk_setup

    zkey, _ = plonk_setup((FIXTURE / "circuit.r1cs").read_bytes(), dev_ptau(4))
    return zkey


@pytest.fixture
def svc(sqlite_url):
    service = ZapikiService.open(sqlite_url, dispatch=False)  # no cluster: jobs stay pending
    yield service
    service.close()


def _files(view, **files: bytes) -> None:
    for kind, value in files.items():
        view.upload.files[kind].value = value


def _wasm() -> bytes:
    return (FIXTURE / "circuit.wasm").read_bytes()


def test_the_circuit_systems_are_groth16_then_plonk(svc):
    assert circuit_systems(svc) == ["groth16", "plonk"]


def test_upload_circuit_passes_the_proof_system_and_defaults_to_groth16(svc, plonk_zkey):
    me = Actions.for_user(svc)
    plonk = me.upload_circuit("mult-plonk", _wasm(), plonk_zkey, proof_system="plonk", example={"a": 3, "b": 11})
    assert plonk["proof_system"] == "plonk" and plonk["verification_key"]["protocol"] == "plonk"
    assert plonk["info"]["inputs"] == {"a": [], "b": []}
    groth16 = me.upload_circuit("mult", _wasm(), (FIXTURE / "circuit.zkey").read_bytes())
    assert groth16["proof_system"] == "groth16" and groth16["verification_key"]["protocol"] == "groth16"
    with pytest.raises(InputError, match="is not plonk"):  # a Groth16 key offered as a PLONK one
        me.upload_circuit("wrong", _wasm(), (FIXTURE / "circuit.zkey").read_bytes(), proof_system="plonk")


def test_the_submit_forms_picker_lists_the_chosen_systems_circuits_only(svc, plonk_zkey):
    me = Actions.for_user(svc)
    g = me.upload_circuit("mult-g16", _wasm(), (FIXTURE / "circuit.zkey").read_bytes(), example={"a": 1, "b": 2})
    p = me.upload_circuit("mult-plonk", _wasm(), plonk_zkey, proof_system="plonk", example={"a": 3, "b": 11})
    view = views(svc, live=False)["submit"]
    view.system.value = "groth16"
    assert view.circuit_form.visible and not view.generic.visible and not view.commitment.visible
    assert list(view.circuit.options.values()) == [g["id"]] and view.circuit.value == g["id"]
    assert view.upload.system.value == "groth16"
    view.system.value = "plonk"
    assert view.circuit_form.visible and not view.generic.visible
    assert list(view.circuit.options.values()) == [p["id"]] and view.circuit.value == p["id"]
    assert json.loads(view.inputs.value) == {"a": "0", "b": "0"}  # the plonk circuit's input signals
    assert view.upload.system.value == "plonk"  # an upload from here is a plonk circuit unless changed
    assert "PLONK `.zkey`" in view.upload.help.object
    view.system.value = "commitment"
    assert not view.circuit_form.visible and view.commitment.visible


def test_a_plonk_circuit_uploaded_from_the_submit_form_is_picked_and_proved_as_plonk(svc, plonk_zkey):
    view = views(svc, live=False)["submit"]
    view.system.value = "groth16"
    view.upload.system.value = "plonk"  # chosen in the upload form: the form follows the new circuit's system
    view.upload.name_input.value = "multiplier"
    _files(view, wasm=_wasm(), zkey=plonk_zkey, **{"input.json": json.dumps({"a": 3, "b": 11}).encode()})
    view.upload._upload(None)
    assert view.upload.alert.alert_type == "success", view.upload.alert.object
    assert "(plonk)" in view.upload.alert.object and "ready" in view.upload.alert.object
    (circuit,) = svc.circuits.list(None, 10, 0)
    assert circuit["proof_system"] == "plonk"
    assert view.system.value == "plonk" and view.circuit.value == circuit["id"]
    assert json.loads(view.inputs.value) == {"a": 3, "b": 11}
    view._submit(None)
    assert view.alert.alert_type == "success", view.alert.object
    job = svc.proofs.get_job(view.last_job, None)
    proof = svc.proofs.get_proof(job["proof_id"], None)
    assert job["proof_system"] == "plonk" and proof["circuit_id"] == circuit["id"]


def test_the_groth16_upload_is_as_before(svc):
    view = views(svc, live=False)["submit"]
    view.system.value = "groth16"
    view.upload.name_input.value = "multiplier"
    _files(view, wasm=_wasm(), zkey=(FIXTURE / "circuit.zkey").read_bytes())
    view.upload._upload(None)
    assert view.upload.alert.alert_type == "success", view.upload.alert.object
    assert "(plonk)" not in view.upload.alert.object and "ready" in view.upload.alert.object
    (circuit,) = svc.circuits.list(None, 10, 0)
    assert circuit["proof_system"] == "groth16" and view.circuit.value == circuit["id"]
    assert "development" in view.upload.help.object


def test_a_plonk_r1cs_alone_without_powers_of_tau_is_refused_naming_plonk_ptau(svc):
    view = views(svc, live=False)["circuits"]
    view.upload.system.value = "plonk"
    assert "no powers of tau" in view.upload.help.object
    view.upload.name_input.value = "multiplier"
    _files(view, wasm=_wasm(), r1cs=(FIXTURE / "circuit.r1cs").read_bytes())
    view.upload._upload(None)
    assert view.upload.alert.alert_type == "danger" and "plonk.ptau" in view.upload.alert.object
    assert svc.circuits.list(None, 10, 0) == []


def test_the_circuits_table_shows_each_circuits_system(svc, plonk_zkey):
    me = Actions.for_user(svc)
    me.upload_circuit("mult-g16", _wasm(), (FIXTURE / "circuit.zkey").read_bytes())
    me.upload_circuit("mult-plonk", _wasm(), plonk_zkey, proof_system="plonk")
    view = views(svc, live=False)["circuits"]
    view.refresh(force=True)
    rows = view.table.value
    assert "system" in rows.columns
    assert dict(zip(rows["name"], rows["system"], strict=True)) == {"mult-g16": "groth16", "mult-plonk": "plonk"}
    assert view.upload.system.options == ["groth16", "plonk"] and view.upload.system.value == "groth16"


@pytest.mark.timeout(600)
def test_a_plonk_jobs_files_download_and_its_proof_verifies(make_service, sqlite_url, plonk_zkey):
    service = make_service(sqlite_url)
    me = Actions.for_user(service)
    circuit = me.upload_circuit("mult-plonk", _wasm(), plonk_zkey, proof_system="plonk")
    job = me.submit("plonk", {"a": 3, "b": 11}, circuit_id=circuit["id"])
    deadline = time.monotonic() + 540
    while service.proofs.get_job(job["job_id"], None)["status"] not in ("completed", "failed"):
        assert time.monotonic() < deadline, "the plonk job did not finish"
        time.sleep(0.2)
    assert service.proofs.get_job(job["job_id"], None)["status"] == "completed"
    proof = json.loads(me.proof_file(job["job_id"], "proof.json"))
    assert proof["protocol"] == "plonk"
    assert json.loads(me.proof_file(job["job_id"], "public.json")) == ["33"]
    assert json.loads(me.proof_file(job["job_id"], "verification_key.json"))["protocol"] == "plonk"
    assert me.verify(job["job_id"]) == (True, None)
    detail = views(service, live=False)["job"]
    detail.show(job["job_id"])
    assert detail.body.visible and not detail.verify.disabled
    assert json.loads(detail.public.object) == ["33"]
    detail.verify.clicks += 1  # the page's Verify now
    assert detail.alert.alert_type == "success" and "The proof verifies." in detail.alert.object


def test_messages_of_a_refused_plonk_upload_read_as_the_apis(svc):
    me = Actions.for_user(svc)
    with pytest.raises(InputError) as caught:
        me.upload_circuit("x", _wasm(), None, (FIXTURE / "circuit.r1cs").read_bytes(), proof_system="plonk")
    assert "plonk.ptau" in message(caught.value)
