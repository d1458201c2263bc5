"""The `whytree` command line: host, serve, join, sessions, report.

`host` and `join` open the terminal app; `serve`, `sessions` and `report` need no screen
library at all, and import only the server side.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from whytree.shared.joincode import chosen_code, grouped_code
from whytree.shared.protocol import DEFAULT_PORT, MAX_TITLE
from whytree.tui.datadir import default_data_dir

if TYPE_CHECKING:  # the server is imported only by the commands that run it
    from whytree.server.app import ServerConfig
    from whytree.server.results import SavedSession




def _chosen_code(text: str) -> str:
    """`--code`, refused with the reason when it is too short to keep strangers out."""
    try:
        chosen_code(text)
    except ValueError as problem:
        raise argparse.ArgumentTypeError(str(problem)) from None
    return text

def _server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--title", default="", help=f"the session's title (up to {MAX_TITLE} characters)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port to listen on (default {DEFAULT_PORT}; 0 picks any free port)")
    parser.add_argument("--bind", default="0.0.0.0",
                        help="address to listen on (default: every network of this laptop)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where the journal and saved results live (default: $WHYTREE_DATA_DIR "
                             "or your user data folder)")
    parser.add_argument("--code", default=None, type=_chosen_code,
                        help="the join code (default: a new 9-digit code; at least 6 letters or digits)")
    parser.add_argument("--facilitator-key", default=None,
                        help="the facilitator's key (default: a new random key)")
    parser.add_argument("--tls", action="store_true",
                        help="encrypt with a self-signed certificate (its fingerprint is shown)")
    parser.add_argument("--anonymous", action="store_true",
                        help="an anonymous session: nobody sees who wrote what")
    parser.add_argument("--new", action="store_true",
                        help="start a new session even if an open one could be resumed")
    parser.add_argument("--no-discovery", action="store_true",
                        help="do not announce the session on the local network")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="whytree",
        description="Live 'But why?' cause-tree sessions for a group in one room, over the local network.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    host = commands.add_parser("host", help="host a session: the server and the facilitator's screen")
    _server_options(host)

    serve = commands.add_parser("serve", help="run only the server, without a screen")
    _server_options(serve)

    join = commands.add_parser("join", help="join a session as a participant (or --view for a projector)")
    join.add_argument("url", nargs="?", default=None,
                      help="the address the facilitator shows, e.g. ws://192.168.1.20:8765 "
                           "(leave out to look for sessions on this network)")
    join.add_argument("--name", default=None, help="your name (leave empty to stay anonymous)")
    join.add_argument("--code", default=None, help="the join code the facilitator reads out")
    join.add_argument("--view", action="store_true", help="a read-only view, e.g. for a projector")
    join.add_argument("--facilitator-key", default=None, help="join as the facilitator (co-facilitating)")
    join.add_argument("--new-person", action="store_true",
                      help="join as someone new, even if this laptop was someone in this session "
                           "before (a shared laptop); without it, joining again comes back as the "
                           "same person")

    sessions = commands.add_parser("sessions", help="list the saved sessions")
    sessions.add_argument("--data-dir", type=Path, default=None)

    report = commands.add_parser("report", help="print the report of a saved session")
    report.add_argument("id", help="the session's id as `whytree sessions` lists it (a prefix is enough)")
    report.add_argument("--data-dir", type=Path, default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    data_dir = getattr(args, "data_dir", None) or default_data_dir()
    match args.command:
        case "serve":
            return _serve(args, data_dir)
        case "host":
            return _host(args, data_dir)
        case "join":
            return _join(args)
        case "sessions":
            return _sessions(data_dir)
        case "report":
            return _report(data_dir, args.id)
    parser.print_help()
    return 2


def _config(args: argparse.Namespace, data_dir: Path) -> ServerConfig:
    from whytree.server.app import ServerConfig

    return ServerConfig(
        data_dir=data_dir, port=args.port, bind=args.bind, title=args.title, code=args.code,
        facilitator_key=args.facilitator_key, tls=args.tls, anonymous=args.anonymous,
        advertise=not args.no_discovery, new=args.new,
    )


def _serve(args: argparse.Namespace, data_dir: Path) -> int:
    from whytree.server.app import Server
    from whytree.server.journal import JournalDamaged, JournalError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = _config(args, data_dir)

    async def run() -> None:
        server = Server(config)
        try:
            await server.start()
        except OSError as exc:
            raise SystemExit(f"whytree: cannot listen on {config.bind}:{config.port}: {exc.strerror or exc}. "
                             f"Is another session running? Try --port 0.") from exc
        except (JournalDamaged, JournalError) as exc:
            raise SystemExit(f"whytree: {exc}") from exc
        what = "Resumed the open session" if server.resumed else "Serving a new session"
        print(f"{what}{': ' + server.state.title if server.state.title else ''}", flush=True)
        if server.moved_from is not None:
            print(f"  NEW ADDRESS: port {server.moved_from} is taken now, so the session moved to "
                  f"port {server.port}; tell everyone the new address.", flush=True)
        for url in server.urls:
            print(f"  join address: {url}", flush=True)
        for url in server.browser_urls:
            print(f"  browser address: {url}", flush=True)
        if server.fingerprint:
            print("  (browsers warn about the certificate once: it is this laptop's own; "
                  "compare the fingerprint below)", flush=True)
        print(f"  port:            {server.port}", flush=True)
        print(f"  join code:       {grouped_code(server.code)}", flush=True)
        print(f"  facilitator key: {server.facilitator_key}", flush=True)
        if server.fingerprint:
            print(f"  fingerprint:     {server.fingerprint}", flush=True)
        print(f"  data folder:     {data_dir}", flush=True)
        print("Press Ctrl+C to stop (the session is kept and resumes on the next start).", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
                pass
        try:
            await stop.wait()
        finally:
            await server.stop()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    return 0


def _host(args: argparse.Namespace, data_dir: Path) -> int:
    gc.disable()  # until the first screen is painted (`WhytreeApp.started`)
    from whytree.tui.app import WhytreeApp

    config = _config(args, data_dir)
    logging.basicConfig(level=logging.WARNING, filename=str(_log_file(data_dir)))
    app = WhytreeApp(host=config)
    try:
        app.run()
    finally:
        # The server runs in a thread of its own: stopped by the app as it ends, and here
        # if something (an interrupt) ended the app first, so the session is left saved.
        app.stop_hosting()
    if app.farewell:  # how to resume, or where the results are
        print(app.farewell)
    return 0


def _join(args: argparse.Namespace) -> int:
    gc.disable()  # until the first screen is painted (`WhytreeApp.started`)
    from whytree.tui.app import WhytreeApp
    from whytree.tui.identities import Identities

    WhytreeApp(url=args.url, name=args.name, code=args.code, facilitator_key=args.facilitator_key,
               viewer=args.view, identities=Identities(default_data_dir()),
               new_person=args.new_person).run()
    return 0


def _sessions(data_dir: Path) -> int:
    from whytree.server.results import list_saved

    saved = list_saved(data_dir)
    if not saved:
        print(f"No saved sessions in {data_dir} yet. A session is saved when the facilitator closes it.")
        return 0
    for item in saved:
        print(_describe_saved(item))
    return 0


def _describe_saved(item: SavedSession) -> str:
    """One saved session for `whytree sessions`: its id and title, then when it was held,
    how many took part, what it found, and its folder."""
    from whytree.shared.wording import cause_word

    def when(timestamp: float) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))

    if item.created_at and item.closed_at:
        end = time.strftime("%H:%M", time.localtime(item.closed_at))
        if time.localtime(item.created_at)[:3] != time.localtime(item.closed_at)[:3]:
            end = when(item.closed_at)
        held = f"held {when(item.created_at)}–{end}"
    elif item.closed_at:
        held = f"closed {when(item.closed_at)}"
    else:
        held = "date unknown"
    counts = [
        f"{item.people} {'person' if item.people == 1 else 'people'} took part",
        f"{item.causes} {cause_word(item.mode, plural=item.causes != 1)}",
        f"{item.actions} action{'' if item.actions == 1 else 's'}",
    ]
    return "\n".join([
        f"{item.id}  {item.title or item.situation or '(untitled)'}",
        f"    {held} · {' · '.join(counts)}",
        f"    folder: {item.path}",
    ])


def _report(data_dir: Path, wanted: str) -> int:
    from whytree.server import results

    try:
        found = results.find_saved(data_dir, wanted)
    except results.AmbiguousSession as exc:
        print(f"whytree: {exc}", file=sys.stderr)
        return 1
    if found is None:
        print(f"whytree: no saved session matches {wanted!r}; `whytree sessions` lists them.",
              file=sys.stderr)
        return 1
    try:
        text = results.report_text(found)
    except (OSError, ValueError) as exc:  # ValueError: msgspec.DecodeError, bad UTF-8
        print(f"whytree: cannot read the report of {found.id}: {exc}", file=sys.stderr)
        return 1
    if sys.stdout.isatty():
        _print_formatted(text)
    else:  # piped or redirected: the Markdown as saved, e.g. for `> report.md`
        sys.stdout.write(text)
    return 0


def _print_formatted(markdown: str) -> None:
    """The report laid out for a terminal (headings, lists, tables; no Markdown signs)."""
    from rich.console import Console
    from rich.markdown import Markdown

    Console(soft_wrap=False).print(Markdown(markdown, hyperlinks=False))


def _log_file(data_dir: Path) -> Path:
    from whytree.server.files import private_dir, touch_private

    private_dir(data_dir)
    path = data_dir / "whytree.log"
    touch_private(path)
    return path


if __name__ == "__main__":
    sys.exit(main())
