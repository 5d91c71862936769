"""``kopdes apikey create|list|revoke``: keys for partners, operations and administrators."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from cli.app import apikey_app, cli_actor
from cli.output import err_console, print_table
from shared.access import keys
from shared.db import get_database
from shared.models import Role

console = err_console()

KEY_ROLES = [r.value for r in Role if r != Role.anonymous]


@apikey_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="Who or what the key is for")],
    role: Annotated[str, typer.Option(help="partner, operations or admin")],
    expires: Annotated[
        str | None, typer.Option(help="Lifetime like 90d, 12h, 2w, 1y, or an ISO date")
    ] = None,
    province: Annotated[
        str | None, typer.Option(help="Limit a partner key to one province, e.g. 64")
    ] = None,
) -> None:
    """Issue a key and print its token once (to stdout; everything else goes to stderr)."""
    if role not in KEY_ROLES:
        console.print(f"[red]--role:[/red] {role!r} is not one of {', '.join(KEY_ROLES)}")
        raise typer.Exit(2)
    try:
        expires_at = keys.parse_expiry(expires) if expires else None
        with get_database().transaction() as session:
            issued = keys.create_key(
                session,
                cli_actor(),
                name=name,
                role=Role(role),
                expires_at=expires_at,
                province_code=province,
            )
    except keys.KeyInputError as exc:
        console.print(f"[red]--{exc.field}:[/red] {exc.message}")
        raise typer.Exit(2) from None
    key = issued.key
    scope = f", province {key.province_code}" if key.province_code else ""
    until = f", expires {key.expires_at:%Y-%m-%d %H:%M} UTC" if key.expires_at else ""
    console.print(f"created key {key.id} '{key.name}' ({key.role.value}{scope}{until})")
    console.print("the token is shown only now; store it safely:")
    typer.echo(issued.token)


@apikey_app.command("list")
def list_(
    all_: Annotated[bool, typer.Option("--all", help="Include revoked keys")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table")] = False,
) -> None:
    """List keys (never their tokens)."""
    with get_database().transaction() as session:
        rows = keys.list_keys(session, include_revoked=all_)
    if as_json:
        for key in rows:
            typer.echo(json.dumps({"id": key.id, **keys.describe(key)}, default=str))
        return
    table = Table("id")
    # The prefix is what `revoke` takes: never cut or wrapped, even in a narrow terminal.
    table.add_column(
        "prefix", no_wrap=True, min_width=max((len(k.prefix) for k in rows), default=0)
    )
    for title in ("name", "role", "province", "expires", "last used", "revoked"):
        table.add_column(title)
    for key in rows:
        table.add_row(
            str(key.id),
            key.prefix,
            key.name,
            key.role.value,
            key.province_code or "",
            f"{key.expires_at:%Y-%m-%d}" if key.expires_at else "never",
            f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "",
            f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
        )
    print_table(table)


@apikey_app.command("revoke")
def revoke(key: Annotated[str, typer.Argument(help="The key's id or prefix")]) -> None:
    """Revoke a key; it stops working on the next request."""
    try:
        with get_database().transaction() as session:
            revoked = keys.revoke_key(session, cli_actor(), key)
    except keys.KeyNotFound as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from None
    console.print(
        f"revoked key {revoked.id} '{revoked.name}' at {revoked.revoked_at:%Y-%m-%d %H:%M} UTC"
    )
