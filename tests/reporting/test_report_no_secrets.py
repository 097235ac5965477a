"""A run with known secret values configured leaves none of them anywhere under reports/."""
from __future__ import annotations

import io
import json

from focus_support.reporting.run_report import finish_run
from focus_support.reporting.secrets_scan import find_secrets
from reporting_tiny_suite import STEPS, make_project, run_behave

WEB_PASSWORD = "Wp-4f9e1c77-secret"        # named by an env var only
MONGO_PASSWORD = "mongo/pa ss:w0rd!"       # registered through the config's SecretStr
ACCESS_TOKEN = "eyJhbGciOiJIUzI1NiJ9.tok3n.sig"

HOOKS = '''
import os
from pydantic import SecretStr
from focus_support.errors import UnreachableError
from focus_support.reporting import hooks as reporting_hooks
from focus_support.reporting.hooks import visible_hook
from focus_support.reporting.run_info import configure_from_environment


class FakeEnvironment:
    name = "tiny"
    tracker_url = "https://tracker.example/issues/{id}"
    class focus_server:
        url = "http://127.0.0.1:1/focus-server"
    class web_app:
        url = "http://qa:" + os.environ["FOCUS_WEB_APP_PASSWORD"] + "@127.0.0.1:1/prisma/api"
        class user:
            password = SecretStr(os.environ["FOCUS_WEB_APP_PASSWORD"])
    class mongodb:
        uri = SecretStr("mongodb://focus:" + os.environ["MONGO_PW"] + "@127.0.0.1:1/")
    class rabbitmq:
        url = SecretStr("amqp://focus:x@127.0.0.1:1/")
        management_url = "http://127.0.0.1:1"
        password = SecretStr(os.environ["MONGO_PW"])


@visible_hook
def before_all(context):
    reporting_hooks.before_all(context)
    configure_from_environment(FakeEnvironment(), profile="observed", defects=["lax_validation"])


@visible_hook
def before_scenario(context, scenario):
    if "broken_setup" in scenario.tags:
        raise UnreachableError("login with password " + os.environ["FOCUS_WEB_APP_PASSWORD"] + " refused")
'''

SECRET_STEPS = STEPS + '''
import os
from focus_support.exchanges import Exchange
from focus_support.reporting import evidence

@step("the secrets travel everywhere")
def leak_everywhere(context):
    web, mongo, token = os.environ["FOCUS_WEB_APP_PASSWORD"], os.environ["MONGO_PW"], os.environ["TOKEN_VALUE"]
    print("stdout mentions", web, mongo)
    # a careless exchange (the recorder normally redacts; evidence must redact again)
    evidence.attach_http_exchange({"method": "POST", "url": f"http://qa:{web}@127.0.0.1:1/prisma/api/auth/login",
                                   "request_headers": {"Authorization": f"Bearer {token}"},
                                   "request_body": {"username": "qa", "password": web},
                                   "status": 201, "response_headers": {"Set-Cookie": f"access-token={token}; Path=/"},
                                   "response_body": f"welcome {mongo}"})
    evidence.attach_mongo_query("users", "find", {"password": mongo}, [{"note": f"uri has {mongo}"}])
    evidence.attach_pod_log("grpc-job-1-2-abcde", f"connecting with {web}\\naccess-token={token}")
    evidence.attach("free text", f"web={web} mongo={mongo} token={token}")
    assert False, f"login as qa/{web} gave token {token} and mongo {mongo}"
'''

FEATURE = """\
Feature: Secrets
  Scenario: secrets in failures and evidence
    Given the secrets travel everywhere

  @broken_setup
  Scenario: secret in a hook error
    Given it works
"""


def test_no_secret_appears_under_reports(tmp_path):
    root = make_project(tmp_path, {"s.feature": FEATURE}, steps=SECRET_STEPS, hooks=HOOKS)
    env = {"FOCUS_WEB_APP_PASSWORD": WEB_PASSWORD, "MONGO_PW": MONGO_PASSWORD, "TOKEN_VALUE": ACCESS_TOKEN}
    run = run_behave(root, env=env, capture=True)
    assert WEB_PASSWORD in run.output, "the test must really use the secret (behave's console is not a report)"
    out = io.StringIO()
    code = finish_run(run.returncode, generate_html=True, reports=run.reports, out=out,
                      secrets=[WEB_PASSWORD, MONGO_PASSWORD, ACCESS_TOKEN])
    # the run fails for its own reasons (a new product bug, an infrastructure error), not for a leak
    assert code == 1
    assert "SECRET VALUES FOUND" not in out.getvalue(), out.getvalue()
    assert (run.reports / "allure-report" / "index.html").exists()
    files = [p for p in run.reports.rglob("*") if p.is_file()]
    assert len(files) > 20, "the report must have been generated for the scan to mean anything"
    leaks = find_secrets(run.reports, [WEB_PASSWORD, MONGO_PASSWORD, ACCESS_TOKEN])
    assert leaks == [], f"secret values found in {leaks}"
    # and the evidence is still there, masked rather than dropped
    results = {json.loads(p.read_text())["name"]: json.loads(p.read_text())
               for p in (run.reports / "allure-results").glob("*-result.json")}
    message = results["secrets in failures and evidence"]["statusDetails"]["message"]
    assert "login as qa/***" in message
    assert len(results["secrets in failures and evidence"]["steps"][0]["attachments"]) == 4
    props = (run.reports / "allure-results" / "environment.properties").read_text()
    assert "Web.App.URL=http://qa:***@127.0.0.1:1/prisma/api" in props and "Sandbox.Profile=observed" in props


def test_scan_finds_a_planted_secret(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "leak.txt").write_text("x " + WEB_PASSWORD)
    (tmp_path / "ok.txt").write_text("nothing")
    assert find_secrets(tmp_path, [WEB_PASSWORD]) == ["a/leak.txt"]
