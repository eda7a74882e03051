"""`promptreg verify-bundle`: check an exported bundle the way `Registry.from_bundle` will."""

from __future__ import annotations

from pathlib import Path

import click

from promptreg.cli._base import cli, emit_json, json_option


@cli.command("verify-bundle")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--allowed-signers",
    "allowed_signers",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="ssh allowed-signers file: require FILE.sig to verify against a key listed there.",
)
@click.option("--signer", metavar="PRINCIPAL", help="Require this principal's signature.")
@json_option
def verify_bundle(
    file: Path, allowed_signers: Path | None, signer: str | None, as_json: bool
) -> None:
    """Check a bundle: integrity, schema, every prompt and its content hash, and with
    --allowed-signers its signature. Exit 0 when it would be served, 1 when refused."""
    from promptreg.registry.bundle import BundleRegistry, signature_path

    bundle = BundleRegistry(file, allowed_signers=allowed_signers, signer=signer)
    bundle.check()
    prompts = bundle.get_all(bundle.environment)
    if as_json:
        emit_json(
            {
                "bundle": str(file),
                "ok": True,
                "environment": bundle.environment,
                "created_at": bundle.created_at,
                "signed_by": bundle.signed_by,
                "prompts": {name: p.version for name, p in sorted(prompts.items())},
            }
        )
        return
    click.echo(
        f"ok: {file}: {len(prompts)} prompt(s) deployed to {bundle.environment}, "
        f"exported {bundle.created_at}"
    )
    if bundle.signed_by is not None:
        click.echo(f"signature: good, by {bundle.signed_by} ({signature_path(file).name})")
    else:
        present = signature_path(file).exists()
        hint = "a signature is present; " if present else ""
        click.echo(
            f"signature: not checked ({hint}pass --allowed-signers): the integrity hash "
            "catches corruption, not tampering"
        )
