"""`relais-agent run --server URL --key KEY [--target PATH | --install-cmd CMD] ...`"""

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from .agent import Agent, AgentConfig
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
        sub.add_argument("--allow-command", action="append", default=[])
        sub.add_argument("--verbose", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    if not args.server or not args.key:
        print(
            "relais-agent: --server and --key (or RELAIS_SERVER, RELAIS_LICENSE_KEY)",
            file=sys.stderr,
        )
        return 2
    config = AgentConfig(
        server=args.server,
        license_key=args.key,
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
        allowed_commands=tuple(args.allow_command),
    )
    try:
        agent = Agent(config)
        if args.command == "license":
            agent.start()
            print(json.dumps(agent.license_file(), indent=2))
            return 0
        if args.command == "check":
            result = agent.cycle()
            print(json.dumps(result.__dict__))
            return 0 if result.outcome in ("UP_TO_DATE", "UPDATED") else 1
        agent.start()
        agent.run()
    except (AgentError, VerificationError) as exc:
        print(f"relais-agent: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
