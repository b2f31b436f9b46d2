"""`relais-agent run --server URL --key KEY [--target PATH | --install-cmd CMD] ...`"""

import argparse
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from .agent import Agent, AgentConfig, CommandHandler
from .errors import AgentError
from .verify import VerificationError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="relais-agent")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("run", "check and update on a timer, until stopped"),
        ("check", "one cycle: check, and update if offered"),
        ("license", "fetch and verify the signed offline license file"),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--server", default=os.environ.get("RELAIS_SERVER"), required=False)
        sub.add_argument("--key", default=os.environ.get("RELAIS_LICENSE_KEY"))
        sub.add_argument("--state-dir", type=Path, default=Path("/var/lib/relais-agent"))
        sub.add_argument("--hardware-id", default="")
        sub.add_argument("--platform", default="")
        sub.add_argument("--channel", default="")
        sub.add_argument("--product", default="")
        sub.add_argument("--version", default="0.0.0", help="installed version, first run")
        sub.add_argument("--target", type=Path, help="file or directory swapped atomically")
        sub.add_argument("--install-cmd", default="", help="installer (RELAIS_ARTIFACT)")
        sub.add_argument("--rollback-cmd", default="")
        sub.add_argument("--health-cmd", default="", help="non-zero exit: roll back")
        sub.add_argument("--health-timeout", type=float, default=60.0)
        sub.add_argument("--interval", type=float, default=3600.0)
        sub.add_argument("--jitter", type=float, default=0.1)
        sub.add_argument("--max-backoff", type=float, default=3600.0)
        sub.add_argument(
            "--allow-command", action="append", default=[], help="narrow the allow-list"
        )
        sub.add_argument(
            "--command-handler",
            action="append",
            default=[],
            metavar="TYPE=SHELL",
            help="run SHELL for commands of TYPE (RELAIS_COMMAND_DATA: their data, JSON)",
        )
        sub.add_argument("--site-id", default=os.environ.get("RELAIS_SITE_ID", ""))
        sub.add_argument("--site-key", default=os.environ.get("RELAIS_SITE_API_KEY", ""))
        sub.add_argument("--verbose", action="store_true")
    return parser


def shell_handlers(specs: list[str]) -> dict[str, CommandHandler]:
    """`TYPE=SHELL` → a handler running SHELL with the command's data in
    RELAIS_COMMAND_DATA; its result: exit code and the output's tail."""
    handlers: dict[str, CommandHandler] = {}
    for spec in specs:
        kind, _, command = spec.partition("=")

        def handler(data: dict[str, Any], command: str = command) -> dict[str, Any]:
            done = subprocess.run(  # noqa: S602 - the operator's own command line
                command,
                shell=True,
                env={**os.environ, "RELAIS_COMMAND_DATA": json.dumps(data)},
                capture_output=True,
                text=True,
                timeout=600,
            )
            if done.returncode != 0:
                raise RuntimeError(f"exit {done.returncode}: {done.stderr.strip()[-500:]}")
            return {"exitCode": 0, "output": done.stdout[-2000:]}

        handlers[kind] = handler
    return handlers


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    if not args.server or not (args.key or args.site_key):
        print(
            "relais-agent: --server and --key (or RELAIS_SERVER, RELAIS_LICENSE_KEY)",
            file=sys.stderr,
        )
        return 2
    config = AgentConfig(
        server=args.server,
        license_key=args.key or "",
        site_id=args.site_id,
        site_key=args.site_key,
        state_dir=args.state_dir,
        hardware_id=args.hardware_id,
        platform=args.platform,
        channel=args.channel,
        product=args.product,
        version=args.version,
        target=args.target,
        install_cmd=args.install_cmd,
        rollback_cmd=args.rollback_cmd,
        health_cmd=args.health_cmd,
        health_timeout=args.health_timeout,
        interval=args.interval,
        jitter=args.jitter,
        max_backoff=args.max_backoff,
    )
    if args.allow_command:
        config.allowed_commands = tuple(args.allow_command)
    try:
        agent = Agent(config, command_handlers=shell_handlers(args.command_handler))
        if args.command == "license":
            agent.start()
            print(json.dumps(agent.license_file(), indent=2))
            return 0
        if args.command == "check":
            result = agent.cycle()
            print(json.dumps(result.__dict__))
            return 0 if result.outcome in ("UP_TO_DATE", "UPDATED") else 1
        agent.start()
        channel = agent.command_channel() if config.site_id else None
        if channel is not None:
            channel.start()
        try:
            agent.run()
        finally:
            if channel is not None:
                channel.stop()
    except (AgentError, VerificationError) as exc:
        print(f"relais-agent: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
