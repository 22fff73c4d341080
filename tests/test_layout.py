"""Checks on the shape of the shipped integration."""

import ast
import json
from pathlib import Path

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / "retrowalk"


def test_manifest_keys_sorted_after_domain_and_name() -> None:
    manifest = json.loads((INTEGRATION / "manifest.json").read_text())
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["requirements"] == []
    matchers = manifest["bluetooth"]
    ftms = "00001826-0000-1000-8000-00805f9b34fb"
    assert {"connectable": True, "service_uuid": ftms} in matchers
    assert {"connectable": True, "service_data_uuid": ftms} in matchers


def test_hacs_json_has_only_known_keys() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text())
    assert set(hacs) <= {
        "name",
        "homeassistant",
        "content_in_root",
        "zip_release",
        "filename",
        "hide_default_branch",
        "country",
        "hacs",
        "persistent_directory",
    }
    assert hacs["name"] == "RetroWalk"


def _imported_modules(package: Path) -> set[str]:
    modules: set[str] = set()
    for source in package.rglob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module)
    return modules


def test_pure_packages_do_not_import_home_assistant() -> None:
    for name in ("ftms", "program", "progress"):
        package = INTEGRATION / name
        if not package.exists():
            continue
        imported = _imported_modules(package)
        assert not {m for m in imported if m.split(".")[0] == "homeassistant"}, name


def test_english_translation_is_strings_json() -> None:
    # Custom integrations load translations/en.json; strings.json is the source of truth.
    assert (INTEGRATION / "translations" / "en.json").read_text() == (
        INTEGRATION / "strings.json"
    ).read_text()


QUALITY_RULES = {
    # Bronze
    "action-setup", "appropriate-polling", "brands", "common-modules", "config-flow",
    "config-flow-test-coverage", "dependency-transparency", "docs-actions",
    "docs-high-level-description", "docs-installation-instructions", "docs-removal-instructions",
    "entity-event-setup", "entity-unique-id", "has-entity-name", "runtime-data",
    "test-before-configure", "test-before-setup", "unique-config-entry",
    # Silver
    "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
    "docs-installation-parameters", "entity-unavailable", "integration-owner",
    "log-when-unavailable", "parallel-updates", "reauthentication-flow", "test-coverage",
    # Gold
    "devices", "diagnostics", "discovery", "discovery-update-info", "docs-data-update",
    "docs-examples", "docs-known-limitations", "docs-supported-devices",
    "docs-supported-functions", "docs-troubleshooting", "docs-use-cases", "dynamic-devices",
    "entity-category", "entity-device-class", "entity-disabled-by-default",
    "entity-translations", "exception-translations", "icon-translations",
    "reconfiguration-flow", "repair-issues", "stale-devices",
    # Platinum
    "async-dependency", "inject-websession", "strict-typing",
}  # fmt: skip


def test_quality_scale_records_every_rule() -> None:
    import yaml

    rules = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text())["rules"]
    assert set(rules) == QUALITY_RULES
    for name, rule in rules.items():
        status = rule if isinstance(rule, str) else rule["status"]
        assert status in {"done", "exempt"}, name
        if status == "exempt":
            assert rule["comment"], name
