"""Submit a job of any registered proof system: `commitment` (data and its type), a circuit system (`groth16`,
`plonk`: a circuit of that system this key may use, or one uploaded here, with the input form pre-filled with the
circuit's input signals), any other system (its input as JSON); priority and timeout. The new job shows at once in
the jobs table."""

from __future__ import annotations

import json
from collections.abc import Hashable
from typing import Any

import panel as pn

from zapiki.config import PRIORITIES
from zapiki.dashboard.base import View
from zapiki.dashboard.circuits import CircuitUpload, circuit_systems
from zapiki.errors import InputError

__all__ = ["SubmitView", "input_template"]

DATA_TYPES = ("string", "json", "bytes")


def input_template(shapes: dict[str, list[int]]) -> str:
    """A circuit's input form for signals of these shapes, zero-filled.

    >>> input_template({"a": [], "in": [2]})
    '{\\n  "a": "0",\\n  "in": ["0", "0"]\\n}'
    """

    def zeros(shape: list[int]) -> Any:  # noqa: ANN401
        return "0" if not shape else [zeros(shape[1:]) for _ in range(shape[0])]

    lines = [f"  {json.dumps(name)}: {json.dumps(zeros(shape))}" for name, shape in shapes.items()]
    return "{\n" + ",\n".join(lines) + "\n}" if lines else "{}"


class SubmitView(View):
    """The submit form."""

    title = "Submit"

    def build(self) -> pn.viewable.Viewable:
        service = self.ctx.actions.service
        names = [s["name"] for s in service.systems()]
        self.system = pn.widgets.Select(name="Proof system", options=names, value=names[0] if names else None)
        self.circuit_systems = circuit_systems(service)  # the systems the circuit form serves
        # commitment
        self.data = pn.widgets.TextAreaInput(name="Data", placeholder="hello", height=100, width=520)
        self.data_type = pn.widgets.RadioButtonGroup(name="Type", options=list(DATA_TYPES), value="string")
        self.commitment = pn.Column(self.data, pn.Row(pn.pane.Markdown("Data type:"), self.data_type))
        # a circuit system (groth16, plonk): a circuit of the chosen system, its input signals
        self._circuits: dict[str, dict[str, Any]] = {}
        self._all_circuits: list[dict[str, Any]] = []
        self.circuit = pn.widgets.Select(name="Circuit", options={}, width=420)
        self.circuit.param.watch(self._circuit_picked, "value")
        self.inputs = pn.widgets.TextAreaInput(name="Input signals (JSON)", height=160, width=520)
        self.upload = CircuitUpload(self.ctx, self._uploaded)
        self.circuit_form = pn.Column(
            self.circuit, self.inputs, pn.Accordion(("Upload a circuit from this page", self.upload), active=[])
        )
        # any other system
        self.generic = pn.widgets.TextAreaInput(name="Input (JSON)", placeholder='{"sleep_s": 1}', height=100)
        self.priority = pn.widgets.Select(name="Priority", options=list(PRIORITIES), value="normal", width=120)
        self.timeout = pn.widgets.FloatInput(
            name="Timeout (s)", value=float(service.settings.default_timeout_s), start=0.001, width=120
        )
        self.button = pn.widgets.Button(name="Submit job", button_type="primary", width=150)
        self.button.on_click(self._submit)
        self.open = pn.widgets.Button(name="Open the new job", width=170, visible=False)
        self.open.on_click(lambda _: self.ctx.open_job(self.last_job) if self.last_job else None)
        self.last_job: str | None = None
        self.forms = pn.Column(self.commitment, self.circuit_form, self.generic)
        self.system.param.watch(lambda _: self._show_form(), "value")
        self._show_form()
        return pn.Column(
            self.system,
            self.forms,
            pn.Row(self.priority, self.timeout, self.button, self.open),
            self.alert,
            sizing_mode="stretch_width",
        )

    def _show_form(self) -> None:
        system = self.system.value
        is_circuit = system in self.circuit_systems
        self.commitment.visible = system == "commitment"
        self.circuit_form.visible = is_circuit
        self.generic.visible = system != "commitment" and not is_circuit
        if is_circuit:
            if self.upload.system.value != system:  # an upload from here is of the chosen system, unless changed
                self.upload.system.value = system
            self._list_circuits()

    def state(self) -> Hashable:
        return self.ctx.source.version

    def update(self) -> None:
        self._all_circuits = self.ctx.source.circuits(self.ctx.scope)
        self._list_circuits()

    def _list_circuits(self) -> None:
        """The circuit picker: the circuits of the chosen system only."""
        circuits = [c for c in self._all_circuits if c["proof_system"] == self.system.value]
        self._circuits = {c["id"]: c for c in circuits}
        options = {
            f"{c['name']} · {c['id'][:8]}" + ("" if c["status"] == "ready" else f" ({c['status']})"): c["id"]
            for c in circuits
        }
        if options != self.circuit.options:
            keep = self.circuit.value
            self.circuit.options = options
            if keep in options.values():
                self.circuit.value = keep
            else:  # never another system's circuit (nor a deleted one): the first of the list, as the page shows it
                self.circuit.value = next(iter(options.values()), None)

    def _circuit_picked(self, event: Any) -> None:  # noqa: ANN401
        circuit = self._circuits.get(event.new)
        if circuit is not None:
            self.inputs.value = input_template(self.ctx.source.input_names(self.ctx.scope, circuit))

    def _uploaded(self, circuit: dict[str, Any], example: dict | None) -> None:
        if circuit.get("proof_system") in self.circuit_systems and circuit["proof_system"] != self.system.value:
            self.system.value = circuit["proof_system"]  # the form of the system the new circuit is for
        self.refresh(force=True)
        self.circuit.value = circuit["id"]
        if example:  # the example the user just chose is theirs: offer its values
            self.inputs.value = json.dumps(example, indent=2)

    def _data(self) -> tuple[Any, dict[str, Any]]:  # noqa: ANN401
        """(data, extra submit arguments) from the form of the chosen system."""
        system = self.system.value
        if system == "commitment":
            kind = self.data_type.value
            return (_json(self.data.value, "data") if kind == "json" else self.data.value), {"data_type": kind}
        if system in self.circuit_systems:
            if not self.circuit.value:
                raise InputError("pick a circuit (or upload one)")
            return _json(self.inputs.value, "the input"), {"circuit_id": self.circuit.value}
        return _json(self.generic.value, "the input"), {}

    def _submit(self, _: object) -> None:
        def go() -> dict[str, Any]:
            data, extra = self._data()
            timeout = self.timeout.value
            return self.ctx.actions.submit(
                self.system.value, data, priority=self.priority.value, timeout_s=timeout, **extra
            )

        out = self.act(go, lambda out: f"Submitted job {out['job_id']} ({out['status']}).")
        if out is not None:
            self.last_job = out["job_id"]
            self.open.visible = True


def _json(text: str, what: str) -> Any:  # noqa: ANN401
    try:
        return json.loads(text or "")
    except ValueError as exc:
        raise InputError(f"{what} is not valid JSON: {exc}") from None
