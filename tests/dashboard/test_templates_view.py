"""The Templates tab's logic without a browser: a widget per top-level property of each template's schema, the
example round-trips through the widgets into inputs the service accepts, bad widgets are refused naming the
field, and the view (as a notebook builds it) starts template proofs through the key's gate and shows the job."""

from __future__ import annotations

import json

import pytest

from zapiki import templates
from zapiki.access import Gate
from zapiki.dashboard import views
from zapiki.dashboard.actions import Actions, message
from zapiki.dashboard.templates import (
    DEVELOPMENT_WARNING,
    FormField,
    collect_inputs,
    form_fields,
    keys_notice,
    prove,
    signal_rows,
    widget_values,
)
from zapiki.errors import InputError
from zapiki.service import ZapikiService


@pytest.fixture
def svc(sqlite_url):
    service = ZapikiService.open(sqlite_url, dispatch=False)  # no cluster: jobs stay pending
    yield service
    service.close()


def _same(a, b):
    """Equal as inputs: a decimal string and the integer it spells are the same input."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return str(a) == str(b)


@pytest.mark.parametrize("template_id", [t.id for t in templates.all_templates()])
def test_each_templates_example_round_trips_through_its_form_into_inputs_the_template_accepts(svc, template_id):
    t = svc.template(template_id)
    schema = t["input_schema"]
    fields = form_fields(schema)
    assert [f.name for f in fields] == list(schema["properties"])
    assert {f.name for f in fields if f.required} == set(schema.get("required", []))
    for f in fields:
        assert f.label == (f"{f.name} *" if f.required else f.name)
    values = widget_values(fields, t["example"])
    assert all(isinstance(v, str) for v in values.values())  # every widget shows text (or a select's choice)
    inputs = collect_inputs(fields, values)
    assert _same(inputs, t["example"])
    json.dumps(inputs)  # what the API would be sent
    template = templates.get(template_id)
    assert template.circuit_inputs(template.validate(inputs))  # the schema takes it, and the statement holds


def test_the_widgets_kinds_follow_the_schema():
    kinds = {
        f.name: (f.kind, f.options) for f in form_fields(templates.get("signed_attribute").describe()["input_schema"])
    }
    assert kinds == {"credential": ("json", ()), "comparison": ("enum", (">=", "<=", "==")), "threshold": ("text", ())}
    membership = {f.name: f.kind for f in form_fields(templates.get("set_membership").describe()["input_schema"])}
    assert membership["set"] == membership["leaves"] == membership["path"] == "json"
    assert membership["value"] == membership["root"] == "text"
    flags = form_fields({"properties": {"on": {"type": "boolean"}, "n": {"type": "number"}}})
    assert [(f.kind, f.options) for f in flags] == [("enum", (True, False)), ("text", ())]
    assert collect_inputs(flags, {"on": False, "n": "2.5"}) == {"on": False, "n": 2.5}


def test_text_becomes_an_integer_where_the_schema_takes_one_and_stays_text_otherwise():
    either = FormField("v", "text", schema={"anyOf": [{"type": "integer", "maximum": 2**64 - 1}, {"type": "string"}]})
    only = FormField("n", "text", schema={"type": "integer", "minimum": 0, "maximum": 150})
    assert collect_inputs([either, only], {"v": "42", "n": "18"}) == {"v": 42, "n": 18}
    assert collect_inputs([either], {"v": str(2**60)}) == {"v": str(2**60)}  # past 2^53: a decimal string
    assert collect_inputs([either], {"v": "0x1f"}) == {"v": "0x1f"}
    assert collect_inputs([only], {"n": "abc"}) == {"n": "abc"}  # the service's schema check names it
    assert collect_inputs([only], {"n": "999"}) == {"n": "999"}
    assert collect_inputs([either, only], {"v": "  ", "n": ""}) == {}  # empty: left out


def test_a_json_field_that_is_not_json_is_refused_naming_it():
    fields = [FormField("set", "json", schema={"type": "array"})]
    with pytest.raises(InputError, match=r"^inputs.set is not valid JSON: .*\(line 1, column"):
        collect_inputs(fields, {"set": "[1, 2,"})


def test_signals_come_in_the_templates_order_with_their_meanings():
    t = {
        "public_signals": [{"name": "commitment", "meaning": "Poseidon(value, salt)"}, {"name": "min", "meaning": "lo"}]
    }
    rows = signal_rows(t, {"min": "18", "commitment": "123", "extra": 1})
    assert rows == [
        {"signal": "commitment", "value": "123", "meaning": "Poseidon(value, salt)"},
        {"signal": "min", "value": "18", "meaning": "lo"},
        {"signal": "extra", "value": "1", "meaning": ""},
    ]
    assert signal_rows(t, None) == []


def test_development_keys_are_a_warning_and_ceremony_keys_are_not():
    text, kind = keys_notice({"setup": "development (single party, not a ceremony)", "development": True})
    assert kind == "warning" and DEVELOPMENT_WARNING in text
    text, kind = keys_notice({"setup": "powers of tau x.ptau (2^12) + a phase-2 contribution", "development": False})
    assert kind == "success" and DEVELOPMENT_WARNING not in text and "x.ptau" in text


def test_the_view_proves_a_template_and_shows_the_schemas_message_for_a_bad_field(svc):
    view = views(svc, live=False)["templates"]
    grouped = [t.id for category in templates.CATEGORIES for t in templates.all_templates(category)]
    assert view.title == "Templates" and list(view.choices) == grouped  # the menu, by category
    view.choose("range")
    assert view.choices["range"].button_type == "primary"
    assert DEVELOPMENT_WARNING in view.keys.object and view.keys.alert_type == "warning"
    assert view.values()["value"] == "42" and view.docs.object.startswith("# Committed value in a range")
    view.widgets["value"].value = "abc"
    view.button.clicks += 1
    assert view.alert.visible and view.alert.alert_type == "danger"
    assert "inputs.value must be an integer" in view.alert.object and view.job_id == ""
    view.example.clicks += 1  # "Use example"
    assert view.values()["value"] == "42"
    view.button.clicks += 1
    assert view.job_id and not view.alert.visible
    job = svc.proofs.get_job(view.job_id)
    assert job["status"] == "pending" and view.proof_id == job["proof_id"]
    assert "pending" in view.progress.object and view.open.visible
    proof = svc.proofs.get_proof(view.proof_id)
    assert proof["template"]["id"] == "range"


def test_the_view_shows_a_completed_proofs_signals_and_a_failed_ones_reason(svc):
    view = views(svc, live=False)["templates"]
    view.choose("hash_preimage")
    job = {
        "id": "j",
        "proof_id": "p",
        "status": "completed",
        "error_message": None,
        "proof": {
            "generation_time_ms": 800,
            "error_message": None,
            "named_signals": {"hash": "7110"},
            "template": {
                "id": "hash_preimage",
                "setup": "development (single party, not a ceremony)",
                "development_keys": True,
            },
        },
    }
    view._show_result(job)
    assert "completed" in view.progress.object and DEVELOPMENT_WARNING in view.progress.object
    assert '<td class="value">7110</td>' in view.signals.object and "Poseidon(preimage)" in view.signals.object
    assert not view.outcome.visible
    failed = {**job, "status": "failed", "error_message": "false statement: the value is above the maximum 120"}
    view._show_result(failed)
    assert view.outcome.visible and "false statement: the value is above the maximum 120" in view.outcome.object
    assert view.signals.object == ""


def test_proving_from_the_page_counts_against_the_keys_rate_limit_and_tier(svc):
    _, raw = svc.keys.create_key("free@example.com", tier="free")  # 10 requests a minute, no high queue
    gate = Gate(svc)
    me = Actions(svc, gate, gate.authenticate(raw))
    example = svc.template("hash_preimage")["example"]
    high = pytest.raises(InputError, match="'high' needs a key of tier")
    with high:
        prove(me, "hash_preimage", example, priority="high")
    for _ in range(9):
        prove(me, "hash_preimage", example)
    with pytest.raises(Exception) as refused:
        prove(me, "hash_preimage", example)
    assert "rate limit of 10 requests per minute exceeded" in message(refused.value)
