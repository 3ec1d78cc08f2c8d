"""`make deploy`'s preflight against the local emulator: the account and region CDK will deploy to."""

from __future__ import annotations

from automl_archive_cli import preflight


def test_deploy_preflight_names_the_account_and_region_it_will_deploy_to(local_aws, capsys):
    # Given credentials and a region that resolve (the local emulator's)
    # When the preflight runs / Then it names the account, the region and the caller
    assert preflight.main() == 0
    out = capsys.readouterr().out
    assert out.startswith("Deploying to account 123456789012 in us-east-1 as arn:aws:")
