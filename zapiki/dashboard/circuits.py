"""Circuits: those the key may use (its own and public ones; every one for an admin key) with their proof system,
their size and the state of a setup in progress; delete; and the upload form (also part of the submit view), for
every system that proves registered circuits (groth16, plonk)."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Hashable
from typing import Any

import pandas as pd
import panel as pn

from zapiki.dashboard.base import Context, View, status_style, table
from zapiki.errors import InputError

__all__ = ["CircuitUpload", "CircuitsView", "circuit_systems", "upload_help"]

COLUMNS = [
    "name",
    "id",
    "system",
    "status",
    "constraints",
    "public signals",
    "wires",
    "setup",
    "public",
    "created",
    "error",
]


def circuit_systems(service: Any) -> list[str]:  # noqa: ANN401
    """The proof systems of `service` that prove registered circuits (groth16 first, then as registered)."""
    names = [s["name"] for s in service.systems() if s["capabilities"].get("setup_required")]
    return sorted(names, key=lambda n: n != "groth16")


def upload_help(system: str, ptau: str | None) -> str:
    """What the upload form takes for `system`; `ptau`: the service's powers of tau for PLONK setups (or None).

    >>> print(upload_help("plonk", None).split(". ")[1])
    This service has no powers of tau (`plonk.ptau`): send a PLONK `.zkey`
    """
    if system == "plonk":
        made = (
            "`.wasm` + `.r1cs` alone are set up here from the service's powers of tau (a **universal** setup, "
            "no ceremony of the circuit's own)"
            if ptau
            else "This service has no powers of tau (`plonk.ptau`): send a PLONK `.zkey`"
        )
        return (
            "`.wasm` + a PLONK `.zkey` (`snarkjs plonk setup` or `zapiki plonk setup`; + `.r1cs` to name failing "
            f"constraints). {made}. An example `input.json` records the circuit's input signal names for the "
            "submit form."
        )
    return (
        "`.wasm` + `.zkey` (+ `.r1cs` to name failing constraints), or `.wasm` + `.r1cs` for a "
        "single-party **development** setup (not a ceremony). An example `input.json` records the "
        "circuit's input signal names for the submit form."
    )


class CircuitUpload(pn.viewable.Viewer):
    """A circom circuit from the page, for the proof system chosen in its "Proof system" select (`system`):
    `.wasm` and `.zkey` (a Groth16 or a PLONK key; optionally `.r1cs`), or `.wasm` and `.r1cs` for a setup in the
    background (groth16: a development setup; plonk: from the service's powers of tau); an example `input.json`
    records the input signals' names for the submit form.
    `on_uploaded(circuit, example)` is called after a successful upload. Files go over the page's websocket:
    up to about 15 MB each (larger circuits: POST /api/v1/circuits)."""

    def __init__(
        self,
        ctx: Context,
        on_uploaded: Callable[[dict[str, Any], dict | None], None],
        **params: Any,  # noqa: ANN401
    ) -> None:
        super().__init__(**params)
        self.ctx = ctx
        self.on_uploaded = on_uploaded
        self.name_input = pn.widgets.TextInput(name="Circuit name", placeholder="multiplier", width=220)
        names = circuit_systems(ctx.actions.service) or ["groth16"]
        self.system = pn.widgets.Select(name="Proof system", options=names, value=names[0], width=140)
        self.files = {
            kind: pn.widgets.FileInput(accept=f".{ext}", name=label, width=230)
            for kind, ext, label in (
                ("wasm", "wasm", ".wasm"),
                ("zkey", "zkey", ".zkey"),
                ("r1cs", "r1cs", ".r1cs (optional)"),
                ("input.json", "json", "input.json (an example, optional)"),
            )
        }
        self.is_public = pn.widgets.Checkbox(name="public (every key may use it)", value=False)
        self.button = pn.widgets.Button(name="Upload circuit", button_type="primary", width=150)
        self.alert = pn.pane.Alert("", visible=False, margin=(5, 10))
        self.button.on_click(self._upload)
        self.help = pn.pane.Markdown(self._help())
        self.system.param.watch(lambda _: setattr(self.help, "object", self._help()), "value")
        self._layout = pn.Column(
            self.help,
            pn.Row(self.system, self.name_input, self.is_public),
            pn.Row(*self.files.values()),
            self.button,
            self.alert,
        )

    def _upload(self, _: object) -> None:
        from zapiki.dashboard.actions import message

        try:
            example = None
            raw = self.files["input.json"].value
            if raw:
                try:
                    example = json.loads(raw)
                except ValueError as exc:
                    raise InputError(f"input.json is not valid JSON: {exc}") from None
            circuit = self.ctx.actions.upload_circuit(
                self.name_input.value,
                self.files["wasm"].value or None,
                self.files["zkey"].value or None,
                self.files["r1cs"].value or None,
                is_public=self.is_public.value,
                example=example,
                proof_system=self.system.value,
            )
        except Exception as exc:
            self.alert.object, self.alert.alert_type, self.alert.visible = html.escape(message(exc)), "danger", True
            return
        system = circuit.get("proof_system", "groth16")
        if circuit["status"] == "ready":
            state = "ready"
        elif system == "groth16":
            state = "setting up (development setup in the background)"
        else:
            state = "setting up (from the service's powers of tau, in the background)"
        label = "" if system == "groth16" else f" ({html.escape(system)})"
        self.alert.object = f"Circuit **{html.escape(circuit['name'])}**{label} ({circuit['id']}) {state}."
        self.alert.alert_type, self.alert.visible = "success", True
        try:
            self.ctx.source.poll()
        except Exception:
            pass
        self.on_uploaded(circuit, example)

    def _help(self) -> str:
        return upload_help(self.system.value, self.ctx.actions.service.settings.plonk_ptau)

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout


class CircuitsView(View):
    """The circuits table, a delete button for the selected one, and the upload form."""

    title = "Circuits"

    def build(self) -> pn.viewable.Viewable:
        self.rows: list[dict[str, Any]] = []
        columns = COLUMNS + (["owner"] if self.ctx.actions.is_admin else [])  # admin keys see every user's
        self.table = table(columns, selectable=1, name="circuits")
        self.table.style.map(status_style, subset=["status"])
        self.delete = pn.widgets.Button(name="Delete selected circuit", button_type="danger", width=200)
        self.delete.on_click(self._delete)
        self.upload = CircuitUpload(self.ctx, lambda circuit, example: self.refresh(force=True))
        return pn.Column(
            self.alert,
            self.table,
            self.delete,
            pn.pane.Markdown("### Upload a circuit"),
            self.upload,
            sizing_mode="stretch_width",
        )

    def _delete(self, _: object) -> None:
        if not self.table.selection:
            self.say("Select a circuit in the table first.", ok=False)
            return
        circuit = self.rows[self.table.selection[0]]
        self.act(lambda: self.ctx.actions.delete_circuit(circuit["id"]), lambda _: f"Deleted {circuit['name']}.")
        self.table.selection = []

    def state(self) -> Hashable:
        return self.ctx.source.version

    def update(self) -> None:
        self.rows = self.ctx.source.circuits(self.ctx.scope)
        table = [circuit_row(c) for c in self.rows]
        self.table.value = pd.DataFrame(table, columns=list(self.table.value.columns))


def circuit_row(c: dict[str, Any]) -> dict[str, Any]:
    """A circuit as a table row: sizes from its files' headers (constraints need the .r1cs)."""
    info = c.get("info") or {}
    constraints = info.get("n_constraints")
    if constraints is None and info.get("domain_size"):  # no .r1cs: the key's domain bounds them
        constraints = f"≤ {info['domain_size']:,}"
    return {
        "name": c["name"],
        "id": c["id"],
        "system": c.get("proof_system") or "",
        "status": c["status"],
        "constraints": constraints,
        "public signals": info.get("n_public"),
        "wires": info.get("n_wires", info.get("n_vars")),
        "setup": info.get("setup", ""),
        "public": bool(c.get("is_public")),
        "created": (c.get("created_at") or "")[:19].replace("T", " "),
        "error": c.get("error_message") or "",
        "owner": c.get("email") or c.get("user_id"),
    }
