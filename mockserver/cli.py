"""The ``streamkap-mock`` command: serve the mock, check the plugin files, print and test the contract."""

from __future__ import annotations

import errno
import gc
import os
import socket
import sys
from pathlib import Path

import click
from click.core import ParameterSource

from mockserver import __version__
from mockserver.errors import StartupError
from mockserver.settings import (DEFAULT_DB, DEFAULT_FIXTURES, DEFAULT_JOURNAL_BYTES, DEFAULT_MAX_BODY, TIMING_PROFILES,
                                 Settings, seed_path, shipped_seeds)


class SeedParam(click.Path):
    """``--seed``: a shipped seed's name, or the path of a seed file that exists."""

    def __init__(self) -> None:
        super().__init__(exists=True, dir_okay=False, path_type=Path)
        self.name = "name|file"  # after click.Path's own, which would show FILE in --help

    def convert(self, value, param, ctx):
        try:
            return super().convert(seed_path(value), param, ctx)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.version_option(__version__, prog_name="streamkap-mock")
def main() -> None:
    """A local, stateful emulator of the Streamkap REST API."""


@main.command()
@click.option("--host", envvar="STREAMKAP_MOCK_HOST", show_envvar=True, default="127.0.0.1",
              help="Interface to listen on (0.0.0.0 for every IPv4 interface, :: for IPv6).")
@click.option("--port", envvar="STREAMKAP_MOCK_PORT", show_envvar=True, default=8080,
              type=click.IntRange(0, 65535), help="Port to listen on; 0 picks a free one (the banner shows it).")
@click.option("--db", envvar="STREAMKAP_MOCK_DB", show_envvar=True, default=DEFAULT_DB,
              help="TinyDB JSON file that keeps the state, or :memory: for a store that dies with the process.")
@click.option("--fixtures", envvar="STREAMKAP_MOCK_FIXTURES", show_envvar=True, default=DEFAULT_FIXTURES,
              show_default="the fixtures shipped with the package",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Directory with tenants.json, tags.json and plugins/.")
@click.option("--token-ttl", envvar="STREAMKAP_MOCK_TOKEN_TTL", show_envvar=True, default=3600.0,
              type=click.FloatRange(min=1), help="Access token lifetime, in seconds.")
@click.option("--status-delay", envvar="STREAMKAP_MOCK_STATUS_DELAY", show_envvar=True, default=0.0,
              type=click.FloatRange(min=0), help="Seconds a started connector stays Starting before it is Active.")
@click.option("--delete-delay", envvar="STREAMKAP_MOCK_DELETE_DELAY", show_envvar=True, default=0.0,
              type=click.FloatRange(min=0), help="Seconds a deleted entity stays visible after DELETE ?wait=false.")
@click.option("--secret-key", envvar="STREAMKAP_MOCK_SECRET_KEY", show_envvar=True, default=None,
              show_default="generated and kept in <db>.key",
              help="Fernet key that encrypts secret config values at rest.")
@click.option("--cors", envvar="STREAMKAP_MOCK_CORS", show_envvar=True, default="", show_default="off",
              help="Comma-separated origins a browser page may call the API from, or * for any.")
@click.option("--max-body", envvar="STREAMKAP_MOCK_MAX_BODY", show_envvar=True, default=DEFAULT_MAX_BODY,
              type=click.IntRange(min=1), help="Largest request body accepted, in bytes (larger ones get 413).")
@click.option("--admin-token", envvar="STREAMKAP_MOCK_ADMIN_TOKEN", show_envvar=True, default=None,
              show_default="none: the control plane is open",
              help="Bearer token the /__mock control plane requires (health excepted).")
@click.option("--no-admin", envvar="STREAMKAP_MOCK_NO_ADMIN", show_envvar=True, is_flag=True,
              help="Serve no /__mock control plane.")
@click.option("--seed", envvar="STREAMKAP_MOCK_SEED", show_envvar=True, default=None, show_default=False,
              type=SeedParam(), help="Entities with fixed ids to load at start-up and on every reset: a shipped "
              "seed's name (streamkap-mock seeds lists them) or a JSON file.")
@click.option("--id-seed", envvar="STREAMKAP_MOCK_ID_SEED", show_envvar=True, default=None, show_default="off",
              type=click.IntRange(min=0), help="Reproducible runs: ids, secrets, request ids and timestamps follow this "
              "seed and the request sequence (the clock starts at 2026-01-01T00:00:00Z, one ms per request).")
@click.option("--journal-bytes", envvar="STREAMKAP_MOCK_JOURNAL_BYTES", show_envvar=True, default=DEFAULT_JOURNAL_BYTES,
              type=click.IntRange(min=1), help="Bytes the /__mock request journal may hold; the oldest requests go first.")
@click.option("--log-level", envvar="STREAMKAP_MOCK_LOG_LEVEL", show_envvar=True, default="info",
              type=click.Choice(["critical", "error", "warning", "info", "debug"]),
              help="Least severe log line shown; info shows one line per request, warning only failed requests.")
@click.option("--log-format", envvar="STREAMKAP_MOCK_LOG_FORMAT", show_envvar=True, default="text",
              type=click.Choice(["text", "json"]), help="Log lines as text, or as one JSON object per line.")
@click.option("--deploy-delay", envvar="STREAMKAP_MOCK_DEPLOY_DELAY", show_envvar=True, default=None,
              type=click.FloatRange(min=0), show_default="the status delay",
              help="Seconds a deployed transform job stays DEPLOYING before it is RUNNING.")
@click.option("--timing", envvar="STREAMKAP_MOCK_TIMING", show_envvar=True, default="instant",
              type=click.Choice(sorted(TIMING_PROFILES)),
              help="Delays like the backend's (realistic: status 10 s, delete 10 s, deploy 20 s) or none "
                   "(instant); --status-delay, --delete-delay and --deploy-delay override it.")
def serve(host: str, port: int, db: str, fixtures: Path, token_ttl: float, status_delay: float,
          delete_delay: float, secret_key: str | None, cors: str, max_body: int, admin_token: str | None,
          no_admin: bool, seed: Path | None, log_level: str, log_format: str, journal_bytes: int,
          deploy_delay: float | None, timing: str, id_seed: int | None = None) -> None:
    """Serve the mock API.

    Prints the address, the /docs URL and the credentials to export once the
    port is bound; every start-up failure is one line naming its cause.
    """
    # pydantic looks for plugins in every installed package when it builds its first model (on the
    # first request with a body: ~50 ms here); the server uses none. A user's own setting wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    import uvicorn

    from mockserver.app import create_app
    from mockserver.http.access_log import lighten_log_records, logging_config

    delays = _timing(timing, status_delay=status_delay, delete_delay=delete_delay, deploy_delay=deploy_delay)
    settings = Settings(host=host, port=port, db=db, fixtures=fixtures, token_ttl=token_ttl,
                        secret_key=secret_key, cors=tuple(o.strip() for o in cors.split(",") if o.strip()),
                        max_body=max_body, admin=not no_admin, admin_token=admin_token, seed=seed,
                        id_seed=id_seed, journal_bytes=journal_bytes, **delays)
    sock = _bind(host, port)  # first: a port in use stops start-up before any file is touched
    try:
        app = create_app(settings)
    except StartupError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:  # a db, key or fixture file the process cannot read or write
        whom = f" (running as uid {os.getuid()})" if isinstance(exc, PermissionError) else ""
        raise click.ClickException(f"{exc.filename or settings.db}: {exc.strerror or exc}{whom}") from None
    click.echo(_banner(app, host, sock.getsockname()[1], db))
    sys.stdout.flush()
    # Writes run on their own thread: a 1 ms switch interval (not 5) lets a read on the
    # server's loop through sooner while one runs.
    sys.setswitchinterval(0.001)
    _short_collections()
    lighten_log_records()
    config = uvicorn.Config(app, log_config=logging_config(log_format, log_level), log_level=log_level,
                            access_log=False,  # the mock's own access log has one line per request
                            ws="none")  # the API has no websocket: importing a websocket stack slowed start-up
    uvicorn.Server(config).run(sockets=[sock])


def _short_collections() -> None:
    """Keep the cycle collector's pauses short in a process that holds a growing store.

    A full collection walks every object alive; with the store's records among
    them it stopped every request for 50-300 ms about once a second under a
    write load (and found nothing: stored records hold no cycles). So what is alive
    after start-up, and what survives each full collection, is frozen: the next one
    walks only what was made since. Freezing right after a full collection leaves no
    garbage cycle behind, so nothing leaks.
    """
    gc.freeze()

    def freeze_survivors(phase: str, info: dict) -> None:
        if phase == "stop" and info["generation"] == 2:
            gc.freeze()

    gc.callbacks.append(freeze_survivors)


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket, so the banner can show the real port and no client is refused once it is out."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise click.ClickException(f"cannot listen on {host}: {exc.strerror}; "
                                   "choose another interface with --host") from None
    try:
        # proto must say TCP: asyncio sets TCP_NODELAY only on connections of such a socket, and
        # without it every keep-alive request waits ~40 ms on Nagle and delayed ACKs.
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
        return sock
    except OSError as exc:  # the process exits: the socket closes with it
        if exc.errno == errno.EADDRINUSE:
            raise click.ClickException(f"port {port} on {host} is already in use; choose another with "
                                       "--port (or STREAMKAP_MOCK_PORT), or --port 0 for any free port") from None
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _banner(app, host: str, port: int, db: str) -> str:
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else "[::1]" if host == "::" else (
        f"[{host}]" if ":" in host else host)
    url = f"http://{shown_host}:{port}"
    lines = [f"streamkap-mock {__version__} serving on {url}  (db: {db})",
             f"  API docs: {url}/docs",
             "  Point the Terraform provider or a client at it (paste one line into your shell):"]
    for credential in app.state.backend.directory.fixture_credentials():
        lines.append(f"  export STREAMKAP_HOST={url} STREAMKAP_CLIENT_ID={credential.client_id} "
                     f"STREAMKAP_SECRET={credential.secret}  # {credential.tenant_id} {','.join(credential.roles)}")
    return "\n".join(lines)


@main.group()
def plugins() -> None:
    """Connector plugin files."""


@plugins.command("check")
@click.option("--fixtures", envvar="STREAMKAP_MOCK_FIXTURES", show_envvar=True, default=DEFAULT_FIXTURES,
              show_default="the fixtures shipped with the package",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Directory whose plugins/ to check.")
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
def seeds() -> None:
    """List the shipped seeds: give a name to --seed (or STREAMKAP_MOCK_SEED) to load one."""
    import json

    for name, path in shipped_seeds().items():
        document = json.loads(path.read_text(encoding="utf-8"))
        counts = ", ".join(f"{len(v)} {k}" for k, v in document.items() if isinstance(v, list) and v)
        click.echo(f"{name}\t{counts}\t{path}")


@main.command()
@click.option("--control", is_flag=True, help="The control plane's document (GET /__mock/openapi.json) instead.")
def openapi(control: bool) -> None:
    """Print the OpenAPI document of this build (what GET /openapi.json serves)."""
    from mockserver.control import routes as control_routes
    from mockserver.http.openapi import document, render

    click.echo(render(control_routes.document() if control else document()), nl=False)


@main.command("contract-test")
@click.option("--base-url", envvar="STREAMKAP_HOST", show_envvar=True, required=True, help="Server to test, e.g. http://127.0.0.1:8080.")
@click.option("--spec", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              show_default=False,
              help="OpenAPI document to test against (default: this build's, as `streamkap-mock openapi` prints).")
@click.option("--token", envvar="STREAMKAP_TOKEN", show_envvar=True, default=None, show_default=False, help="Bearer access token.")
@click.option("--client-id", envvar="STREAMKAP_CLIENT_ID", show_envvar=True, default=None, show_default=False,
              help="Client id to get a token with (with --secret).")
@click.option("--secret", envvar="STREAMKAP_SECRET", show_envvar=True, default=None, show_default=False, help="Secret of --client-id.")
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


class ReplayFailed(click.ClickException):
    exit_code = 2  # apart from 1, "differences over the limit", so a CI job can tell the two apart


@main.command()
@click.argument("cassette", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--against", "target", required=True, help="Server to replay against, e.g. http://127.0.0.1:8080.")
@click.option("--client-id", envvar="STREAMKAP_CLIENT_ID", show_envvar=True, default=None, show_default=False,
              help="Client id the replay logs in with (the recorded login's is not replayed).")
@click.option("--secret", envvar="STREAMKAP_SECRET", show_envvar=True, default=None, show_default=False,
              help="Secret of --client-id.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              default=None, show_default=False, help="Write the Markdown report (for an issue) here.")
@click.option("--json", "json_file", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              default=None, show_default=False, help="Write the JSON report (for a machine) here.")
@click.option("--max-differences", default=0, type=click.IntRange(min=0),
              help="Exit 1 when there are more differences than this.")
@click.option("--ignore", multiple=True, help="A field to leave out of the comparison: a key (connector_status) "
                                              "or a path pattern ($.result[*].status); repeatable.")
@click.option("--timeout", default=30.0, type=click.FloatRange(min=0.1), help="Seconds to wait for each answer.")
def replay(cassette: Path, target: str, client_id: str | None, secret: str | None, report_file: Path | None,
           json_file: Path | None, max_differences: int, ignore: tuple[str, ...], timeout: float) -> None:
    """Replay a go-vcr cassette's requests against a server and report where its answers differ.

    Ids the server assigns replace the recorded ones in later requests; ids,
    timestamps, tokens and request ids are normalised before comparing. Exits 0
    when the differences are at most --max-differences, 1 when more, 2 when the
    cassette cannot be read or the server not reached.
    """
    import json

    from mockserver.parity import report
    from mockserver.parity.cassette import CassetteError, load
    from mockserver.parity.replay import Credentials, ReplayError, replay as run_replay

    if (client_id is None) != (secret is None):
        raise click.UsageError("--client-id and --secret go together (or STREAMKAP_CLIENT_ID and STREAMKAP_SECRET)")
    credentials = Credentials(client_id, secret) if client_id is not None and secret is not None else None
    if credentials is None:
        click.echo("no credentials given: the recorded login is sent as recorded (its secret is redacted)", err=True)
    try:
        result = run_replay(load(cassette), target, credentials, cassette=cassette.name, ignore=ignore,
                            timeout=timeout)
    except (CassetteError, ReplayError) as exc:
        raise ReplayFailed(str(exc)) from None
    if report_file is not None:
        report_file.write_text(report.markdown(result, ignore), encoding="utf-8")
    if json_file is not None:
        json_file.write_text(json.dumps(report.as_json(result), indent=2) + "\n", encoding="utf-8")
    click.echo(report.summary(result))
    if len(result.differences) > max_differences:
        raise SystemExit(1)


@main.command()
@click.argument("url", envvar="STREAMKAP_HOST")
@click.option("--admin-token", envvar="STREAMKAP_MOCK_ADMIN_TOKEN", show_envvar=True, default=None,
              show_default=False, help="The mock's admin token, if it was started with one.")
@click.option("--json", "as_json", is_flag=True, help="Print GET /__mock/coverage's JSON instead of a table.")
def coverage(url: str, admin_token: str | None, as_json: bool) -> None:
    """What a mock's request journal reached of the contract: operations (never-called first), statuses, connector types."""
    import json

    import httpx

    from mockserver.control.coverage import table

    headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
    try:
        response = httpx.get(url.rstrip("/") + "/__mock/coverage", headers=headers, timeout=30)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {url}: {exc}") from None
    if response.status_code != 200:
        raise click.ClickException(f"GET {url.rstrip('/')}/__mock/coverage answered {response.status_code}: "
                                   f"{response.text[:200]}")
    click.echo(json.dumps(response.json(), indent=2) if as_json else table(response.json()))

if __name__ == "__main__":
    main()


def _timing(profile: str, **given: float | None) -> dict[str, float | None]:
    """The profile's delays, each overridden by its own flag when that was given (command line or environment)."""
    source = click.get_current_context().get_parameter_source
    delays: dict[str, float | None] = {}
    for name, value in given.items():
        explicit = source(name) not in (ParameterSource.DEFAULT, None)
        delays[name] = value if explicit else TIMING_PROFILES[profile][name]
    return delays
