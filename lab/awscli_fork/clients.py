"""Clients built ahead: the CLI's botocore client for each service, built once per environment in
the fork server, so that a child does not build its own (about 9 ms of CPU of a 28 ms call).

The clients come from a second driver, made as ``create_clidriver()`` makes one under the same
environment, that has run the start-up the CLI runs for every command (top-level arguments and the
``session-initialized`` event) and nothing else. A child takes the one for its service only when
building its own could not give another client: its command names no global option that changes
the session (only output options), it asks for the client as the CLI does without ``--region``,
``--endpoint-url`` or ``--no-verify-ssl``, and until then nothing changed the session's settings
or registered a handler for an event a client emits (the CLI's own argument and command events
are the only ones it registers). Otherwise, and with ``LAB_AWS_CLI_CLIENTS=0``, the child builds
its own. Each client is used once per child and never in the server. Written here because the CLI
has no such cache (a process makes one call)."""

from __future__ import annotations

from typing import Any

from lab import settings

SWITCH = settings.Settings.variable("aws_cli_clients")
# Global options that change only how the answer is shown, not the session or its clients.
OUTPUT_ONLY = frozenset({"output", "query", "no-paginate", "color"})
# Events the CLI emits itself, while parsing arguments and running commands; clients never do.
CLI_EVENTS = (
    "load-cli-arg",
    "process-cli-arg",
    "operation-args-parsed",
    "calling-command",
    "before-building-argument-table-parser",
    "building-argument-table",
    "building-command-table",
    "top-level-args-parsed",
    "session-initialized",
)
# How the CLI asks for its client when no global option says otherwise (clidriver's invoke).
CLI_CALL = {"region_name": None, "endpoint_url": None, "verify": None}
# The command whose start-up the clients are built after: a service and an operation, no option.
START_COMMAND = ("sts", "get-caller-identity")
# Session methods that change what a client is built from.
_SESSION_SETTERS = (
    "set_config_variable",
    "set_default_client_config",
    "set_credentials",
    "register_component",
    "lazy_register_component",
    "_register_internal_component",
)
_EMITTER_REGISTRATIONS = ("register", "register_first", "register_last", "unregister")


class Prebuilt:
    """A client built ahead, and what the CLI's start-up before it changed in its session."""

    def __init__(self, client: Any, startup: list[tuple[Any, ...]]):
        self.client = client
        self.startup = startup


def build(
    clidriver: Any, service: str, start_command: tuple[str, ...] = START_COMMAND
) -> Prebuilt | None:
    """The client of the botocore service ``service``, built under the current environment as the
    first client of a new driver's session (as a child's is: credentials resolved then, and the
    features that registers in its user agent) after the CLI's start-up for ``start_command`` (a
    service and an operation, no option); None where that start-up would act outside its session
    (CLI history on)."""
    driver = clidriver.create_clidriver()
    session = driver.session
    if session.get_scoped_config().get("cli_history") == "enabled":
        return None  # session-initialized would open the history database in the server
    table = driver._get_command_table()
    parser = driver._create_parser(table)
    driver._add_aliases(table, parser)
    parsed, remaining = parser.parse_known_args(list(start_command))
    changes = _watch(session)
    # What CLIDriver.main() runs before the command itself.
    driver._handle_top_level_args(parsed, remaining)
    driver._emit_session_event(parsed)
    startup = list(changes)
    return Prebuilt(session.create_client(service, **CLI_CALL), startup)


def offer(
    session: Any, ahead: dict[str, Prebuilt], argv: list[str], global_options: set[str]
) -> None:
    """In a child, before its command runs: let ``session.create_client`` hand out the clients
    built ahead (by botocore service name) while the conditions in the module's docstring hold:
    the first client the session builds, asked for as the CLI asks, after the same changes to the
    session as the client's own start-up made, and no other."""
    if not settings.current().aws_cli_clients or not ahead:
        return
    named = {a[2:].split("=", 1)[0] for a in argv if a.startswith("--")}
    if named & (global_options - OUTPUT_ONLY):
        return
    changes = _watch(session)
    build_own = session.create_client
    built: list[str] = []

    def create_client(service_name: str, *args: Any, **kwargs: Any) -> Any:
        prebuilt = None if built else ahead.get(service_name)
        built.append(service_name)
        if prebuilt is not None and not args and kwargs == CLI_CALL and changes == prebuilt.startup:
            return prebuilt.client
        return build_own(service_name, *args, **kwargs)

    session.create_client = create_client


def _watch(session: Any) -> list[tuple[Any, ...]]:
    """Record, from now on, each call that changes what ``session`` builds clients from, described
    by value (a value that cannot be compared is described by identity, so it never matches);
    registrations for the CLI's own events are left out."""
    changes: list[tuple[Any, ...]] = []

    def watch(owner: Any, method: str, registers: bool) -> None:
        original = getattr(owner, method)

        def watched(*args: Any, **kwargs: Any) -> Any:
            event = args[0] if args else kwargs.get("event_name", "")
            if not (registers and str(event).startswith(CLI_EVENTS)):
                changes.append((method, *map(_described, args), *map(_described, kwargs.items())))
            return original(*args, **kwargs)

        setattr(owner, method, watched)

    emitter = session.get_component("event_emitter")
    for method in _EMITTER_REGISTRATIONS:
        watch(emitter, method, registers=method != "unregister")
    for method in _SESSION_SETTERS:
        watch(session, method, registers=False)
    return changes


def _described(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, tuple):
        return tuple(map(_described, value))
    options = getattr(value, "_user_provided_options", None)  # botocore.config.Config
    if isinstance(options, dict):
        return ("Config", tuple(sorted((k, _described(v)) for k, v in options.items())))
    return ("object", id(value))
