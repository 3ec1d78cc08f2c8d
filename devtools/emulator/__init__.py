"""Local emulator harness: moto in-process, an Autopilot simulator, stack deploy and a Lambda-like pipeline.

Nothing here is imported by production code; production code only sees AWS_ENDPOINT_URL.
"""
