"""The CDK app's constructs and deploy-time settings (the stack that `app.py` synthesises)."""
