"""The sign-in form: an API key, checked by the API's own gate (the same lookup, cache and rate limit), kept
in the browser tab's `sessionStorage` only (so a reload stays signed in and closing the tab forgets it): never
in a URL, a cookie or a log, and cleared from the form once used."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import panel as pn
import param
from panel.custom import JSComponent

from zapiki.access import Gate
from zapiki.dashboard.actions import message

__all__ = ["KeyStore", "SignIn"]

INVALID = "invalid or revoked API key"  # the API's 401 message


class KeyStore(JSComponent):
    """The tab's `sessionStorage` entry for the key: `saved` is what the tab held when the page loaded;
    setting `save` stores a key (the browser clears the field at once); `forget` removes it."""

    save = param.String(default="", doc="a key to store (emptied again by the browser)")
    saved = param.String(default="", doc="the key the tab held when the page loaded")
    forget = param.Integer(default=0, doc="bump to remove the stored key")

    _esm = """
export function render({ model }) {
  const NAME = "zapiki-api-key"
  const held = window.sessionStorage.getItem(NAME)
  if (held) { model.saved = held }
  model.on("save", () => {
    if (model.save) { window.sessionStorage.setItem(NAME, model.save); model.save = "" }
  })
  model.on("forget", () => { window.sessionStorage.removeItem(NAME) })
  return document.createElement("span")
}
"""


class SignIn(pn.viewable.Viewer):
    """Asks for an API key; calls `on_signed_in(who)` with the key's {user_id, email, tier, key_id, role}. Its
    `store` (the tab's key storage) must stay on the page while the form comes and goes."""

    def __init__(self, gate: Gate, on_signed_in: Callable[[dict[str, Any]], None], **params: Any) -> None:  # noqa: ANN401
        super().__init__(**params)
        self.gate = gate
        self.on_signed_in = on_signed_in
        self.store = KeyStore(width=0, height=0, margin=0)
        self.key = pn.widgets.PasswordInput(name="API key", placeholder="zk_…", width=420)
        self.button = pn.widgets.Button(name="Sign in", button_type="primary", width=120, align="end")
        self.alert = pn.pane.Alert("", alert_type="danger", visible=False, width=560)
        self.button.on_click(lambda _: self._try(self.key.value_input or self.key.value, remember=True))
        self.store.param.watch(lambda e: self._try(e.new, remember=False) if e.new else None, "saved")
        self._layout = pn.Column(
            pn.pane.Markdown(
                "## Sign in\nPaste an API key (`zapiki keys create --email you@example.com`; "
                "the key `zapiki serve` printed on its first start is an admin key). "
                "It is kept in this browser tab only."
            ),
            pn.Row(self.key, self.button),
            self.alert,
            margin=(20, 30),
        )

    def _try(self, raw: Any, remember: bool) -> None:  # noqa: ANN401
        raw = str(raw or "").strip()
        self.key.value = self.key.value_input = ""  # the key does not stay in the page's widgets
        if not raw:
            self.alert.object, self.alert.visible = "missing API key", True
            return
        try:
            who = self.gate.authenticate(raw)
            if who is None:
                self.store.forget += 1
                self.alert.object, self.alert.visible = INVALID, True
                return
            self.gate.admit(who)  # a sign-in counts as one request of the key
        except Exception as exc:
            self.alert.object, self.alert.visible = html.escape(message(exc)), True
            return
        self.alert.visible = False
        if remember:
            self.store.save = raw
        self.on_signed_in(who)

    def sign_out(self) -> None:
        """Forget the key kept in the tab."""
        self.store.forget += 1

    def __panel__(self) -> pn.viewable.Viewable:
        return self._layout
