"""`make deploy`'s preflight against the local emulator: the account and region CDK will deploy to."""

from __future__ import annotations

from automl_archive_cli import preflight


def test_deploy_preflight_names_the_account_and_region_it_will_deploy_to(local_aws, capsys):
    # Given credentials and a region that resolve (the local emulator's)
    # When the preflight runs / Then it names the account, the region and the caller
    assert preflight.main() == 0
    out = capsys.readouterr().out
    assert out.startswith("Deploying to account 123456789012 in us-east-1 as arn:aws:")


def test_bootstrap_and_diff_say_what_they_will_do(local_aws, capsys):
    assert preflight.main(["bootstrap"]) == 0
    assert capsys.readouterr().out.startswith("Bootstrapping account 123456789012 in us-east-1 as arn:aws:")
    assert preflight.main(["diff"]) == 0
    assert capsys.readouterr().out.startswith("Comparing with account 123456789012 in us-east-1")
    assert preflight.main(["synth"]) == 2
    assert "usage: python -m automl_archive_cli.preflight [deploy|diff|bootstrap]" in capsys.readouterr().err
