"""The packaged stage (`make package`): cfn-lint, what the template promises, the zip.

The package is built once per session (tests/integration/packaged.py) into a temporary
directory, with no AWS credentials and no AWS call.
"""

from __future__ import annotations

import gettext
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import requests
from chalice.app import Chalice

from chalicelib.adapters.dynamodb.schema import (
    INDEX_CITY_NETWORK_OFFERS,
    INDEX_PROVIDER_OFFERS,
    INDEX_PROVIDER_ORDERS,
    INDEX_PROVIDER_UPDATES,
    TABLE_DEFINITION,
    TTL_ATTRIBUTE,
)
from infra.local.appserver import AppServer
from tests.integration.packaged import Packaged, packaged_stage

# The first test pays for the build (a minute on a fresh machine: Chalice fetches wheels).
pytestmark = pytest.mark.timeout(900)

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = "AWS::Serverless::Function"
API_GATEWAY_LIMIT_S = 29
MAX_ZIP_BYTES = 10 * 1024 * 1024
# The only `*` a role may hold: a path suffix of the stage's SSM parameters, and the
# table's stream names for ListStreams (which has no resource-level scoping).
ALLOWED_WILDCARD_RESOURCES = {
    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/stadsnatsfabriken/${Stage}/*",
    "${Table.Arn}/stream/*",
}


@pytest.fixture(scope="module")
def packaged() -> Packaged:
    return packaged_stage()


def functions(packaged: Packaged) -> dict[str, dict[str, Any]]:
    return {n: r for n, r in packaged.resources.items() if r["Type"] == FUNCTION}


def as_text(value: Any) -> str:
    """An intrinsic as the string a reader would write: GetAtt X.Arn is ${X.Arn}."""
    if isinstance(value, str):
        return value
    if "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    if "Fn::Sub" in value:
        return str(value["Fn::Sub"])
    if "Ref" in value:
        return "${" + value["Ref"] + "}"
    raise AssertionError(f"unexpected intrinsic {value}")


def role_statements(packaged: Packaged, role: str) -> list[dict[str, Any]]:
    properties = packaged.resources[role]["Properties"]
    return [
        statement
        for policy in properties.get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_of(function: dict[str, Any]) -> str:
    role: str = function["Properties"]["Role"]["Fn::GetAtt"][0]
    return role


def grants(packaged: Packaged, role: str) -> set[tuple[str, str]]:
    """(action, resource) pairs the role allows."""
    return {
        (action, as_text(resource))
        for statement in role_statements(packaged, role)
        if statement["Effect"] == "Allow"
        for action in listed(statement["Action"])
        for resource in listed(statement["Resource"])
    }


# --- cfn-lint ----------------------------------------------------------------------------


def test_cfn_lint_passes_on_the_packaged_template(packaged):
    # No rule is ignored: the template passes cfn-lint as it is.
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cfn_lint), str(packaged.template_path)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- functions ---------------------------------------------------------------------------


def test_every_function_runs_python_3_12_or_newer(packaged):
    for name, function in functions(packaged).items():
        runtime = function["Properties"]["Runtime"]
        match = re.fullmatch(r"python3\.(\d+)", runtime)
        assert match and int(match.group(1)) >= 12, (name, runtime)


def test_there_is_one_function_per_endpoint_group(packaged):
    assert set(functions(packaged)) == {
        "APIHandler",  # customer web + identification
        "ProviderApiHandler",  # /tl/v1
        "HandleActivationMessages",
        "DeliverWebhooks",
        "SendNotifications",  # customer mail through SES
        "RelayOrderEvents",
        "PollCityNetworkEvents",  # scheduled: ON-API order events
        "SyncCityNetworkAccesses",  # scheduled: ON-API access lists (the address search)
    }


def test_every_function_has_its_own_role_and_no_managed_policies(packaged):
    roles = [role_of(function) for function in functions(packaged).values()]
    assert len(set(roles)) == len(roles)
    for role in roles:
        properties = packaged.resources[role]["Properties"]
        assert packaged.resources[role]["Type"] == "AWS::IAM::Role"
        assert "ManagedPolicyArns" not in properties
        principal = properties["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        assert principal == {"Service": "lambda.amazonaws.com"}


def test_no_role_has_a_wildcard_action_or_resource_or_may_scan(packaged):
    iam_roles = [n for n, r in packaged.resources.items() if r["Type"] == "AWS::IAM::Role"]
    assert len(iam_roles) == len(functions(packaged))
    for role in iam_roles:
        for action, resource in grants(packaged, role):
            assert "*" not in action, (role, action)
            assert action.lower() not in {"dynamodb:scan", "dynamodb:partiqlselect"}, role
            if "*" in resource:
                assert resource in ALLOWED_WILDCARD_RESOURCES, (role, resource)
            if resource == "${Table.Arn}/stream/*":
                assert action == "dynamodb:ListStreams", (role, action)


def test_each_function_logs_only_to_its_own_log_group(packaged):
    for name, function in functions(packaged).items():
        log_resources = {
            resource
            for action, resource in grants(packaged, role_of(function))
            if action.startswith("logs:")
        }
        [log_group] = log_resources
        group_name = packaged.resources[log_group.strip("${}").removesuffix(".Arn")]
        expected = "/aws/lambda/" + function["Properties"]["FunctionName"]["Fn::Sub"]
        assert group_name["Properties"]["LogGroupName"]["Fn::Sub"] == expected, name


def test_the_customer_function_cannot_reach_the_provider_indexes(packaged):
    role = role_of(packaged.resources["APIHandler"])
    resources = {resource for _, resource in grants(packaged, role)}
    assert f"${{Table.Arn}}/index/{INDEX_CITY_NETWORK_OFFERS}" in resources
    for index in (INDEX_PROVIDER_ORDERS, INDEX_PROVIDER_UPDATES, INDEX_PROVIDER_OFFERS):
        assert not any(index in resource for resource in resources), index


def test_the_provider_function_reaches_its_indexes_and_no_catalog_index(packaged):
    role = role_of(packaged.resources["ProviderApiHandler"])
    resources = {resource for _, resource in grants(packaged, role)}
    for index in (INDEX_PROVIDER_ORDERS, INDEX_PROVIDER_UPDATES, INDEX_PROVIDER_OFFERS):
        assert f"${{Table.Arn}}/index/{index}" in resources
    assert not any(INDEX_CITY_NETWORK_OFFERS in resource for resource in resources)


def test_only_the_relay_reads_the_table_stream(packaged):
    readers = {
        name
        for name, function in functions(packaged).items()
        if any(a == "dynamodb:GetRecords" for a, _ in grants(packaged, role_of(function)))
    }
    assert readers == {"RelayOrderEvents"}


def test_the_poller_runs_every_minute_unretried_and_only_reads_and_puts_on_the_table(packaged):
    poller = packaged.resources["PollCityNetworkEvents"]
    [source] = event_sources(poller)
    assert source == {"Type": "Schedule", "Properties": {"Schedule": "rate(1 minute)"}}
    # The next tick reads again from the stored cursor: an async retry would only add runs.
    assert poller["Properties"]["EventInvokeConfig"]["MaximumRetryAttempts"] == 0
    assert poller["Properties"]["Timeout"] <= 60
    stage_parameters = next(r for r in ALLOWED_WILDCARD_RESOURCES if "ssm" in r)
    log_group = "${NetworkEventPollerLogGroup.Arn}"
    assert grants(packaged, role_of(poller)) == {
        ("logs:CreateLogStream", log_group),
        ("logs:PutLogEvents", log_group),
        # The catalog's city networks, an order, a feed cursor; an order with its events
        # (TransactWriteItems of conditional Puts) and a feed cursor.
        ("dynamodb:GetItem", "${Table.Arn}"),
        ("dynamodb:Query", "${Table.Arn}"),
        ("dynamodb:PutItem", "${Table.Arn}"),
        ("ssm:GetParameter", stage_parameters),
    }


def test_the_access_sync_runs_every_quarter_hour_unretried_and_only_reads_and_writes_items(
    packaged,
):
    sync = packaged.resources["SyncCityNetworkAccesses"]
    [source] = event_sources(sync)
    assert source == {"Type": "Schedule", "Properties": {"Schedule": "rate(15 minutes)"}}
    # The next run reads the list again from the stored Last-Modified.
    assert sync["Properties"]["EventInvokeConfig"]["MaximumRetryAttempts"] == 0
    assert sync["Properties"]["Timeout"] <= 900
    stage_parameters = next(r for r in ALLOWED_WILDCARD_RESOURCES if "ssm" in r)
    log_group = "${AccessListSyncLogGroup.Arn}"
    assert grants(packaged, role_of(sync)) == {
        ("logs:CreateLogStream", log_group),
        ("logs:PutLogEvents", log_group),
        # The catalog's city networks and a network's Last-Modified; the stored entries of
        # the rows received, the changed ones written, and the Last-Modified.
        ("dynamodb:GetItem", "${Table.Arn}"),
        ("dynamodb:Query", "${Table.Arn}"),
        ("dynamodb:PutItem", "${Table.Arn}"),
        ("dynamodb:BatchGetItem", "${Table.Arn}"),
        ("dynamodb:BatchWriteItem", "${Table.Arn}"),
        ("ssm:GetParameter", stage_parameters),
    }


def test_api_functions_answer_before_api_gateway_gives_up(packaged):
    for name in ("APIHandler", "ProviderApiHandler"):
        assert functions(packaged)[name]["Properties"]["Timeout"] < API_GATEWAY_LIMIT_S


def test_the_provider_function_is_the_api_handlers_code_under_its_own_role(packaged):
    customer = packaged.resources["APIHandler"]["Properties"]
    provider = packaged.resources["ProviderApiHandler"]["Properties"]
    for same in ("CodeUri", "Handler", "Runtime", "Environment", "Timeout", "MemorySize"):
        assert provider[same] == customer[same], same
    assert provider["Role"] != customer["Role"]


def test_no_secret_travels_in_configuration_or_template(packaged):
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage, settings in config["stages"].items():
        environment = {**config["environment_variables"], **settings["environment_variables"]}
        assert environment["SECRETS_SSM_PREFIX"] == f"/stadsnatsfabriken/{stage}"
        assert not [name for name in environment if name.startswith("SECRET_")]
    for function in functions(packaged).values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert not [n for n in variables if re.search("SECRET_|PASSWORD|SIGNING_KEY", n)]


# --- event sources and queues ------------------------------------------------------------


def event_sources(function: dict[str, Any]) -> list[dict[str, Any]]:
    return list(function["Properties"].get("Events", {}).values())


def test_the_workers_and_the_relay_report_batch_item_failures(packaged):
    for name in (
        "HandleActivationMessages",
        "DeliverWebhooks",
        "SendNotifications",
        "RelayOrderEvents",
    ):
        [source] = event_sources(packaged.resources[name])
        assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name


@pytest.mark.parametrize(
    ("queue", "worker"),
    [
        ("ActivationQueue", "HandleActivationMessages"),
        ("WebhookQueue", "DeliverWebhooks"),
        ("NotificationQueue", "SendNotifications"),
    ],
)
def test_queues_redrive_to_a_dlq_and_outlast_their_worker(packaged, queue, worker):
    properties = packaged.resources[queue]["Properties"]
    redrive = properties["RedrivePolicy"]
    dlq = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert packaged.resources[dlq]["Type"] == "AWS::SQS::Queue"
    assert int(redrive["maxReceiveCount"]) == 5
    [source] = event_sources(packaged.resources[worker])
    assert as_text(source["Properties"]["Queue"]) == f"${{{queue}.Arn}}"
    timeout = packaged.resources[worker]["Properties"]["Timeout"]
    assert properties["VisibilityTimeout"] >= 6 * timeout


def test_config_and_template_name_the_same_queues_and_table(packaged):
    variables = packaged.resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    stage = packaged.stage
    names = {
        "TABLE_NAME": "Table",
        "ACTIVATION_QUEUE_NAME": "ActivationQueue",
        "WEBHOOK_QUEUE_NAME": "WebhookQueue",
        "NOTIFICATION_QUEUE_NAME": "NotificationQueue",
    }
    for variable, resource in names.items():
        properties = packaged.resources[resource]["Properties"]
        name = properties.get("TableName") or properties["QueueName"]
        assert name["Fn::Sub"].replace("${Stage}", stage) == variables[variable]
    globals_ = packaged.template["Globals"]["Function"]["Environment"]["Variables"]
    assert globals_["ACTIVATION_QUEUE_URL"] == {"Ref": "ActivationQueue"}
    assert globals_["WEBHOOK_QUEUE_URL"] == {"Ref": "WebhookQueue"}
    assert globals_["NOTIFICATION_QUEUE_URL"] == {"Ref": "NotificationQueue"}
    assert globals_["NOTIFICATION_DLQ_URL"] == {"Ref": "NotificationDeadLetterQueue"}


# --- table -------------------------------------------------------------------------------


def test_the_table_is_the_schemas_table_protected_and_encrypted(packaged):
    table = packaged.resources["Table"]
    properties = table["Properties"]
    for key in ("KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "BillingMode"):
        assert properties[key] == TABLE_DEFINITION[key], key
    assert (
        properties["StreamSpecification"]["StreamViewType"]
        == (TABLE_DEFINITION["StreamSpecification"]["StreamViewType"])
    )
    assert properties["TimeToLiveSpecification"] == {
        "AttributeName": TTL_ATTRIBUTE,
        "Enabled": True,
    }
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    assert properties["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"


# --- alarms ------------------------------------------------------------------------------


def alarms(packaged: Packaged) -> list[dict[str, Any]]:
    return [
        r["Properties"]
        for r in packaged.resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    ]


def test_every_dlq_has_a_depth_alarm(packaged):
    watched = {
        alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in alarms(packaged)
        if alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        and alarm["Threshold"] == 0
        and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    }
    assert watched == {
        "ActivationDeadLetterQueue",
        "WebhookDeadLetterQueue",
        "NotificationDeadLetterQueue",
    }


def test_every_function_has_an_errors_alarm(packaged):
    watched = {
        alarm["Dimensions"][0]["Value"]["Ref"]
        for alarm in alarms(packaged)
        if alarm["Namespace"] == "AWS/Lambda" and alarm["MetricName"] == "Errors"
    }
    assert watched == set(functions(packaged))


# --- API ---------------------------------------------------------------------------------


def test_the_api_is_regional(packaged):
    assert packaged.resources["RestAPI"]["Properties"]["EndpointConfiguration"] == "REGIONAL"


def integrations(packaged: Packaged) -> dict[tuple[str, str], str]:
    """(path, method) -> the function its integration invokes."""
    paths = packaged.resources["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    found = {}
    for path, operations in paths.items():
        for method, operation in operations.items():
            uri = operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            found[(path, method)] = re.search(r"\$\{(\w+)\.Arn\}", uri).group(1)
    return found


def test_provider_paths_go_to_the_provider_function_and_the_rest_to_the_customer_web(packaged):
    routed = integrations(packaged)
    assert ("/tl/v1/orders", "get") in routed and ("/", "get") in routed
    for (path, _), function in routed.items():
        expected = "ProviderApiHandler" if path.startswith("/tl/v1/") else "APIHandler"
        assert function == expected, path


def test_api_gateway_may_invoke_the_provider_function_for_provider_paths_only(packaged):
    permission = packaged.resources["ProviderApiInvokePermission"]["Properties"]
    assert permission["FunctionName"] == {"Ref": "ProviderApiHandler"}
    assert permission["SourceArn"]["Fn::Sub"].endswith("${RestAPI}/*/*/tl/v1/*")


def test_every_provider_method_is_throttled_and_the_usage_plan_states_it(packaged):
    settings = packaged.resources["RestAPI"]["Properties"]["MethodSettings"]
    throttled = {
        (s["ResourcePath"], s["HttpMethod"])
        for s in settings
        if s["ThrottlingBurstLimit"] <= 50 and s["ThrottlingRateLimit"] <= 25
    }
    for path, method in integrations(packaged):
        if path.startswith("/tl/v1/"):
            assert ("/" + path.replace("/", "~1"), method.upper()) in throttled
    assert {"ResourcePath": "/*", "HttpMethod": "*"}.items() <= settings[0].items()
    plan = packaged.resources["ProviderApiUsagePlan"]["Properties"]
    assert plan["ApiStages"][0]["ApiId"] == {"Ref": "RestAPI"}
    assert plan["Throttle"] == {"BurstLimit": 50, "RateLimit": 25}


@pytest.mark.parametrize(
    "response_type",
    ["DEFAULT_4XX", "DEFAULT_5XX", "THROTTLED", "MISSING_AUTHENTICATION_TOKEN"],
)
def test_gateway_responses_use_the_projects_error_shape(packaged, response_type):
    body = packaged.resources["RestAPI"]["Properties"]["DefinitionBody"]
    response = body["x-amazon-apigateway-gateway-responses"][response_type]
    rendered = response["responseTemplates"]["application/json"].replace(
        "$context.error.messageString", json.dumps("what API Gateway says")
    )
    error = json.loads(rendered)["error"]
    assert set(error) == {"code", "message"}
    assert re.fullmatch(r"[a-z_]+", error["code"])


# --- the zip -----------------------------------------------------------------------------


def test_the_zip_carries_the_forms_at_the_package_root(packaged):
    names = set(zipfile.ZipFile(packaged.zip_path).namelist())
    forms = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "forms").rglob("*.json"))
    assert "forms/base.json" in forms
    assert set(forms) <= names


def test_the_zip_leaves_boto3_to_the_runtime_and_stays_under_10_mb(packaged):
    names = zipfile.ZipFile(packaged.zip_path).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    assert not {"boto3", "botocore"} & tops
    assert "app.py" in names and "chalicelib/composition/__init__.py" in names
    assert packaged.zip_path.stat().st_size < MAX_ZIP_BYTES


# --- packaging refuses inconsistent configuration ---------------------------------------


def test_packaging_refuses_a_queue_name_the_template_does_not_create():
    from infra.package import PackagingError, check_names, merge_template, stage_environment

    environment = {**stage_environment("dev"), "ACTIVATION_QUEUE_NAME": "somewhere-else"}
    with pytest.raises(PackagingError, match="ACTIVATION_QUEUE_NAME"):
        check_names(merge_template("dev"), "dev", environment)


def test_the_local_stack_answers_an_unknown_path_as_the_deployed_gateway_does(packaged):
    # Given the deployed template's answer for a path no route has
    body = packaged.resources["RestAPI"]["Properties"]["DefinitionBody"]
    deployed = body["x-amazon-apigateway-gateway-responses"]["MISSING_AUTHENTICATION_TOKEN"]
    app = Chalice(app_name="one-route")
    app.route("/known")(lambda: {"known": True})
    # When the local app server is asked for a path no route has
    server = AppServer(app).start()
    try:
        unknown = requests.get(f"{server.url}/no/such/path", timeout=5)
        known = requests.get(f"{server.url}/known", timeout=5)
    finally:
        server.stop()
    # Then it answers as API Gateway would, and routes still answer for themselves
    assert unknown.status_code == int(deployed["statusCode"])
    assert unknown.headers["Content-Type"] == "application/json"
    assert unknown.json() == json.loads(deployed["responseTemplates"]["application/json"])
    assert known.json() == {"known": True}


# --- the customer web's templates and texts ----------------------------------------------

WEB = ROOT / "chalicelib" / "web"


def test_the_zip_carries_the_compiled_catalogs_and_the_templates(packaged):
    archive = zipfile.ZipFile(packaged.zip_path)
    names = set(archive.namelist())
    expected = {"sv": "Sidan finns inte", "en": "Page not found"}
    for language, page_not_found in expected.items():
        compiled = f"chalicelib/web/locale/{language}/LC_MESSAGES/messages.mo"
        assert compiled in names, compiled
        translations = gettext.GNUTranslations(io.BytesIO(archive.read(compiled)))
        assert translations.gettext("Page not found") == page_not_found
    templates = sorted(
        p.relative_to(ROOT).as_posix()
        for pattern in ("**/*.html", "**/*.txt")
        for p in (WEB / "templates").glob(pattern)
    )
    assert {"chalicelib/web/templates/base.html", "chalicelib/web/templates/macros.html"} <= set(
        templates
    )
    assert set(templates) <= names
    assert {
        "chalicelib/web/templates/mail/confirmation.html",
        "chalicelib/web/templates/mail/confirmation.txt",
    } <= set(templates)
    compiled_templates = [n for n in names if n.startswith("chalicelib/web/template_cache/")]
    # Every template once, and the HTML macro files the mails' text imports once more (the
    # text Environment compiles them unescaped: chalicelib/web/mail.py).
    from chalicelib.web.mail import TEXT_IMPORTS

    assert len(compiled_templates) == len(templates) + len(TEXT_IMPORTS)
    tops = {name.split("/", 1)[0] for name in names}
    assert {"jinja2", "markupsafe", "babel"} <= tops


def test_the_zip_keeps_only_the_babel_locale_data_of_our_languages(packaged):
    names = zipfile.ZipFile(packaged.zip_path).namelist()
    data = [n for n in names if n.startswith("babel/locale-data/") and n.endswith(".dat")]
    assert {"babel/locale-data/sv.dat", "babel/locale-data/en.dat"} <= set(data)
    assert {n.rsplit("/", 1)[1].split("_")[0].removesuffix(".dat") for n in data} == {
        "root",
        "sv",
        "en",
    }


def test_the_packaged_web_renders_both_languages_from_the_zip_alone(packaged, tmp_path):
    # Given the zip unpacked as Lambda would (/var/task), and nothing of this checkout's
    with zipfile.ZipFile(packaged.zip_path) as archive:
        archive.extractall(tmp_path)
    program = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "import jinja2.environment; "
        # The package's templates come compiled: compiling one here would be a miss.
        "jinja2.environment.Environment.compile = None; "
        "from chalicelib.web.i18n import choose_language; "
        "from chalicelib.web.pages import PageContext, error_page; "
        "lang = choose_language(None, None, sys.argv[2]); "
        "print(error_page(PageContext(language=lang, path='/'), 404))"
    )
    for header, expected in (("sv-SE", "Sidan finns inte"), ("en-GB,en;q=0.9", "Page not found")):
        # When a page is rendered by the packaged code, without site-packages (-S)
        done = subprocess.run(
            [sys.executable, "-S", "-c", program, str(tmp_path), header],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        # Then the compiled templates and catalogs were found in the package
        assert done.returncode == 0, done.stderr
        assert expected in done.stdout
        assert f'<html lang="{header[:2]}">' in done.stdout


# --- notifications ---------------------------------------------------------------------


def test_the_notification_worker_is_in_the_zip_and_handles_the_notification_queue(packaged):
    names = set(zipfile.ZipFile(packaged.zip_path).namelist())
    assert "chalicelib/workers/notifications.py" in names
    assert "chalicelib/adapters/ses.py" in names
    worker = packaged.resources["SendNotifications"]["Properties"]
    assert worker["Handler"] == "chalicelib.workers.notifications.send_notifications"
    [source] = event_sources(packaged.resources["SendNotifications"])
    assert source["Properties"]["ScalingConfig"]["MaximumConcurrency"] >= 2
    assert "PUBLIC_BASE_URL" in worker["Environment"]["Variables"]


def test_the_notification_worker_sends_mail_only_as_the_sender_identity(packaged):
    role = role_of(packaged.resources["SendNotifications"])
    allowed = grants(packaged, role)
    ses = {(action, resource) for action, resource in allowed if action.startswith("ses:")}
    identity = (
        "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${MailSenderIdentity}"
    )
    assert ses == {("ses:SendEmail", identity), ("ses:SendRawEmail", identity)}
    table = {action for action, resource in allowed if resource == "${Table.Arn}"}
    assert table == {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    }
    queues = {resource for action, resource in allowed if action.startswith("sqs:")}
    assert queues == {"${NotificationQueue.Arn}", "${NotificationDeadLetterQueue.Arn}"}
    dlq = {
        action for action, resource in allowed if resource == "${NotificationDeadLetterQueue.Arn}"
    }
    assert dlq == {"sqs:SendMessage"}
    # No other function may send mail.
    for name, function in functions(packaged).items():
        if name != "SendNotifications":
            assert not any(a.startswith("ses:") for a, _ in grants(packaged, role_of(function)))


def test_the_relay_may_queue_mails(packaged):
    relay = role_of(packaged.resources["RelayOrderEvents"])
    assert ("sqs:SendMessage", "${NotificationQueue.Arn}") in grants(packaged, relay)


def test_packaging_refuses_a_mail_sender_outside_the_sender_identity():
    from infra.package import PackagingError, check_names, merge_template, stage_environment

    environment = {**stage_environment("dev"), "MAIL_SENDER": "no-reply@elsewhere.example"}
    with pytest.raises(PackagingError, match="MAIL_SENDER"):
        check_names(merge_template("dev"), "dev", environment)
