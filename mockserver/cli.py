"""The ``streamkap-mock`` command: serve the mock, check the plugin files, print and test the contract."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mockserver.errors import StartupError
from mockserver.settings import DEFAULT_DB, DEFAULT_FIXTURES, Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
def main() -> None:
    """A local, stateful emulator of the Streamkap REST API."""


@main.command()
@click.option("--host", envvar="STREAMKAP_MOCK_HOST", default="127.0.0.1", help="Interface to listen on.")
@click.option("--port", envvar="STREAMKAP_MOCK_PORT", default=8080, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--db", envvar="STREAMKAP_MOCK_DB", default=DEFAULT_DB, help="TinyDB JSON file, or :memory:.")
@click.option("--fixtures", envvar="STREAMKAP_MOCK_FIXTURES", default=DEFAULT_FIXTURES,
              type=click.Path(exists=True, file_okay=False, path_type=Path), help="Fixtures directory.")
@click.option("--token-ttl", envvar="STREAMKAP_MOCK_TOKEN_TTL", default=3600.0, type=click.FloatRange(min=1),
              help="Access token lifetime, in seconds.")
@click.option("--status-delay", envvar="STREAMKAP_MOCK_STATUS_DELAY", default=0.0, type=click.FloatRange(min=0),
              help="Seconds a started connector stays Starting before it is Active.")
@click.option("--delete-delay", envvar="STREAMKAP_MOCK_DELETE_DELAY", default=0.0, type=click.FloatRange(min=0),
              help="Seconds a deleted entity stays visible after DELETE ?wait=false.")
@click.option("--secret-key", envvar="STREAMKAP_MOCK_SECRET_KEY", default=None, show_default=False,
              help="Fernet key for secrets at rest (default: generated and kept in <db>.key).")
@click.option("--log-level", envvar="STREAMKAP_MOCK_LOG_LEVEL", default="info",
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@click.option("--admin-token", envvar="STREAMKAP_MOCK_ADMIN_TOKEN", default=None, show_default=False,
              help="Bearer token the /__mock control plane requires (default: none, it is open).")
@click.option("--no-admin", envvar="STREAMKAP_MOCK_NO_ADMIN", is_flag=True, help="Serve no /__mock control plane.")
@click.option("--seed", envvar="STREAMKAP_MOCK_SEED", default=None, show_default=False,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSON file of entities with fixed ids to load at start-up and on every reset.")
def serve(host: str, port: int, db: str, fixtures: Path, token_ttl: float, status_delay: float,
          delete_delay: float, secret_key: str | None, log_level: str, admin_token: str | None,
          no_admin: bool, seed: Path | None) -> None:
    """Serve the mock API."""
    import uvicorn

    from mockserver.app import create_app

    settings = Settings(host=host, port=port, db=db, fixtures=fixtures, token_ttl=token_ttl,
                        status_delay=status_delay, delete_delay=delete_delay,
                        secret_key=secret_key, admin=not no_admin, admin_token=admin_token, seed=seed)
    try:
        app = create_app(settings)
    except StartupError as exc:
        raise click.ClickException(str(exc)) from None
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"streamkap-mock serving on http://{shown_host}:{port}  (db: {db})")
    click.echo(f"  export STREAMKAP_HOST=http://{shown_host}:{port}")
    for credential in app.state.backend.directory.fixture_credentials():
        click.echo(f"  {credential.tenant_id:<14} {','.join(credential.roles):<15} "
                   f"STREAMKAP_CLIENT_ID={credential.client_id} STREAMKAP_SECRET={credential.secret}")
    sys.stdout.flush()
    uvicorn.run(app, host=host, port=port, log_level=log_level)


@main.group()
def plugins() -> None:
    """Connector plugin files."""


@plugins.command("check")
@click.option("--fixtures", envvar="STREAMKAP_MOCK_FIXTURES", default=DEFAULT_FIXTURES,
              type=click.Path(exists=True, file_okay=False, path_type=Path))
def plugins_check(fixtures: Path) -> None:
    """Validate every plugin file: shape, dependencies, cycles, resolver names."""
    from mockserver.domain.plugins import check_plugins

    problems = check_plugins(fixtures / "plugins")
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise SystemExit(1)
    click.echo("all plugin files are valid")


@main.command()
@click.option("--control", is_flag=True, help="The control plane's document (GET /__mock/openapi.json) instead.")
def openapi(control: bool) -> None:
    """Print the OpenAPI document of this build (what GET /openapi.json serves)."""
    from mockserver.control import routes as control_routes
    from mockserver.http.openapi import document, render

    click.echo(render(control_routes.document() if control else document()), nl=False)


@main.command("contract-test")
@click.option("--base-url", envvar="STREAMKAP_HOST", required=True, help="Server to test, e.g. http://127.0.0.1:8080.")
@click.option("--spec", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              show_default=False,
              help="OpenAPI document to test against (default: this build's, as `streamkap-mock openapi` prints).")
@click.option("--token", envvar="STREAMKAP_TOKEN", default=None, show_default=False, help="Bearer access token.")
@click.option("--client-id", envvar="STREAMKAP_CLIENT_ID", default=None, show_default=False,
              help="Client id to get a token with (with --secret).")
@click.option("--secret", envvar="STREAMKAP_SECRET", default=None, show_default=False, help="Secret of --client-id.")
@click.option("--max-examples", default=10, type=click.IntRange(min=1), help="Generated examples per operation.")
@click.option("--max-steps", default=None, type=click.IntRange(min=2), show_default=False,
              help="Steps per stateful scenario (default: schemathesis's).")
@click.option("--seed", default=None, type=int, show_default=False, help="Seed, to replay a run.")
def contract_test(base_url: str, spec: Path | None, token: str | None, client_id: str | None, secret: str | None,
                  max_examples: int, max_steps: int | None, seed: int | None) -> None:
    """Check a server against the contract with schemathesis: every operation, every check, stateful links.

    Works against the mock, another build of it, or the real Streamkap API.
    Exits 1 when a check fails.
    """
    try:
        import schemathesis

        from mockserver import contract
    except ImportError as exc:
        raise click.ClickException(f"contract-test needs schemathesis ({exc}): "
                                   "pip install 'streamkap-mock[contract]'") from None

    if token is None and (client_id is None) != (secret is None):
        raise click.UsageError("--client-id and --secret go together")
    if token is None and client_id is not None:
        try:
            token = contract.fetch_token(base_url, client_id, secret)
        except OSError as exc:  # urllib's errors, HTTP ones included
            raise click.ClickException(f"could not get an access token from {base_url}: {exc}") from None
    if token is None:
        click.echo("no credentials given: authenticated operations will only see 401", err=True)
    doc = contract.load_document(spec)
    config = contract.build_config(base_url=base_url, token=token, max_examples=max_examples,
                                   seed=seed, max_steps=max_steps, doc=doc)
    report = contract.run(schemathesis.openapi.from_dict(doc, config=config))
    click.echo(report.summary())
    if not report.ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
