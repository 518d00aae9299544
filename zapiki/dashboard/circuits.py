"""Circuits: those the key may use (its own and public ones; every one for an admin key) with their size and
the state of a development setup in progress; delete; and the upload form (also part of the submit view)."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Hashable
from typing import Any

import pandas as pd
import panel as pn

from zapiki.dashboard.base import Context, View, status_style, table
from zapiki.errors import InputError

__all__ = ["CircuitUpload", "CircuitsView"]

COLUMNS = ["name", "id", "status", "constraints", "public signals", "wires", "setup", "public", "created", "error"]


class CircuitUpload(pn.viewable.Viewer):
    """A circom circuit from the page: `.wasm` and `.zkey` (optionally `.r1cs`), or `.wasm` and `.r1cs` for a
    development setup; an example `input.json` records the input signals' names for the submit form.
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
        self._layout = pn.Column(
            pn.pane.Markdown(
                "`.wasm` + `.zkey` (+ `.r1cs` to name failing constraints), or `.wasm` + `.r1cs` for a "
                "single-party **development** setup (not a ceremony). An example `input.json` records the "
                "circuit's input signal names for the submit form."
            ),
            pn.Row(self.name_input, self.is_public),
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
            )
        except Exception as exc:
            self.alert.object, self.alert.alert_type, self.alert.visible = html.escape(message(exc)), "danger", True
            return
        state = "ready" if circuit["status"] == "ready" else "setting up (development setup in the background)"
        self.alert.object = f"Circuit **{html.escape(circuit['name'])}** ({circuit['id']}) {state}."
        self.alert.alert_type, self.alert.visible = "success", True
        try:
            self.ctx.source.poll()
        except Exception:
            pass
        self.on_uploaded(circuit, example)

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
