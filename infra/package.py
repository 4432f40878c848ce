"""Package a stage for AWS: `python -m infra.package --stage prod` (what `make package` does).

Writes build/<stage>/sam.json (a SAM/CloudFormation template) and deployment.zip. Needs no
AWS credentials and calls no AWS API; Chalice downloads the Lambda wheels from PyPI on
the first run and caches them in .chalice/deployments/.

1. forms/ is copied to vendor/forms/: Chalice ships only app.py, chalicelib/ and vendor/,
   and vendor/'s contents land at the package root, so the forms end up at
   /var/task/forms, where chalicelib/adapters/form_files.py looks for them.
2. The gettext catalogs are compiled (infra/catalogs.py: chalicelib/web/locale/*/LC_MESSAGES/
   messages.mo) and so are the templates (chalicelib/web/template_cache/, Jinja2 bytecode,
   so a cold function does not compile them): build output, not committed, that chalicelib/
   carries into the zip.
3. The merge template is infra/merge-template.yaml plus what is generated, not retyped:
   the table's keys, indexes, stream and TTL attribute from
   chalicelib/adapters/dynamodb/schema.py, and the Stage parameter pinned to this stage.
4. `chalice package --merge-template` writes the template and the zip.
5. The zip keeps only the Babel locale data of the web's languages (Babel ships every
   locale's, 30 MB; the web negotiates between Swedish and English only).
6. Post-processing of the template does the one thing a static merge cannot, because it
   depends on the app's routes: for each of Metadata.RouteGroups, every path under its
   prefix integrates with that group's function and gets its per-method throttle; the
   group's function is completed from APIHandler (same code, handler, runtime,
   environment). Everything else stays with APIHandler.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from infra.catalogs import compile_catalogs

ROOT = Path(__file__).resolve().parents[1]
MERGE_TEMPLATE = ROOT / "infra" / "merge-template.yaml"
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"
FORMS = ROOT / "forms"
VENDORED_FORMS = ROOT / "vendor" / "forms"
API_HANDLER = "APIHandler"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
BABEL_LOCALE_DATA = "babel/locale-data/"
# The web's languages (chalicelib/web/i18n.py) and what their data falls back to.
KEPT_LOCALE_DATA = ("root", "sv", "en")

Template = dict[str, Any]


class PackagingError(Exception):
    """The configuration and the template disagree: nothing usable was written."""


def package(stage: str, out: Path) -> Path:
    """Package `stage` into `out`; returns the template's path."""
    environment = stage_environment(stage)
    merge = merge_template(stage)
    check_names(merge, stage, environment)
    vendor_forms()
    compile_catalogs()
    compile_templates()
    with tempfile.TemporaryDirectory(prefix="merge-") as scratch:
        merge_path = Path(scratch) / "merge-template.json"
        merge_path.write_text(json.dumps(merge, indent=1))
        run_chalice_package(stage, merge_path, out)
    keep_only_our_locale_data(out / "deployment.zip")
    template_path = out / "sam.json"
    template = json.loads(template_path.read_text())
    apply_route_groups(template)
    check_functions(template)
    template_path.write_text(json.dumps(template, indent=2) + "\n")
    return template_path


# --- inputs ----------------------------------------------------------------------------


def stage_environment(stage: str) -> dict[str, str]:
    """The stage's environment variables as Chalice merges them (global, then stage)."""
    config = json.loads(CHALICE_CONFIG.read_text())
    if stage not in config.get("stages", {}):
        known = ", ".join(sorted(config.get("stages", {})))
        raise PackagingError(f"stage {stage!r} is not in .chalice/config.json ({known})")
    environment = {
        **config.get("environment_variables", {}),
        **config["stages"][stage].get("environment_variables", {}),
    }
    from chalicelib.settings import Settings

    if Settings.from_environment(environment).allow_insecure_webhooks:
        raise PackagingError(
            f"stage {stage!r} sets STAGE=local, which allows plain-http webhooks to loopback; "
            "that is for the local stack only and is never packaged"
        )
    return environment


def load_merge_template() -> Template:
    from chalice.package import YAMLTemplateSerializer

    loaded: Template = YAMLTemplateSerializer().load_template(
        MERGE_TEMPLATE.read_text(), str(MERGE_TEMPLATE)
    )
    return loaded


def merge_template(stage: str) -> Template:
    template = load_merge_template()
    parameter = template["Parameters"]["Stage"]
    parameter["Default"] = stage
    parameter["AllowedValues"] = [stage]
    table = template["Resources"]["Table"]["Properties"]
    generated = table_properties()
    overlap = sorted(set(generated) & set(table))
    if overlap:
        raise PackagingError(f"{MERGE_TEMPLATE.name} sets {overlap}: they come from schema.py")
    table.update(generated)
    return template


def table_properties() -> dict[str, Any]:
    """The CloudFormation form of chalicelib/adapters/dynamodb/schema.py's table."""
    from chalicelib.adapters.dynamodb.schema import TABLE_DEFINITION, TTL_ATTRIBUTE

    definition = copy.deepcopy(TABLE_DEFINITION)
    properties: dict[str, Any] = {
        "KeySchema": definition.pop("KeySchema"),
        "AttributeDefinitions": definition.pop("AttributeDefinitions"),
        "GlobalSecondaryIndexes": definition.pop("GlobalSecondaryIndexes"),
        "BillingMode": definition.pop("BillingMode"),
        "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
    }
    stream = definition.pop("StreamSpecification", None)
    if stream and stream.get("StreamEnabled"):
        # The API takes StreamEnabled; CloudFormation only the view type.
        properties["StreamSpecification"] = {"StreamViewType": stream["StreamViewType"]}
    if definition:
        unmapped = sorted(definition)
        raise PackagingError(
            f"schema.TABLE_DEFINITION has keys package.py does not map: {unmapped}"
        )
    return properties


def check_names(template: Template, stage: str, environment: dict[str, str]) -> None:
    """The names the app is configured with are the names the template creates."""
    resources = template["Resources"]
    expected = {
        "TABLE_NAME": resources["Table"]["Properties"]["TableName"],
        "ACTIVATION_QUEUE_NAME": resources["ActivationQueue"]["Properties"]["QueueName"],
        "WEBHOOK_QUEUE_NAME": resources["WebhookQueue"]["Properties"]["QueueName"],
        "NOTIFICATION_QUEUE_NAME": resources["NotificationQueue"]["Properties"]["QueueName"],
    }
    for variable, name in expected.items():
        resolved = name["Fn::Sub"].replace("${Stage}", stage)
        if environment.get(variable) != resolved:
            raise PackagingError(
                f".chalice/config.json stage {stage}: {variable} is "
                f"{environment.get(variable)!r}, the template creates {resolved!r}"
            )
    identity = str(template["Parameters"]["MailSenderIdentity"]["Default"])
    sender = environment.get("MAIL_SENDER", "")
    if sender != identity and sender.rpartition("@")[2] != identity:
        raise PackagingError(
            f"stage {stage}: MAIL_SENDER {sender!r} is not the SES identity {identity!r} "
            "the notification worker may send as"
        )
    prefix = f"/stadsnatsfabriken/{stage}"
    if environment.get("SECRETS_SSM_PREFIX") != prefix:
        raise PackagingError(
            f"stage {stage}: SECRETS_SSM_PREFIX must be {prefix} (the roles' scope)"
        )


def vendor_forms() -> None:
    if VENDORED_FORMS.exists():
        shutil.rmtree(VENDORED_FORMS)
    shutil.copytree(FORMS, VENDORED_FORMS)


def run_chalice_package(stage: str, merge_path: Path, out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    chalice = Path(sys.executable).with_name("chalice")
    command = [
        str(chalice),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(merge_path),
        str(out),
    ]
    # Packaging reads no AWS state, but botocore insists on a region to build a session.
    env = {**os.environ}
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", "eu-north-1"))
    subprocess.run(command, cwd=ROOT, env=env, check=True)


def compile_templates() -> list[str]:
    """The web's HTML templates, then the mails' plain-text ones (their own Environment,
    which also compiles the HTML macro files they import, unescaped)."""
    from chalicelib.web.mail import TEXT_IMPORTS, build_text_environment
    from chalicelib.web.rendering import build_environment
    from chalicelib.web.template_cache import write_template_cache

    names = write_template_cache(build_environment(write_cache=True))
    text = build_text_environment(write_cache=True)
    names += write_template_cache(text, extensions=("txt",), empty_first=False)
    for name in TEXT_IMPORTS:
        text.get_template(name)
    return [*names, *TEXT_IMPORTS]


def keep_only_our_locale_data(zip_path: Path) -> None:
    """Rewrite the zip without the Babel locale data of languages the web does not speak."""

    def kept(name: str) -> bool:
        if not name.startswith(BABEL_LOCALE_DATA) or not name.endswith(".dat"):
            return True
        locale = name.removeprefix(BABEL_LOCALE_DATA).removesuffix(".dat")
        return locale.split("_")[0] in KEPT_LOCALE_DATA

    with zipfile.ZipFile(zip_path) as source:
        entries = source.infolist()
        if all(kept(entry.filename) for entry in entries):
            return
        slim = zip_path.with_name(zip_path.name + ".slim")
        with zipfile.ZipFile(slim, "w") as target:
            for entry in entries:
                if kept(entry.filename):
                    target.writestr(entry, source.read(entry), compress_type=entry.compress_type)
    slim.replace(zip_path)


# --- post-processing -------------------------------------------------------------------


def apply_route_groups(template: Template) -> None:
    resources = template["Resources"]
    api = resources["RestAPI"]["Properties"]
    paths: dict[str, dict[str, Any]] = api["DefinitionBody"]["paths"]
    for group in template.get("Metadata", {}).get("RouteGroups", []):
        prefix, function = group["PathPrefix"].rstrip("/"), group["Function"]
        complete_from_api_handler(resources, function)
        throttle = group["Throttle"]
        matched = [p for p in paths if p == prefix or p.startswith(prefix + "/")]
        if not matched:
            raise PackagingError(f"route group {prefix} matches no route of the app")
        for path in matched:
            for method, operation in paths[path].items():
                if method not in HTTP_METHODS:
                    continue
                operation["x-amazon-apigateway-integration"]["uri"] = integration_uri(function)
                api["MethodSettings"].append(
                    {
                        "ResourcePath": method_settings_path(path),
                        "HttpMethod": method.upper(),
                        "ThrottlingBurstLimit": throttle["BurstLimit"],
                        "ThrottlingRateLimit": throttle["RateLimit"],
                    }
                )


def complete_from_api_handler(resources: Template, function: str) -> None:
    """`function` gets APIHandler's properties, except those the merge template sets."""
    declared = resources[function]["Properties"]
    inherited = copy.deepcopy(resources[API_HANDLER]["Properties"])
    resources[function]["Properties"] = {**inherited, **declared}


def integration_uri(function: str) -> dict[str, str]:
    return {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31"
        f"/functions/${{{function}.Arn}}/invocations"
    }


def method_settings_path(path: str) -> str:
    """API Gateway's MethodSettings spelling of a resource path: every "/" of the path is
    "~1", after a leading "/" (/tl/v1/orders is /~1tl~1v1~1orders)."""
    return "/" + path.replace("/", "~1")


def check_functions(template: Template) -> None:
    """Every function has a type (the merge template names no handler Chalice lacks) and a
    role from the merge template (none kept the config's placeholder ARN)."""
    for name, resource in template["Resources"].items():
        if "Type" not in resource:
            raise PackagingError(
                f"{MERGE_TEMPLATE.name} configures {name}, which the app does not define"
            )
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        if not isinstance(resource["Properties"].get("Role"), dict):
            raise PackagingError(f"{name} has no role in {MERGE_TEMPLATE.name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.package", description=__doc__)
    parser.add_argument("--stage", required=True)
    parser.add_argument("--out", type=Path, help="default: build/<stage>")
    args = parser.parse_args(argv)
    out = args.out or ROOT / "build" / args.stage
    try:
        template = package(args.stage, out)
    except (PackagingError, subprocess.CalledProcessError) as error:
        print(f"packaging failed: {error}", file=sys.stderr)
        return 1
    print(f"Packaged stage {args.stage}: {template} and {out / 'deployment.zip'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
