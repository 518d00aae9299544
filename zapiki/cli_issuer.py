"""``zapiki issuer ...``: issuer keys and credentials (Baby Jubjub EdDSA-Poseidon, as circomlibjs).

Exit codes: 0 success (``verify``: the credential is valid), 1 ``verify``: the signature does not verify, 2 any
error (a missing, unreadable or malformed file, bad input, a key file that already exists): one line
``error: ...`` on stderr, no traceback. JSON shapes: :mod:`zapiki.babyjub.credential`. Attached to the main
group in :mod:`zapiki.cli`.

>>> from click.testing import CliRunner
>>> result = CliRunner().invoke(issuer, ["verify", "/nonexistent/credential.json"])
>>> result.exit_code, result.output.startswith("error: cannot read credential")
(2, True)
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import click

# one error policy for every command group (cli_groth16's): `error: ...` on stderr and exit status 2
from zapiki.cli_groth16 import _errors, _path_in, _path_out
from zapiki.errors import InputError

__all__ = ["issuer"]


def _read_json(path: Path, what: str) -> Any:  # noqa: ANN401
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise InputError(f"cannot read {what} {str(path)!r}: {reason}") from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InputError(f"{what} {str(path)!r} is not JSON: {exc}") from exc


def _dumps(obj: Any) -> str:  # noqa: ANN401
    return json.dumps(obj, indent=2) + "\n"


def _load_key(path: Path) -> Any:  # noqa: ANN401
    from zapiki.babyjub.credential import key_from_json

    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = 0  # _read_json says what is wrong
    data = _read_json(path, "key file")
    if mode & 0o077:
        click.echo(f"warning: key file {str(path)!r} is readable by group or others (mode {mode:04o})", err=True)
    try:
        return key_from_json(data)
    except InputError as exc:
        raise InputError(f"key file {str(path)!r}: {exc}") from exc


def _write_private(path: Path, text: str) -> None:
    """Create `path` with mode 0600 (whatever the umask); FileExistsError when it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(fd, 0o600)
        out.write(text)


@click.group()
def issuer() -> None:
    """Issuer keys and signed credentials (Baby Jubjub EdDSA-Poseidon, as circomlibjs)."""


@issuer.command()
@click.option("--out", "out_file", type=_path_out, default=Path("issuer-key.json"), show_default=True,
              help="Where to write the key file (mode 0600; an existing file is never overwritten).")  # fmt: skip
@_errors
def keygen(out_file: Path) -> None:
    """Make a new issuer key: write the key file, print the public key JSON."""
    from zapiki.babyjub.credential import key_file_json, public_key_to_json
    from zapiki.babyjub.eddsa import IssuerKey

    key = IssuerKey.generate()
    try:
        _write_private(out_file, _dumps(key_file_json(key)))
    except FileExistsError:
        raise InputError(f"{str(out_file)!r} already exists: refusing to overwrite a key file") from None
    click.echo(_dumps(public_key_to_json(key.public_key)), nl=False)
    click.echo(f"wrote {out_file} (private: keep it secret)", err=True)


@issuer.command()
@click.argument("key_file", type=_path_in)
@_errors
def public(key_file: Path) -> None:
    """Print the public key JSON of KEY_FILE."""
    from zapiki.babyjub.credential import public_key_to_json

    click.echo(_dumps(public_key_to_json(_load_key(key_file).public_key)), nl=False)


@issuer.command()
@click.argument("key_file", type=_path_in)
@click.option("--attribute", required=True, help="Attribute name: 1..31 characters of [a-z0-9_].")
@click.option("--value", required=True, help="Attribute value: an integer 0 <= value < 2^64.")
@click.option("--out", "out_file", type=_path_out, default=None, help="Write the credential here (else: print it).")
@_errors
def sign(key_file: Path, attribute: str, value: str, out_file: Path | None) -> None:
    """Sign ATTRIBUTE = VALUE with KEY_FILE: the credential JSON."""
    from zapiki.babyjub.credential import attribute_code, issue

    attribute_code(attribute)  # bad input is named before the key file is read
    if not value.isascii() or not value.isdigit():
        raise InputError(f"--value must be an integer 0 <= value < 2^64, got {value!r}")
    credential = issue(_load_key(key_file), attribute, int(value))
    text = _dumps(credential.to_json())
    if out_file is None:
        click.echo(text, nl=False)
    else:
        out_file.write_text(text)
        click.echo(f"wrote {out_file}", err=True)


@issuer.command()
@click.argument("credential_file", type=_path_in)
@_errors
def verify(credential_file: Path) -> None:
    """Verify CREDENTIAL_FILE's signature. Exit 0 valid, 1 invalid, 2 error."""
    from zapiki.babyjub.credential import Credential

    data = _read_json(credential_file, "credential")
    try:
        credential = Credential.from_json(data)
    except InputError as exc:
        raise InputError(f"credential {str(credential_file)!r}: {exc}") from exc
    if credential.verify():
        click.echo(f"OK: the credential is valid ({credential.attribute} = {credential.value})")
        return
    click.echo("INVALID: the signature does not verify for this attribute, value and issuer")
    sys.exit(1)
