"""Proof templates: the catalogue grouped by category; for the chosen template its documentation beside a form
built from its inputs' JSON Schema (pre-filled with its example), how its keys are made (a warning that cannot
be missed for a development setup), and a Prove button that starts a template proof and follows its job to the
public signals by name, or to the failure (a false statement).

The form's logic is plain functions, checked without a browser: a widget per top-level property
(`form_fields`), the widgets' values of an input object (`widget_values`) and back (`collect_inputs`)::

    >>> schema = {"type": "object", "required": ["value"], "properties": {
    ...     "value": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^[0-9]+$"}]},
    ...     "comparison": {"enum": [">=", "<="]},
    ...     "set": {"type": "array", "items": {"type": "integer"}}}}
    >>> fields = form_fields(schema)
    >>> [(f.label, f.kind) for f in fields]
    [('value *', 'text'), ('comparison', 'enum'), ('set', 'json')]
    >>> widget_values(fields, {"value": 42, "set": [1, 2]})
    {'value': '42', 'comparison': '', 'set': '[\\n  1,\\n  2\\n]'}
    >>> collect_inputs(fields, {"value": " 42 ", "comparison": "<=", "set": "[1, 2]"})
    {'value': 42, 'comparison': '<=', 'set': [1, 2]}
    >>> collect_inputs(fields, {"value": "", "comparison": "", "set": "[1, 2"})
    Traceback (most recent call last):
    ...
    zapiki.errors.InputError: inputs.set is not valid JSON: Expecting ',' delimiter (line 1, column 6)
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import panel as pn

from zapiki.config import PRIORITIES
from zapiki.dashboard.actions import Actions, message
from zapiki.dashboard.base import STATUS_COLOURS, View
from zapiki.errors import InputError
from zapiki.templates import CATEGORIES

__all__ = ["FormField", "TemplatesView", "collect_inputs", "form_fields", "prove", "signal_rows", "widget_values"]

#: The widget of each kind of field: a text input, a select, or a JSON text area.
KINDS = ("text", "enum", "json")
_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
JSON_SAFE_INTEGER = 2**53
DEVELOPMENT_WARNING = "development keys: single party, not a ceremony"


@dataclass(frozen=True)
class FormField:
    """One top-level property of a template's inputs: its widget's kind (`KINDS`), whether it is required, its
    description, its schema, and for a select its options."""

    name: str
    kind: str
    required: bool = False
    description: str = ""
    schema: Mapping[str, Any] = field(default_factory=dict)
    options: tuple[Any, ...] = ()

    @property
    def label(self) -> str:
        """The widget's label: the input's name, with `*` when it is required."""
        return f"{self.name} *" if self.required else self.name


def _branches(prop: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The alternatives of a property's schema (its anyOf/oneOf branches, or itself)."""
    found = [b for key in ("anyOf", "oneOf") for b in prop.get(key) or [] if isinstance(b, Mapping)]
    return found or [prop]


def _types(prop: Mapping[str, Any]) -> set[str]:
    types: set[str] = set()
    for branch in _branches(prop):
        kind = branch.get("type")
        types |= set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()
    return types


def form_fields(schema: Mapping[str, Any]) -> list[FormField]:
    """The form's fields, one per top-level property of an object schema, in the schema's order: an `enum`
    (or a boolean) is a select, an object or an array is JSON text, anything else a text input."""
    required = set(schema.get("required") or [])
    fields = []
    for name, prop in (schema.get("properties") or {}).items():
        prop = prop if isinstance(prop, Mapping) else {}
        types = _types(prop)
        options: tuple[Any, ...] = ()
        if isinstance(prop.get("enum"), list):
            kind, options = "enum", tuple(prop["enum"])
        elif types == {"boolean"}:
            kind, options = "enum", (True, False)
        elif types & {"object", "array"}:
            kind = "json"
        else:
            kind = "text"
        description = str(prop.get("description") or "")
        fields.append(FormField(name, kind, name in required, description, prop, options))
    return fields


def option_label(value: Any) -> str:  # noqa: ANN401
    """How a select shows one of its values (strings as they are, anything else as JSON)."""
    return value if isinstance(value, str) else json.dumps(value)


def select_options(f: FormField) -> dict[str, Any]:
    """A select's {label: value}; an optional field starts with an empty choice (the input left out)."""
    return {**({} if f.required else {"": ""}), **{option_label(v): v for v in f.options}}


def widget_value(f: FormField, value: Any) -> Any:  # noqa: ANN401
    """The widget's value that shows the input `value` (None: an empty widget)."""
    if f.kind == "enum":
        return "" if value is None and not f.required else value if value is not None else f.options[0]
    if value is None:
        return ""
    if f.kind == "json":
        return json.dumps(value, indent=2)
    return value if isinstance(value, str) else json.dumps(value)


def widget_values(fields: list[FormField], inputs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The widgets' values that show an input object (e.g. the template's example); missing inputs are empty."""
    inputs = inputs or {}
    return {f.name: widget_value(f, inputs.get(f.name)) for f in fields}


def _accepts_integer(prop: Mapping[str, Any], number: int) -> bool:
    for branch in _branches(prop):
        if branch.get("type") == "integer" or (isinstance(branch.get("type"), list) and "integer" in branch["type"]):
            low, high = branch.get("minimum"), branch.get("maximum")
            if (low is None or number >= low) and (high is None or number <= high):
                return True
    return False


def parse_text(f: FormField, text: str) -> Any:  # noqa: ANN401
    """A text field's input: an integer when the schema takes it (above 2^53, where JSON numbers stop being
    exact in most languages, the text when the schema also takes a string), a number for a number field,
    otherwise the text itself (the service's schema check then names the field when it does not fit).

    >>> big = FormField("v", "text", schema={"anyOf": [{"type": "integer"}, {"type": "string"}]})
    >>> parse_text(big, "42"), parse_text(big, str(2**64)), parse_text(big, "abc")
    (42, '18446744073709551616', 'abc')
    """
    types = _types(f.schema)
    if _INTEGER.fullmatch(text) and _accepts_integer(f.schema, int(text)):
        if abs(int(text)) <= JSON_SAFE_INTEGER or "string" not in types:
            return int(text)
        return text
    if "number" in types and "string" not in types and _NUMBER.fullmatch(text):
        return float(text)
    return text


def collect_inputs(fields: list[FormField], values: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs object of the widgets' values (as `widget_values` gives them): empty fields are left out (a
    required one is then refused by the service, naming it); JSON fields must parse (InputError naming them)."""
    inputs: dict[str, Any] = {}
    for f in fields:
        raw = values.get(f.name)
        if f.kind == "enum":
            if raw is not None and raw != "":
                inputs[f.name] = raw
            continue
        text = "" if raw is None else str(raw).strip()
        if not text:
            continue
        if f.kind == "json":
            try:
                inputs[f.name] = json.loads(text)
            except ValueError as exc:
                detail = f"{exc.msg} (line {exc.lineno}, column {exc.colno})" if hasattr(exc, "msg") else str(exc)
                raise InputError(f"inputs.{f.name} is not valid JSON: {detail}") from None
        else:
            inputs[f.name] = parse_text(f, text)
    return inputs


def signal_rows(template: Mapping[str, Any], named: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """A completed template proof's public signals as rows {signal, value, meaning}, in the template's order."""
    named = dict(named or {})
    meanings = {s["name"]: s.get("meaning", "") for s in template.get("public_signals") or []}
    order = [name for name in meanings if name in named] + [name for name in named if name not in meanings]
    return [{"signal": n, "value": str(named[n]), "meaning": meanings.get(n, "")} for n in order]


def keys_notice(keys: Mapping[str, Any]) -> tuple[str, str]:
    """(markdown, alert type) of how a template's keys are made: a warning for a development setup."""
    ready = "" if keys.get("ready") else " The keys are made on this deployment's first proof of the template."
    setup = html.escape(str(keys.get("setup", "")))
    if keys.get("development"):
        return (
            f"⚠️ **{DEVELOPMENT_WARNING}.** This deployment made the keys itself: whoever runs it could forge "
            f"proofs. Fine for trying the template, not for proofs anyone else must trust.{ready}",
            "warning",
        )
    return f"🔑 Keys: {setup}.{ready}", "success"


def prove(actions: Actions, template_id: str, inputs: Any, priority: str = "normal") -> dict[str, Any]:  # noqa: ANN401
    """Start a template proof as POST /api/v1/templates/{id}/generate does: the key's rate limit, its tier for the
    high queue, then the service's checks (inputs that do not fit the schema: InputError naming the field).
    Returns {proof_id, job_id, status}."""
    return actions.prove_template(template_id, inputs, priority=priority)


#: The menu's buttons: left-aligned titles that wrap.
MENU_CSS = ":host .bk-btn { white-space: normal; text-align: left; }"
#: The documentation's headings, in proportion with the form beside it.
DOCS_CSS = ":host h1 { font-size: 1.6rem; margin-top: 0.3em; } :host h2 { font-size: 1.3rem; }"
#: Alerts without the space under their last paragraph.
ALERT_CSS = ":host p:last-child { margin-bottom: 0; } :host .alert { margin-bottom: 0; }"
INPUTS_HEADING = (
    '<h3 style="margin:8px 0 0 0;font-size:1.6rem">Inputs '
    '<span style="color:#666;font-size:12px;font-weight:400">(* required)</span></h3>'
)

TABLE_CSS = """<style>
table.signals { border-collapse: collapse; font-size: 13px; width: 100%; }
table.signals th { text-align: left; padding: 4px 12px 4px 0; color: #555; border-bottom: 2px solid #ddd; }
table.signals td { padding: 4px 12px 4px 0; vertical-align: top; border-bottom: 1px solid #eee; }
table.signals td.value { font-family: monospace; word-break: break-all; }
table.signals td.name { font-weight: 600; white-space: nowrap; }
</style>"""


def signals_table(rows: list[dict[str, str]]) -> str:
    """The public signals as an HTML table (long field elements wrap)."""
    body = "".join(
        f'<tr><td class="name">{html.escape(r["signal"])}</td><td class="value">{html.escape(r["value"])}</td>'
        f"<td>{html.escape(r['meaning'])}</td></tr>"
        for r in rows
    )
    return f'<table class="signals"><tr><th>signal</th><th>value</th><th>meaning</th></tr>{body}</table>{TABLE_CSS}'


class TemplatesView(View):
    """The templates: pick one, read its documentation, fill in its form (or use its example), prove."""

    title = "Templates"

    def build(self) -> pn.viewable.Viewable:
        service = self.ctx.actions.service
        self.catalogue = {t["id"]: t for t in service.templates()}
        self.template: dict[str, Any] | None = None
        self.fields: list[FormField] = []
        self.widgets: dict[str, pn.widgets.Widget] = {}
        self.job_id = ""
        self.proof_id = ""
        self._keys_seen = ""
        self.choices: dict[str, pn.widgets.Button] = {}
        menu: list[Any] = []
        for category, description in CATEGORIES.items():
            chosen = [t for t in self.catalogue.values() if t["category"] == category]
            if chosen:
                menu.append(pn.pane.HTML(_category_html(category, description), margin=(12, 5, 2, 5)))
                menu.extend(self._choice(t) for t in chosen)
        others = [t for t in self.catalogue.values() if t["id"] not in self.choices]  # a category not known here
        if others:
            menu.append(pn.pane.HTML(_category_html("other", ""), margin=(12, 5, 2, 5)))
            menu.extend(self._choice(t) for t in others)
        self.menu = pn.Column(*menu, width=270, styles={"border-right": "1px solid #e5e5e5"})
        self.facts = pn.pane.HTML("", margin=(10, 10, 0, 10), sizing_mode="stretch_width")
        self.keys = pn.pane.Alert(
            "", alert_type="warning", margin=(5, 10), sizing_mode="stretch_width", stylesheets=[ALERT_CSS]
        )
        self.alert.stylesheets = [*self.alert.stylesheets, ALERT_CSS]
        self.docs = pn.pane.Markdown("", sizing_mode="stretch_width", margin=(0, 15), stylesheets=[DOCS_CSS])
        self.form = pn.Column(sizing_mode="stretch_width")
        self.example = pn.widgets.Button(name="Use example", width=130)
        self.example.on_click(lambda _: self.use_example())
        self.priority = pn.widgets.Select(name="Priority", options=list(PRIORITIES), value="normal", width=120)
        self.button = pn.widgets.Button(name="Prove", button_type="primary", width=130)
        self.button.on_click(lambda _: self._prove())
        self.as_json = pn.pane.HTML("", sizing_mode="stretch_width")
        self.progress = pn.pane.HTML("", margin=(5, 10), sizing_mode="stretch_width")
        self.outcome = pn.pane.Alert("", alert_type="danger", visible=False, margin=(5, 10), stylesheets=[ALERT_CSS])
        self.signals = pn.pane.HTML("", margin=(0, 10), sizing_mode="stretch_width", name="signals")
        self.open = pn.widgets.Button(name="Open the job's page", width=180, visible=False)
        self.open.on_click(lambda _: self.ctx.open_job(self.job_id) if self.job_id else None)
        self.result = pn.Column(self.progress, self.outcome, self.signals, self.open, sizing_mode="stretch_width")
        self.body = pn.Column(
            self.facts,
            self.keys,
            pn.Row(
                pn.Column(self.docs, sizing_mode="stretch_width"),
                pn.Column(
                    pn.pane.HTML(INPUTS_HEADING, margin=(0, 10)),
                    self.form,
                    pn.Row(self.example, self.priority, self.button, align="end"),
                    self.alert,
                    self.result,
                    pn.Accordion(
                        ("The inputs as JSON (for the API)", self.as_json),
                        active=[],
                        margin=(10, 15, 5, 10),
                        sizing_mode="stretch_width",
                    ),
                    sizing_mode="stretch_width",
                ),
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        )
        if self.catalogue:
            self.choose(next(iter(self.catalogue)))
        return pn.Row(self.menu, self.body, sizing_mode="stretch_width")

    def _choice(self, t: Mapping[str, Any]) -> pn.widgets.Button:
        """The menu's button of one template (its summary as the tooltip)."""
        button = pn.widgets.Button(
            name=t["title"],
            button_type="light",
            width=250,
            margin=(2, 5),
            description=t["summary"],
            stylesheets=[MENU_CSS],
        )
        button.on_click(lambda _, tid=t["id"]: self._pick(tid))
        self.choices[t["id"]] = button
        return button

    # -- choosing a template ------------------------------------------------------------------------------
    def _pick(self, template_id: str) -> None:
        try:
            self.choose(template_id)
        except Exception as exc:  # the database is away: say so, keep the page alive
            self.say(message(exc), ok=False)

    def choose(self, template_id: str) -> None:
        """Show template `template_id`: its documentation, keys and form (pre-filled with its example)."""
        self.template = self.ctx.actions.service.template(template_id)
        for tid, button in self.choices.items():
            button.button_type = "primary" if tid == template_id else "light"
        t = self.template
        signals = ", ".join(f"<code>{html.escape(s['name'])}</code>" for s in t["public_signals"])
        self.facts.object = (
            f'<div style="font-size:13px;color:#444">{html.escape(t["category"])} · '
            f"<b>{t['constraints']:,}</b> constraints · public signals: {signals} · "
            f"template id <code>{html.escape(t['id'])}</code></div>"
        )
        self._show_keys(t["keys"])
        self.docs.object = t["docs"]
        self.fields = form_fields(t["input_schema"])
        self.widgets = {f.name: _widget(f) for f in self.fields}
        for w in self.widgets.values():
            w.param.watch(lambda _: self._show_json(), "value")
        self.form[:] = list(self.widgets.values())
        self.say("")
        self.job_id = self.proof_id = ""
        self._show_result(None)
        self.use_example()

    def _show_keys(self, keys: Mapping[str, Any]) -> None:
        text, kind = keys_notice(keys)
        self.keys.object, self.keys.alert_type = text, kind

    def use_example(self) -> None:
        """Fill the form in with the template's example."""
        if self.template is None:
            return
        for name, value in widget_values(self.fields, self.template.get("example")).items():
            self.widgets[name].value = value
        self._show_json()

    def values(self) -> dict[str, Any]:
        """The widgets' values, by input name."""
        return {name: w.value for name, w in self.widgets.items()}

    def _show_json(self) -> None:
        try:
            shown = json.dumps(collect_inputs(self.fields, self.values()), indent=2)
        except InputError as exc:
            shown = str(exc)
        self.as_json.object = (
            f'<pre style="font-size:12px;white-space:pre-wrap;word-break:break-all">{html.escape(shown)}</pre>'
        )

    # -- proving ------------------------------------------------------------------------------------------
    def _prove(self) -> None:
        if self.template is None:
            return
        template_id = self.template["id"]

        def go() -> dict[str, Any]:
            inputs = collect_inputs(self.fields, self.values())
            return prove(self.ctx.actions, template_id, inputs, priority=self.priority.value)

        out = self.act(go, lambda out: "")  # the result below shows the new proof
        if out is not None:
            self.job_id, self.proof_id = out["job_id"], out["proof_id"]
            self.refresh(force=True)

    def state(self) -> Hashable:
        return (self.ctx.source.version, self.job_id)

    def update(self) -> None:
        if not self.job_id:
            return
        job = self.ctx.source.job(self.ctx.scope, self.job_id)
        self._show_result(job)

    def _show_result(self, job: dict[str, Any] | None) -> None:
        if job is None:
            self.progress.object, self.signals.object = "", ""
            self.outcome.visible = self.open.visible = self.result.visible = False
            return
        self.result.visible = True
        status = job["status"]
        proof = job["proof"]
        colour = STATUS_COLOURS.get(status, "#000")
        waiting = {
            "pending": "waiting for a worker",
            "processing": "proving",
            "retrying": "waiting to try again",
        }.get(status, "")
        if waiting and self.template is not None and not self.template["keys"].get("ready"):
            waiting += " (the first proof of this template also makes its keys)"
        ref = proof.get("template") or {}
        keys = ""
        if ref.get("setup"):
            keys = f"<br>keys: {html.escape(ref['setup'])}"
            if ref.get("development_keys"):
                keys = f'<br><b style="color:#b35c00">⚠️ {DEVELOPMENT_WARNING}</b>'
        took = ""
        if proof.get("generation_time_ms") is not None and status == "completed":
            took = f" · proved in {proof['generation_time_ms'] / 1000:.2f} s"
        self.progress.object = (
            f'<h4 style="margin:6px 0;font-size:18px">Proof · <span style="color:{colour}">{html.escape(status)}</span>'
            f"{f' · {waiting}' if waiting else ''}{took}</h4>"
            f'<div style="font-size:13px">proof id <code>{html.escape(job["proof_id"])}</code> · job id '
            f"<code>{html.escape(job['id'])}</code> · <code>GET /api/v1/proofs/{html.escape(job['proof_id'])}</code>"
            f"{keys}</div>"
        )
        self.open.visible = True
        if status in ("failed", "cancelled"):
            error = job.get("error_message") or proof.get("error_message") or status
            self.outcome.object = f"**The proof {html.escape(status)}:** {html.escape(error)}"
            self.outcome.visible = True
        else:
            self.outcome.visible = False
        if status == "completed" and self.template is not None:
            rows = signal_rows(self.template, proof.get("named_signals"))
            self.signals.object = '<h4 style="font-size:16px">Public signals</h4>' + signals_table(rows)
        else:
            self.signals.object = ""
        done = status in ("completed", "failed", "cancelled")
        if (
            done
            and self.template is not None
            and not self.template["keys"].get("ready")
            and self._keys_seen != job["id"]
        ):
            self._keys_seen = job["id"]  # once per proof
            keys = self.ctx.actions.service.template(self.template["id"])["keys"]  # the first proof made them
            self.template = {**self.template, "keys": keys}
            self._show_keys(keys)


def _category_html(category: str, description: str) -> str:
    return (
        f'<div style="font-weight:700;text-transform:uppercase;font-size:12px;color:#555;letter-spacing:.05em">'
        f'{html.escape(category)}</div><div style="font-size:12px;color:#777">{html.escape(description)}</div>'
    )


def _widget(f: FormField) -> pn.widgets.Widget:
    """The widget of one field (its CSS class `zapiki-input-NAME` lets a test find it)."""
    common: dict[str, Any] = {"name": f.label, "css_classes": [f"zapiki-input-{f.name}"], "margin": (5, 10)}
    if f.description:
        common["description"] = f.description
    if f.kind == "enum":
        options = select_options(f)
        return pn.widgets.Select(options=options, value=next(iter(options.values())), width=260, **common)
    if f.kind == "json":
        return pn.widgets.TextAreaInput(
            placeholder=f.description or "JSON", height=180, sizing_mode="stretch_width", **common
        )
    return pn.widgets.TextInput(placeholder=f.description, sizing_mode="stretch_width", **common)
