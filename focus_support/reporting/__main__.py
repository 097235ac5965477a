"""``python -m focus_support.reporting finish|triage|generate|serve|scan``: the report after a run."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from focus_support.reporting.allure_cli import generate_report, open_instructions
from focus_support.reporting.records import RECORD_FILE, load_records
from focus_support.reporting.redaction import known_secrets
from focus_support.reporting.run_report import REPORTS, finish_run
from focus_support.reporting.secrets_scan import find_secrets
from focus_support.reporting.serve import make_server
from focus_support.reporting.triage import Triage, render_markdown


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m focus_support.reporting", description=__doc__)
    parser.add_argument("--reports", type=Path, default=REPORTS, help="reports folder (default: reports/)")
    sub = parser.add_subparsers(dest="command", required=True)
    finish = sub.add_parser("finish", help="triage + HTML report + verdict after a behave run")
    finish.add_argument("--behave-exit-code", type=int, default=0)
    finish.add_argument("--strict", action="store_true", help="known bugs and open questions fail too")
    finish.add_argument("--no-html", action="store_true")
    triage = sub.add_parser("triage", help="print the triage of the last run and its exit code")
    triage.add_argument("--strict", action="store_true")
    sub.add_parser("generate", help="(re)generate the HTML report from reports/allure-results")
    serve = sub.add_parser("serve", help="serve a generated report on http://127.0.0.1")
    serve.add_argument("report", nargs="?", type=Path)
    serve.add_argument("--port", type=int, default=0)
    sub.add_parser("scan", help="fail when a known secret value appears under reports/")
    args = parser.parse_args(argv)

    if args.command == "finish":
        return finish_run(args.behave_exit_code, strict=args.strict, generate_html=not args.no_html,
                          reports=args.reports)
    if args.command == "triage":
        triage = Triage.of(load_records(args.reports / RECORD_FILE), strict=args.strict)
        print(render_markdown(triage, strict=args.strict))
        return triage.exit_code
    if args.command == "generate":
        report = generate_report(args.reports / "allure-results", args.reports / "allure-report",
                                 args.reports / "history")
        print(open_instructions(report))
        return 0
    if args.command == "serve":
        server = make_server(args.report or args.reports / "allure-report", args.port)
        print(f"Serving the report on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        return 0
    leaks = find_secrets(args.reports, known_secrets())
    for leak in leaks:
        print(f"secret value found in {leak}")
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
